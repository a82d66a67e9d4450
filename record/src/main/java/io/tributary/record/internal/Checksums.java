package io.tributary.record.internal;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * CRC32C over a byte range of a buffer, without touching the buffer's position or limit.
 *
 * <p>Not API. Thread-safety: stateless (a fresh {@link CRC32C} per call; it is cheap).
 */
public final class Checksums {

    private Checksums() {
    }

    /** CRC32C of {@code buffer[from, to)} (absolute indexes), as an unsigned value. */
    public static long crc32c(ByteBuffer buffer, int from, int to) {
        CRC32C crc = new CRC32C();
        ByteBuffer range = buffer.duplicate();
        range.limit(to).position(from);
        crc.update(range);
        return crc.getValue();
    }
}
