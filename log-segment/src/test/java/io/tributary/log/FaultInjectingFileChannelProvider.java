package io.tributary.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Opens real file channels whose calls can be made to fail, the seam of STYLE.md §7 (BookKeeper's
 * {@code FileChannelProvider} in tests): I/O errors on write, force, read, truncate and open, a full disk,
 * writes that stop part way through a buffer and then fail, and short writes and reads (the
 * channel moves fewer bytes than asked, as a {@link FileChannel} may).
 *
 * <p>The switches are shared by every channel the provider opened, and take effect on the next
 * call. Thread-safe.
 */
final class FaultInjectingFileChannelProvider implements FileChannelProvider {
    private volatile IOException failWrites;
    private volatile IOException failForce;
    private volatile IOException failReads;
    private volatile IOException failOpen;
    private volatile IOException failTruncate;
    /** Bytes still written before writes fail; negative: no limit. */
    private final AtomicLong writeBudget = new AtomicLong(-1);
    private volatile int maxBytesPerWrite;
    private volatile int maxBytesPerRead;

    final AtomicInteger writeCalls = new AtomicInteger();
    final AtomicInteger shortWrites = new AtomicInteger();
    final AtomicInteger shortReads = new AtomicInteger();

    /** Every later write throws an I/O error. */
    FaultInjectingFileChannelProvider failWrites() {
        failWrites = new IOException("Input/output error (injected)");
        return this;
    }

    /** Every later write fails as a full disk does. */
    FaultInjectingFileChannelProvider diskFull() {
        failWrites = new IOException("No space left on device (injected)");
        return this;
    }

    /** {@code bytes} more bytes are written (the last write stopping part way), then writes fail. */
    FaultInjectingFileChannelProvider failWritesAfter(long bytes) {
        writeBudget.set(bytes);
        return this;
    }

    FaultInjectingFileChannelProvider failForce() {
        failForce = new IOException("fsync failed: Input/output error (injected)");
        return this;
    }

    FaultInjectingFileChannelProvider failReads() {
        failReads = new IOException("read failed: Input/output error (injected)");
        return this;
    }

    FaultInjectingFileChannelProvider failTruncate() {
        failTruncate = new IOException("truncate failed: Input/output error (injected)");
        return this;
    }

    FaultInjectingFileChannelProvider failOpen() {
        failOpen = new IOException("Too many open files (injected)");
        return this;
    }

    /** Each write moves at most {@code bytes} bytes (0: no limit). */
    FaultInjectingFileChannelProvider shortWrites(int bytes) {
        maxBytesPerWrite = bytes;
        return this;
    }

    /** Each read moves at most {@code bytes} bytes (0: no limit). */
    FaultInjectingFileChannelProvider shortReads(int bytes) {
        maxBytesPerRead = bytes;
        return this;
    }

    /** Removes every fault. */
    FaultInjectingFileChannelProvider heal() {
        failWrites = null;
        failForce = null;
        failReads = null;
        failOpen = null;
        failTruncate = null;
        writeBudget.set(-1);
        maxBytesPerWrite = 0;
        maxBytesPerRead = 0;
        return this;
    }

    @Override
    public FileChannel open(Path path, OpenOption... options) throws IOException {
        IOException e = failOpen;
        if (e != null) {
            throw new IOException(e.getMessage() + ": " + path);
        }
        return new FaultyChannel(FileChannel.open(path, options));
    }

    private final class FaultyChannel extends DelegatingFileChannel {
        FaultyChannel(FileChannel delegate) {
            super(delegate);
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            writeCalls.incrementAndGet();
            IOException e = failWrites;
            if (e != null) {
                throw new IOException(e.getMessage());
            }
            int allowed = src.remaining();
            int perWrite = maxBytesPerWrite;
            if (perWrite > 0 && allowed > perWrite) {
                allowed = perWrite;
            }
            long budget = writeBudget.get();
            if (budget == 0) {
                throw new IOException("Input/output error (injected after a partial write)");
            }
            if (budget > 0 && allowed > budget) {
                allowed = (int) budget;
            }
            if (budget > 0) {
                writeBudget.addAndGet(-allowed);
            }
            if (allowed == src.remaining()) {
                return delegate.write(src, position);
            }
            shortWrites.incrementAndGet();
            ByteBuffer part = src.duplicate();
            part.limit(part.position() + allowed);
            int n = delegate.write(part, position);
            src.position(src.position() + n);
            return n;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            throw new UnsupportedOperationException("the log writes at explicit positions");
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            IOException e = failReads;
            if (e != null) {
                throw new IOException(e.getMessage());
            }
            int perRead = maxBytesPerRead;
            if (perRead <= 0 || dst.remaining() <= perRead) {
                return delegate.read(dst, position);
            }
            shortReads.incrementAndGet();
            ByteBuffer part = dst.duplicate();
            part.limit(part.position() + perRead);
            int n = delegate.read(part, position);
            if (n > 0) {
                dst.position(dst.position() + n);
            }
            return n;
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            IOException e = failTruncate;
            if (e != null) {
                throw new IOException(e.getMessage());
            }
            return super.truncate(size);
        }

        @Override
        public void force(boolean metaData) throws IOException {
            IOException e = failForce;
            if (e != null) {
                throw new IOException(e.getMessage());
            }
            delegate.force(metaData);
        }
    }
}
