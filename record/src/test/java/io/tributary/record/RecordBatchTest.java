package io.tributary.record;

import static io.tributary.record.RecordBatchFormat.*;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.record.InvalidRecordBatchException.Reason;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class RecordBatchTest {

    static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(UTF_8));
    }

    static String string(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return new String(a, UTF_8);
    }

    static RecordBatch threeRecords(Compression compression) {
        RecordBatchBuilder builder = new RecordBatchBuilder(compression, 1 << 20)
                .baseOffset(100)
                .partitionLeaderEpoch(7)
                .producer(42L, (short) 3, 10);
        builder.append(1_000L, bytes("k0"), bytes("v0"));
        builder.append(1_005L, null, bytes("v1"), new Header("h", "x".getBytes(UTF_8)), new Header("n", null));
        builder.append(999L, bytes("k2"), null);
        return builder.build();
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void shouldRoundTripHeaderFieldsAndRecords(Compression compression) {
        RecordBatch batch = threeRecords(compression);
        batch.validate();
        batch.validateRecords();

        assertThat(batch.baseOffset()).isEqualTo(100);
        assertThat(batch.partitionLeaderEpoch()).isEqualTo(7);
        assertThat(batch.magic()).isEqualTo(MAGIC);
        assertThat(batch.compression()).isEqualTo(compression);
        assertThat(batch.timestampType()).isEqualTo(TimestampType.CREATE_TIME);
        assertThat(batch.isTransactional()).isFalse();
        assertThat(batch.isControl()).isFalse();
        assertThat(batch.lastOffsetDelta()).isEqualTo(2);
        assertThat(batch.lastOffset()).isEqualTo(102);
        assertThat(batch.nextOffset()).isEqualTo(103);
        assertThat(batch.baseTimestamp()).isEqualTo(1_000L);
        assertThat(batch.maxTimestamp()).isEqualTo(1_005L);
        assertThat(batch.producerId()).isEqualTo(42L);
        assertThat(batch.producerEpoch()).isEqualTo((short) 3);
        assertThat(batch.baseSequence()).isEqualTo(10);
        assertThat(batch.lastSequence()).isEqualTo(12);
        assertThat(batch.recordCount()).isEqualTo(3);
        assertThat(batch.sizeInBytes()).isEqualTo(batch.batchLength() + LOG_OVERHEAD);
        assertThat(batch.buffer().remaining()).isEqualTo(batch.sizeInBytes());
        assertThat(batch.checksum()).isEqualTo(batch.computeChecksum());

        List<Record> records = batch.recordList();
        assertThat(records).hasSize(3);
        Record r0 = records.get(0);
        assertThat(r0.offset()).isEqualTo(100);
        assertThat(r0.timestamp()).isEqualTo(1_000L);
        assertThat(r0.sequence()).isEqualTo(10);
        assertThat(string(r0.key())).isEqualTo("k0");
        assertThat(string(r0.value())).isEqualTo("v0");
        assertThat(r0.headers()).isEmpty();
        Record r1 = records.get(1);
        assertThat(r1.offset()).isEqualTo(101);
        assertThat(r1.timestamp()).isEqualTo(1_005L);
        assertThat(r1.hasKey()).isFalse();
        assertThat(r1.key()).isNull();
        assertThat(r1.keySize()).isEqualTo(-1);
        assertThat(r1.headers()).containsExactly(new Header("h", "x".getBytes(UTF_8)), new Header("n", null));
        Record r2 = records.get(2);
        assertThat(r2.offset()).isEqualTo(102);
        assertThat(r2.timestamp()).isEqualTo(999L);
        assertThat(r2.hasValue()).isFalse();
        assertThat(r2.value()).isNull();
        assertThat(r2.sequence()).isEqualTo(12);
    }

    @Test
    void shouldExposeKeysAndValuesAsReadOnlyViewsWithoutCopying() {
        RecordBatch batch = threeRecords(Compression.NONE);
        Record r0 = batch.recordList().get(0);
        ByteBuffer key = r0.key();
        assertThat(key.isReadOnly()).isTrue();
        // Changing the batch bytes shows through the view: it is not a copy.
        ByteBuffer raw = batch.buffer();
        int keyAt = indexOf(raw, "k0");
        raw.put(keyAt, (byte) 'K');
        assertThat(string(r0.key())).isEqualTo("K0");
    }

    private static int indexOf(ByteBuffer b, String s) {
        byte[] n = s.getBytes(UTF_8);
        outer:
        for (int i = 0; i + n.length <= b.limit(); i++) {
            for (int j = 0; j < n.length; j++) {
                if (b.get(i + j) != n[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError(s + " not found");
    }

    @Test
    void shouldWrapAtPositionWithoutDisturbingCaller() {
        ByteBuffer batchBytes = threeRecords(Compression.NONE).buffer();
        ByteBuffer big = ByteBuffer.allocate(batchBytes.remaining() + 20);
        big.position(5);
        big.put(batchBytes);
        big.position(5).limit(big.capacity() - 3);
        RecordBatch batch = RecordBatch.wrap(big);
        assertThat(big.position()).isEqualTo(5);
        assertThat(big.limit()).isEqualTo(big.capacity() - 3);
        batch.validate();
        assertThat(batch.recordCount()).isEqualTo(3);
        assertThat(RecordBatch.sizeInBytes(big, 5)).isEqualTo(batch.sizeInBytes());
    }

    @Test
    void shouldReportTruncatedWhenLengthFieldIsIncomplete() {
        ByteBuffer b = ByteBuffer.allocate(11);
        assertThatThrownBy(() -> RecordBatch.sizeInBytes(b, 0))
                .isInstanceOfSatisfying(InvalidRecordBatchException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.TRUNCATED))
                .hasMessageContaining("11");
        assertThatThrownBy(() -> RecordBatch.wrap(b)).isInstanceOf(InvalidRecordBatchException.class);
    }

    @Test
    void shouldReportTruncatedForEveryProperPrefix() {
        ByteBuffer full = threeRecords(Compression.NONE).buffer();
        for (int len = LOG_OVERHEAD; len < full.remaining(); len++) {
            ByteBuffer prefix = full.duplicate().limit(len);
            RecordBatch batch = RecordBatch.wrap(prefix);
            assertThat(batch.isValid()).isFalse();
            assertReason(batch::validate, Reason.TRUNCATED, "only " + len + " available");
            assertReason(batch::records, Reason.TRUNCATED, null);
        }
    }

    @Test
    void shouldReportBadLength() {
        ByteBuffer b = threeRecords(Compression.NONE).buffer();
        b.putInt(LENGTH_OFFSET, MIN_BATCH_LENGTH - 1);
        assertReason(RecordBatch.wrap(b)::validate, Reason.BAD_LENGTH, "batchLength 48");
        b.putInt(LENGTH_OFFSET, -5);
        assertReason(() -> RecordBatch.wrap(b), Reason.BAD_LENGTH, "-5");
        assertReason(() -> RecordBatch.sizeInBytes(b, 0), Reason.BAD_LENGTH, "-5");
    }

    @Test
    void shouldReportBadMagic() {
        ByteBuffer b = threeRecords(Compression.NONE).buffer();
        b.put(MAGIC_OFFSET, (byte) 1);
        assertReason(RecordBatch.wrap(b)::validate, Reason.BAD_MAGIC, "magic 1");
        assertReason(RecordBatch.wrap(b)::records, Reason.BAD_MAGIC, "magic 1");
    }

    @Test
    void shouldReportCrcMismatchWithBothValues() {
        RecordBatch batch = threeRecords(Compression.NONE);
        long good = batch.checksum();
        ByteBuffer b = batch.buffer();
        b.put(b.limit() - 1, (byte) (b.get(b.limit() - 1) ^ 1));
        RecordBatch corrupt = RecordBatch.wrap(b);
        assertThat(corrupt.isValid()).isFalse();
        assertReason(corrupt::validate, Reason.CRC_MISMATCH, String.format("stored 0x%08x", good));
    }

    @Test
    void shouldReportInconsistentHeaderFieldsAsBadRecords() {
        ByteBuffer b = threeRecords(Compression.NONE).buffer();
        RecordBatch batch = RecordBatch.wrap(b);

        b.putInt(RECORDS_COUNT_OFFSET, -1);
        fixCrc(batch);
        assertReason(batch::validate, Reason.BAD_RECORDS, "recordCount -1");

        b.putInt(RECORDS_COUNT_OFFSET, 3);
        b.putInt(LAST_OFFSET_DELTA_OFFSET, 1);
        fixCrc(batch);
        assertReason(batch::validate, Reason.BAD_RECORDS, "lastOffsetDelta 1");

        b.putInt(LAST_OFFSET_DELTA_OFFSET, 2000);
        b.putInt(RECORDS_COUNT_OFFSET, 1000);
        fixCrc(batch);
        assertReason(batch::validate, Reason.BAD_RECORDS, "recordCount 1000 cannot fit");

        b.putInt(RECORDS_COUNT_OFFSET, 3);
        b.putShort(ATTRIBUTES_OFFSET, (short) 5);
        fixCrc(batch);
        assertReason(batch::validate, Reason.BAD_RECORDS, "codec id 5");
        assertReason(batch::records, Reason.BAD_RECORDS, "codec id 5");
    }

    @Test
    void shouldReportRecordCountDisagreeingWithRecords() {
        ByteBuffer b = threeRecords(Compression.NONE).buffer();
        RecordBatch batch = RecordBatch.wrap(b);
        b.putInt(RECORDS_COUNT_OFFSET, 2);
        fixCrc(batch);
        batch.validate(); // the header alone is consistent
        assertReason(batch::recordList, Reason.BAD_RECORDS, "remain after the last of recordCount 2");

        b.putInt(RECORDS_COUNT_OFFSET, 4);
        b.putInt(LAST_OFFSET_DELTA_OFFSET, 3);
        fixCrc(batch);
        assertReason(batch::recordList, Reason.BAD_RECORDS, "Malformed record 3");
    }

    @Test
    void shouldReportMalformedRecordFraming() {
        ByteBuffer b = threeRecords(Compression.NONE).buffer();
        RecordBatch batch = RecordBatch.wrap(b);
        // First record's length varint (zigzag) sits at RECORDS_OFFSET: make it claim more.
        b.put(RECORDS_OFFSET, (byte) (b.get(RECORDS_OFFSET) + 2));
        fixCrc(batch);
        batch.validate();
        assertReason(batch::recordList, Reason.BAD_RECORDS, "record 0");
        assertReason(batch::validateRecords, Reason.BAD_RECORDS, "record 0");
        // An iterator that failed stays finished.
        Iterator<Record> it = batch.records();
        assertReason(it::next, Reason.BAD_RECORDS, null);
        assertThat(it.hasNext()).isFalse();
    }

    @Test
    void shouldReportUndecompressableRecords() {
        ByteBuffer b = threeRecords(Compression.GZIP).buffer();
        RecordBatch batch = RecordBatch.wrap(b);
        b.put(RECORDS_OFFSET + 3, (byte) 0x7F);
        b.put(RECORDS_OFFSET + 12, (byte) 0x7F);
        b.put(RECORDS_OFFSET + 13, (byte) 0x7F);
        fixCrc(batch);
        assertReason(batch::recordList, Reason.BAD_RECORDS, null);
    }

    @Test
    void shouldStampBaseOffsetAndLeaderEpochWithoutTouchingCrc() {
        RecordBatch batch = threeRecords(Compression.LZ4);
        long crc = batch.checksum();
        batch.setBaseOffset(5_000_000_000L);
        batch.setPartitionLeaderEpoch(99);
        assertThat(batch.checksum()).isEqualTo(crc);
        batch.validate();
        assertThat(batch.baseOffset()).isEqualTo(5_000_000_000L);
        assertThat(batch.partitionLeaderEpoch()).isEqualTo(99);
        assertThat(batch.recordList()).extracting(Record::offset)
                .containsExactly(5_000_000_000L, 5_000_000_001L, 5_000_000_002L);
    }

    @Test
    void shouldSetLogAppendTimeAndStayValid() {
        RecordBatch batch = threeRecords(Compression.NONE);
        batch.setLogAppendTime(77_777L);
        batch.validate();
        assertThat(batch.timestampType()).isEqualTo(TimestampType.LOG_APPEND_TIME);
        assertThat(batch.maxTimestamp()).isEqualTo(77_777L);
        assertThat(batch.baseTimestamp()).isEqualTo(1_000L);
        assertThat(batch.recordList()).extracting(Record::timestamp).containsOnly(77_777L);
        batch.setMaxTimestamp(TimestampType.CREATE_TIME, 1_005L);
        batch.validate();
        assertThat(batch.recordList()).extracting(Record::timestamp).containsExactly(1_000L, 1_005L, 999L);
    }

    @Test
    void shouldIterateBackToBackBatchesAndDetectTornTail() {
        List<RecordBatch> built = new ArrayList<>();
        long offset = 0;
        for (Compression c : Compression.values()) {
            RecordBatch b = threeRecords(c);
            b.setBaseOffset(offset);
            offset = b.nextOffset();
            built.add(b);
        }
        int total = built.stream().mapToInt(RecordBatch::sizeInBytes).sum();
        ByteBuffer log = ByteBuffer.allocate(total + 30);
        built.forEach(b -> log.put(b.buffer()));
        int end = log.position();
        log.flip();

        List<RecordBatch> read = new ArrayList<>();
        RecordBatches.iterate(log).forEach(read::add);
        assertThat(log.position()).isZero();
        assertThat(read).hasSize(5);
        assertThat(read).extracting(RecordBatch::baseOffset).containsExactly(0L, 3L, 6L, 9L, 12L);
        assertThat(read).extracting(RecordBatch::compression).containsExactly(Compression.values());
        assertThat(RecordBatches.validateAll(log)).isEqualTo(5);
        assertThat(RecordBatches.iterate(ByteBuffer.allocate(0))).isEmpty();

        // Torn tail: the last batch cut short, and a tail too short to hold a length.
        ByteBuffer torn = log.duplicate().limit(end - 1);
        assertThatThrownBy(() -> RecordBatches.iterate(torn).forEach(b -> { }))
                .isInstanceOfSatisfying(InvalidRecordBatchException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.TRUNCATED));
        int lastStart = end - built.get(4).sizeInBytes();
        ByteBuffer tiny = log.duplicate().limit(lastStart + 5);
        List<RecordBatch> before = new ArrayList<>();
        assertThatThrownBy(() -> RecordBatches.iterate(tiny).forEach(before::add))
                .isInstanceOfSatisfying(InvalidRecordBatchException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.TRUNCATED))
                .hasMessageContaining("position " + lastStart);
        assertThat(before).hasSize(4);

        // Corruption in the middle is named with its position.
        ByteBuffer corrupt = ByteBuffer.allocate(end);
        corrupt.put(log.duplicate()).flip();
        int secondStart = built.get(0).sizeInBytes();
        corrupt.put(secondStart + RECORDS_OFFSET, (byte) (corrupt.get(secondStart + RECORDS_OFFSET) ^ 0x10));
        assertThatThrownBy(() -> RecordBatches.validateAll(corrupt))
                .isInstanceOfSatisfying(InvalidRecordBatchException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.CRC_MISMATCH))
                .hasMessageContaining("Batch 1 at position " + secondStart);
    }

    @Test
    void shouldAppendWithOffsetGapsAndKeepLastOffsetDelta() {
        RecordBatchBuilder builder = new RecordBatchBuilder(Compression.NONE, 1 << 20)
                .baseOffset(1_000)
                .producer(5L, (short) 1, 0);
        builder.appendWithOffset(1_001, 10L, bytes("a"), bytes("1"));
        builder.appendWithOffset(1_004, 11L, bytes("b"), bytes("2"));
        builder.lastOffsetDelta(9);
        RecordBatch batch = builder.build();
        batch.validate();
        batch.validateRecords();
        assertThat(batch.baseOffset()).isEqualTo(1_000);
        assertThat(batch.lastOffsetDelta()).isEqualTo(9);
        assertThat(batch.lastOffset()).isEqualTo(1_009);
        assertThat(batch.recordCount()).isEqualTo(2);
        assertThat(batch.lastSequence()).isEqualTo(9);
        List<Record> records = batch.recordList();
        assertThat(records).extracting(Record::offset).containsExactly(1_001L, 1_004L);
        assertThat(records).extracting(Record::sequence).containsExactly(1, 4);

        RecordBatchBuilder b2 = new RecordBatchBuilder(Compression.NONE, 1 << 20).baseOffset(10);
        assertThatThrownBy(() -> b2.appendWithOffset(9, 0L, null, null)).isInstanceOf(IllegalArgumentException.class);
        b2.appendWithOffset(12, 0L, null, null);
        assertThatThrownBy(() -> b2.appendWithOffset(12, 0L, null, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not greater");
        assertThatThrownBy(() -> b2.lastOffsetDelta(1)).isInstanceOf(IllegalArgumentException.class);
        b2.append(0L, null, null);
        assertThat(b2.build().recordList()).extracting(Record::offset).containsExactly(12L, 13L);
        assertThatThrownBy(() -> b2.append(0L, null, null)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void shouldRefuseInconsistentProducerStateLikeKafka() {
        RecordBatchBuilder noSequence = new RecordBatchBuilder(Compression.NONE, 100).producer(1L, (short) 0, -1);
        noSequence.append(0L, null, null);
        assertThatThrownBy(noSequence::build).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("baseSequence -1");
        RecordBatchBuilder noEpoch = new RecordBatchBuilder(Compression.NONE, 100).producer(1L, (short) -1, 0);
        noEpoch.append(0L, null, null);
        assertThatThrownBy(noEpoch::build).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("producerEpoch -1");
        RecordBatchBuilder txnWithoutProducer = new RecordBatchBuilder(Compression.NONE, 100).transactional(true);
        txnWithoutProducer.append(0L, null, null);
        assertThatThrownBy(txnWithoutProducer::build).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("producerId");
    }

    @Test
    void shouldRefuseToBuildEmptyBatch() {
        assertThatThrownBy(() -> new RecordBatchBuilder(Compression.NONE, 100).build())
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void shouldRespectSizeLimitInHasRoomForAndTryAppend() {
        byte[] value = new byte[100];
        RecordBatchBuilder builder = new RecordBatchBuilder(Compression.ZSTD, 500);
        assertThat(builder.isEmpty()).isTrue();
        // An empty builder always has room for one record, however large.
        assertThat(builder.hasRoomFor(0L, null, ByteBuffer.allocate(10_000))).isTrue();
        int appended = 0;
        while (builder.tryAppend(0L, null, value)) {
            appended++;
            assertThat(builder.estimatedSizeInBytes()).isLessThanOrEqualTo(500);
        }
        assertThat(appended).isEqualTo(4); // each record is 109 bytes: 61 + 4 * 109 = 497 <= 500
        assertThat(builder.recordCount()).isEqualTo(appended);
        int before = builder.estimatedSizeInBytes();
        assertThat(builder.tryAppend(0L, null, value)).isFalse();
        assertThat(builder.estimatedSizeInBytes()).isEqualTo(before);
        builder.append(0L, null, ByteBuffer.wrap(value)); // append ignores the limit
        assertThat(builder.recordCount()).isEqualTo(appended + 1);
        RecordBatch batch = builder.build();
        batch.validate();
        assertThat(batch.sizeInBytes()).isLessThan(before); // compressed

        RecordBatchBuilder big = new RecordBatchBuilder(Compression.NONE, 10);
        assertThat(big.tryAppend(0L, new byte[50], new byte[50])).isTrue();
        assertThat(big.tryAppend(0L, null, null)).isFalse();
    }

    @Test
    void shouldMatchEstimatedSizeForUncompressedBatch() {
        RecordBatchBuilder builder = new RecordBatchBuilder(Compression.NONE, 1 << 20);
        builder.append(5L, bytes("key"), bytes("value"), new Header("é", new byte[3]));
        int estimated = builder.estimatedSizeInBytes();
        assertThat(builder.build().sizeInBytes()).isEqualTo(estimated);
    }

    @Test
    void shouldWriteAttributesForTransactionalControlAndLogAppendTime() {
        RecordBatchBuilder builder = new RecordBatchBuilder(Compression.SNAPPY, 1 << 20)
                .producer(1L, (short) 0, 0)
                .transactional(true)
                .control(true)
                .logAppendTime(123L);
        builder.append(5L, bytes("k"), bytes("v"));
        RecordBatch batch = builder.build();
        batch.validate();
        assertThat(batch.attributes()).isEqualTo((short) (2 | 0x08 | 0x10 | 0x20));
        assertThat(batch.isTransactional()).isTrue();
        assertThat(batch.isControl()).isTrue();
        assertThat(batch.timestampType()).isEqualTo(TimestampType.LOG_APPEND_TIME);
        assertThat(batch.maxTimestamp()).isEqualTo(123L);
        assertThat(batch.recordList().get(0).timestamp()).isEqualTo(123L);
    }

    @Test
    void shouldNameUnknownCompressionId() {
        assertThatThrownBy(() -> Compression.forId(7)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("7");
        for (Compression c : Compression.values()) {
            assertThat(Compression.forId(c.id())).isSameAs(c);
        }
    }

    @Test
    void shouldWrapSequencesLikeKafka() {
        assertThat(RecordBatch.incrementSequence(Integer.MAX_VALUE, 1)).isZero();
        assertThat(RecordBatch.incrementSequence(Integer.MAX_VALUE - 1, 3)).isEqualTo(1);
        assertThat(RecordBatch.incrementSequence(5, 3)).isEqualTo(8);
    }

    static void fixCrc(RecordBatch batch) {
        batch.buffer().putInt(CRC_OFFSET, (int) batch.computeChecksum());
    }

    static void assertReason(Runnable action, Reason reason, String messagePart) {
        assertThatThrownBy(action::run)
                .isInstanceOfSatisfying(InvalidRecordBatchException.class, e -> {
                    assertThat(e.reason()).isEqualTo(reason);
                    if (messagePart != null) {
                        assertThat(e.getMessage()).contains(messagePart);
                    }
                });
    }
}
