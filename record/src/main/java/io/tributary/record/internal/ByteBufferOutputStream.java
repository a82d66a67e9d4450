package io.tributary.record.internal;

import java.io.OutputStream;
import java.nio.ByteBuffer;

/**
 * An {@link OutputStream} over a heap {@link ByteBuffer} that doubles when full. Writing starts at
 * the buffer's position, so callers can reserve a header in front.
 *
 * <p>Not API. Thread-safety: not thread-safe; one writer.
 */
public final class ByteBufferOutputStream extends OutputStream {

    private ByteBuffer buffer;

    public ByteBufferOutputStream(ByteBuffer initial) {
        this.buffer = initial;
    }

    /** The current buffer; position is the end of what was written. Replaced when it grows. */
    public ByteBuffer buffer() {
        return buffer;
    }

    @Override
    public void write(int b) {
        ensureRemaining(1);
        buffer.put((byte) b);
    }

    @Override
    public void write(byte[] bytes, int off, int len) {
        ensureRemaining(len);
        buffer.put(bytes, off, len);
    }

    public void write(ByteBuffer src) {
        ensureRemaining(src.remaining());
        buffer.put(src);
    }

    /** Makes room for {@code needed} more bytes at the position, growing at least twofold. */
    public void ensureRemaining(int needed) {
        buffer = ensureRemaining(buffer, needed);
    }

    /**
     * Returns {@code buffer} if it has {@code needed} bytes remaining, else a heap buffer at least
     * twice as large holding its bytes up to the position, positioned at the same place.
     */
    public static ByteBuffer ensureRemaining(ByteBuffer buffer, int needed) {
        if (buffer.remaining() >= needed) {
            return buffer;
        }
        long required = (long) buffer.position() + needed;
        if (required > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("batch would exceed 2 GiB: " + required + " bytes");
        }
        long doubled = Math.min((long) buffer.capacity() * 2, Integer.MAX_VALUE - 8);
        ByteBuffer grown = ByteBuffer.allocate((int) Math.max(required, doubled));
        buffer.flip();
        grown.put(buffer);
        return grown;
    }
}
