package io.tributary.record;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The inputs of the golden batches under {@code src/test/resources/format/v2/}. The files were
 * written once by {@link GoldenFileGeneratorTest} and are committed; {@link RecordFormatCompatibilityTest}
 * reads them back and checks every field against literals, so a reader change that breaks
 * already-written data fails there.
 */
final class GoldenBatches {

    static final String DIRECTORY = "format/v2/";

    private GoldenBatches() {
    }

    /** File name to batch, in a fixed order. */
    static Map<String, RecordBatch> all() {
        Map<String, RecordBatch> batches = new LinkedHashMap<>();
        for (Compression compression : Compression.values()) {
            batches.put(compression.name().toLowerCase() + ".bin", threeRecords(compression));
        }
        batches.put("headers-and-nulls.bin", headersAndNulls());
        batches.put("transactional-log-append-time.bin", transactionalLogAppendTime());
        return batches;
    }

    /** baseOffset 1000, leader epoch 5, producer (77, 2, 30), three records with keys and values. */
    static RecordBatch threeRecords(Compression compression) {
        RecordBatchBuilder builder = new RecordBatchBuilder(compression, 1 << 20)
                .baseOffset(1_000L)
                .partitionLeaderEpoch(5)
                .producer(77L, (short) 2, 30);
        builder.append(1_700_000_000_000L, bytes("key-0"), bytes("value-0"));
        builder.append(1_700_000_000_007L, bytes("key-1"), bytes("value-1 ".repeat(20)));
        builder.append(1_699_999_999_999L, bytes("key-2"), bytes("value-2"));
        return builder.build();
    }

    /**
     * Uncompressed, offsets 0, 1, 4 with lastOffsetDelta 6 (as compaction leaves it): a null key,
     * a null value, empty key and value, and headers with a null value, an empty value and a
     * non-ASCII key.
     */
    static RecordBatch headersAndNulls() {
        RecordBatchBuilder builder = new RecordBatchBuilder(Compression.NONE, 1 << 20);
        builder.append(10L, null, bytes("value without key"),
                new Header("trace", "t-1".getBytes(UTF_8)), new Header("null-value", null));
        builder.append(20L, bytes("tombstone-key"), null);
        builder.appendWithOffset(4L, 15L, ByteBuffer.allocate(0), ByteBuffer.allocate(0),
                new Header("ключ-ü", new byte[0]));
        builder.lastOffsetDelta(6);
        return builder.build();
    }

    /** zstd, transactional producer (9001, 0, 0), log-append time 1_800_000_000_000, base offset 2^40. */
    static RecordBatch transactionalLogAppendTime() {
        RecordBatchBuilder builder = new RecordBatchBuilder(Compression.ZSTD, 1 << 20)
                .baseOffset(1L << 40)
                .partitionLeaderEpoch(0)
                .producer(9_001L, (short) 0, 0)
                .transactional(true)
                .logAppendTime(1_800_000_000_000L);
        builder.append(1_000L, bytes("a"), bytes("1"));
        builder.append(2_000L, bytes("b"), bytes("2"));
        return builder.build();
    }

    static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(UTF_8));
    }
}
