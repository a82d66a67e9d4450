package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.record.Compression;
import io.tributary.record.RecordBatch;
import io.tributary.record.RecordBatchBuilder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;

/** Record batches for the tests, built as a client builds them, and byte-for-byte comparisons. */
public final class Batches {

    /** Bytes 0-7: base offset; bytes 12-15: partition leader epoch. The broker stamps only these two. */
    private static final int BASE_OFFSET_END = 8;
    private static final int LEADER_EPOCH_OFFSET = 12;
    private static final int LEADER_EPOCH_END = 16;

    private Batches() {
    }

    /**
     * A batch of {@code records} records with keys {@code <tag>-<seq>-<i>} and pseudo-random values
     * of {@code valueBytes} bytes (seeded by tag and seq, so a batch can be rebuilt).
     */
    public static RecordBatch batch(String tag, long seq, int records, int valueBytes) {
        RecordBatchBuilder builder = new RecordBatchBuilder(Compression.NONE, Integer.MAX_VALUE);
        Random random = new Random(tag.hashCode() * 31L + seq);
        long now = System.currentTimeMillis();
        for (int i = 0; i < records; i++) {
            byte[] key = (tag + "-" + seq + "-" + i).getBytes(StandardCharsets.UTF_8);
            byte[] value = new byte[valueBytes];
            random.nextBytes(value);
            builder.append(now, ByteBuffer.wrap(key), ByteBuffer.wrap(value));
        }
        return builder.build();
    }

    /**
     * Asserts that {@code stored} is {@code sent} as the broker stores it at {@code offset}: the
     * same bytes except the base offset (which must be {@code offset}) and the partition leader
     * epoch, the two header fields outside the CRC that the broker stamps.
     */
    public static void assertStoredAs(RecordBatch sent, long offset, RecordBatch stored, String where) {
        assertThat(stored.baseOffset()).as("%s: base offset", where).isEqualTo(offset);
        byte[] expected = bytes(sent);
        byte[] actual = bytes(stored);
        assertThat(actual.length).as("%s: batch size at offset %d", where, offset).isEqualTo(expected.length);
        for (int i = 0; i < expected.length; i++) {
            if (i < BASE_OFFSET_END || (i >= LEADER_EPOCH_OFFSET && i < LEADER_EPOCH_END)) {
                continue;
            }
            if (expected[i] != actual[i]) {
                throw new AssertionError(where + ": batch at offset " + offset + " differs from the one produced at byte "
                        + i + " of " + expected.length);
            }
        }
        stored.validate();
    }

    public static byte[] bytes(RecordBatch batch) {
        ByteBuffer buffer = batch.buffer();
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }
}
