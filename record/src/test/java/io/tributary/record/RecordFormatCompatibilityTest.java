package io.tributary.record;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Reads the committed golden batches of format v2 ({@code src/test/resources/format/v2/}, written
 * by {@link GoldenFileGeneratorTest}) and checks every header field and record against literals.
 * If this fails, already-stored data would be misread: fix the code, not the files.
 */
class RecordFormatCompatibilityTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            // file,        codec,  size, crc
            "none.bin,      NONE,   273, 0x38bbb194",
            "gzip.bin,      GZIP,   129, 0x83a1cc37",
            "snappy.bin,    SNAPPY, 149, 0xf68b2784",
            "lz4.bin,       LZ4,    135, 0xb063e6e5",
            "zstd.bin,      ZSTD,   125, 0x5317172c",
    })
    void shouldReadThreeRecordBatchOfEveryCodec(String file, Compression codec, int size, String crc) {
        RecordBatch batch = RecordBatch.wrap(read(file));
        batch.validate();
        batch.validateRecords();

        assertThat(batch.sizeInBytes()).isEqualTo(size);
        assertThat(batch.batchLength()).isEqualTo(size - 12);
        assertThat(batch.baseOffset()).isEqualTo(1_000L);
        assertThat(batch.partitionLeaderEpoch()).isEqualTo(5);
        assertThat(batch.magic()).isEqualTo((byte) 2);
        assertThat(batch.checksum()).isEqualTo(Long.decode(crc));
        assertThat(batch.attributes()).isEqualTo((short) codec.id());
        assertThat(batch.compression()).isEqualTo(codec);
        assertThat(batch.timestampType()).isEqualTo(TimestampType.CREATE_TIME);
        assertThat(batch.isTransactional()).isFalse();
        assertThat(batch.isControl()).isFalse();
        assertThat(batch.hasDeleteHorizonMs()).isFalse();
        assertThat(batch.lastOffsetDelta()).isEqualTo(2);
        assertThat(batch.lastOffset()).isEqualTo(1_002L);
        assertThat(batch.baseTimestamp()).isEqualTo(1_700_000_000_000L);
        assertThat(batch.maxTimestamp()).isEqualTo(1_700_000_000_007L);
        assertThat(batch.producerId()).isEqualTo(77L);
        assertThat(batch.producerEpoch()).isEqualTo((short) 2);
        assertThat(batch.baseSequence()).isEqualTo(30);
        assertThat(batch.lastSequence()).isEqualTo(32);
        assertThat(batch.recordCount()).isEqualTo(3);

        List<Record> records = batch.recordList();
        assertThat(records).extracting(Record::offset).containsExactly(1_000L, 1_001L, 1_002L);
        assertThat(records).extracting(Record::timestamp)
                .containsExactly(1_700_000_000_000L, 1_700_000_000_007L, 1_699_999_999_999L);
        assertThat(records).extracting(Record::sequence).containsExactly(30, 31, 32);
        assertThat(records).extracting(r -> string(r.key())).containsExactly("key-0", "key-1", "key-2");
        assertThat(records).extracting(r -> string(r.value()))
                .containsExactly("value-0", "value-1 ".repeat(20), "value-2");
        assertThat(records).allSatisfy(r -> assertThat(r.headers()).isEmpty());
    }

    @Test
    void shouldReadHeadersNullsAndCompactedOffsets() {
        RecordBatch batch = RecordBatch.wrap(read("headers-and-nulls.bin"));
        batch.validate();
        batch.validateRecords();

        assertThat(batch.sizeInBytes()).isEqualTo(147);
        assertThat(batch.baseOffset()).isEqualTo(0L);
        assertThat(batch.partitionLeaderEpoch()).isEqualTo(-1);
        assertThat(batch.magic()).isEqualTo((byte) 2);
        assertThat(batch.checksum()).isEqualTo(0x174fb144L);
        assertThat(batch.attributes()).isEqualTo((short) 0);
        assertThat(batch.lastOffsetDelta()).isEqualTo(6);
        assertThat(batch.nextOffset()).isEqualTo(7L);
        assertThat(batch.baseTimestamp()).isEqualTo(10L);
        assertThat(batch.maxTimestamp()).isEqualTo(20L);
        assertThat(batch.producerId()).isEqualTo(-1L);
        assertThat(batch.producerEpoch()).isEqualTo((short) -1);
        assertThat(batch.baseSequence()).isEqualTo(-1);
        assertThat(batch.lastSequence()).isEqualTo(-1);
        assertThat(batch.recordCount()).isEqualTo(3);

        List<Record> records = batch.recordList();
        assertThat(records).extracting(Record::offset).containsExactly(0L, 1L, 4L);
        assertThat(records).extracting(Record::timestamp).containsExactly(10L, 20L, 15L);
        assertThat(records).extracting(Record::sequence).containsOnly(-1);

        Record noKey = records.get(0);
        assertThat(noKey.hasKey()).isFalse();
        assertThat(noKey.key()).isNull();
        assertThat(string(noKey.value())).isEqualTo("value without key");
        assertThat(noKey.headers()).containsExactly(new Header("trace", "t-1".getBytes(UTF_8)),
                new Header("null-value", null));

        Record tombstone = records.get(1);
        assertThat(string(tombstone.key())).isEqualTo("tombstone-key");
        assertThat(tombstone.hasValue()).isFalse();
        assertThat(tombstone.value()).isNull();
        assertThat(tombstone.headers()).isEmpty();

        Record empty = records.get(2);
        assertThat(empty.hasKey()).isTrue();
        assertThat(empty.key().remaining()).isZero();
        assertThat(empty.hasValue()).isTrue();
        assertThat(empty.value().remaining()).isZero();
        assertThat(empty.headers()).containsExactly(new Header("ключ-ü", new byte[0]));
    }

    @Test
    void shouldReadTransactionalLogAppendTimeBatch() {
        RecordBatch batch = RecordBatch.wrap(read("transactional-log-append-time.bin"));
        batch.validate();
        batch.validateRecords();

        assertThat(batch.sizeInBytes()).isEqualTo(89);
        assertThat(batch.baseOffset()).isEqualTo(1L << 40);
        assertThat(batch.partitionLeaderEpoch()).isEqualTo(0);
        assertThat(batch.checksum()).isEqualTo(0x6bfad474L);
        assertThat(batch.attributes()).isEqualTo((short) (4 | 0x08 | 0x10));
        assertThat(batch.compression()).isEqualTo(Compression.ZSTD);
        assertThat(batch.timestampType()).isEqualTo(TimestampType.LOG_APPEND_TIME);
        assertThat(batch.isTransactional()).isTrue();
        assertThat(batch.isControl()).isFalse();
        assertThat(batch.lastOffsetDelta()).isEqualTo(1);
        assertThat(batch.baseTimestamp()).isEqualTo(1_000L);
        assertThat(batch.maxTimestamp()).isEqualTo(1_800_000_000_000L);
        assertThat(batch.producerId()).isEqualTo(9_001L);
        assertThat(batch.producerEpoch()).isEqualTo((short) 0);
        assertThat(batch.baseSequence()).isEqualTo(0);
        assertThat(batch.lastSequence()).isEqualTo(1);
        assertThat(batch.recordCount()).isEqualTo(2);

        List<Record> records = batch.recordList();
        assertThat(records).extracting(Record::offset).containsExactly((1L << 40), (1L << 40) + 1);
        // Log-append time: every record reads back with the batch's max timestamp.
        assertThat(records).extracting(Record::timestamp).containsOnly(1_800_000_000_000L);
        assertThat(records).extracting(r -> string(r.key())).containsExactly("a", "b");
        assertThat(records).extracting(r -> string(r.value())).containsExactly("1", "2");
    }

    @Test
    void shouldStillWriteTheSameBytesForUncompressedGoldenBatches() {
        // Compressed bytes may change with codec library versions; uncompressed ones never may.
        assertThat(toArray(GoldenBatches.all().get("none.bin").buffer())).isEqualTo(toArray(read("none.bin")));
        assertThat(toArray(GoldenBatches.headersAndNulls().buffer())).isEqualTo(toArray(read("headers-and-nulls.bin")));
    }

    @Test
    void shouldIterateAllGoldenBatchesBackToBack() {
        Map<String, RecordBatch> goldens = GoldenBatches.all();
        int total = 0;
        for (String file : goldens.keySet()) {
            total += read(file).remaining();
        }
        ByteBuffer log = ByteBuffer.allocate(total);
        goldens.keySet().forEach(file -> log.put(read(file)));
        log.flip();
        assertThat(RecordBatches.validateAll(log)).isEqualTo(goldens.size());
    }

    private static ByteBuffer read(String file) {
        String resource = GoldenBatches.DIRECTORY + file;
        try (InputStream in = RecordFormatCompatibilityTest.class.getClassLoader().getResourceAsStream(resource)) {
            assertThat(in).as(resource).isNotNull();
            return ByteBuffer.wrap(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String string(ByteBuffer b) {
        return new String(toArray(b), UTF_8);
    }

    private static byte[] toArray(ByteBuffer b) {
        return RecordBatchPropertiesTest.toArray(b);
    }
}
