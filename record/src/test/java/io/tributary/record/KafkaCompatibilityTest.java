package io.tributary.record;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.record.RecordBatchPropertiesTest.BatchSpec;
import io.tributary.record.RecordBatchPropertiesTest.RecordSpec;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Byte-for-byte compatibility with Apache Kafka's own implementation (kafka-clients, test scope):
 * Kafka-built batches read by us, our batches read and CRC-checked by Kafka, and identical bytes
 * for identical uncompressed input.
 */
class KafkaCompatibilityTest {

    private static final long PRODUCER_ID = 4242L;
    private static final short PRODUCER_EPOCH = 7;
    private static final int BASE_SEQUENCE = 1000;
    private static final int LEADER_EPOCH = 13;
    private static final long BASE_OFFSET = 5_000L;

    /** Fixed inputs: a null key, a null value, empty bytes, headers (one with a null value), non-ASCII. */
    private static List<RecordSpec> sampleRecords() {
        byte[] large = new byte[100_000];
        for (int i = 0; i < large.length; i++) {
            large[i] = (byte) (i % 251);
        }
        return List.of(
                new RecordSpec(1_700_000_000_000L, bytes("key-0"), bytes("value-0"), List.of(), 0),
                new RecordSpec(1_700_000_000_010L, null, bytes("no key"),
                        List.of(new Header("trace-id", bytes("abc")), new Header("empty", null)), 0),
                new RecordSpec(1_699_999_999_990L, bytes("tombstone"), null, List.of(), 0),
                new RecordSpec(1_700_000_000_005L, new byte[0], new byte[0],
                        List.of(new Header("ünïcødé-κλειδί", new byte[0])), 0),
                new RecordSpec(1_700_000_000_020L, bytes("big"), large, List.of(), 0));
    }

    // ---- (a) Kafka writes, we read ----

    @ParameterizedTest
    @EnumSource(Compression.class)
    void shouldReadBatchBuiltByKafka(Compression compression) {
        ByteBuffer kafkaBytes = kafkaBuild(compression, org.apache.kafka.common.record.TimestampType.CREATE_TIME,
                -1L, true, sampleRecords());
        MutableRecordBatch kafkaBatch = MemoryRecords.readableRecords(kafkaBytes.duplicate()).batches().iterator().next();

        RecordBatch ours = RecordBatch.wrap(kafkaBytes);
        ours.validate();
        ours.validateRecords();
        assertSameBatch(ours, kafkaBatch);
        assertThat(ours.baseOffset()).isEqualTo(BASE_OFFSET);
        assertThat(ours.compression()).isEqualTo(compression);
        assertThat(ours.isTransactional()).isTrue();
        assertRecords(ours, sampleRecords(), BASE_OFFSET);
    }

    @Property(tries = 100)
    void anyBatchBuiltByKafkaIsReadByUs(@ForAll Compression compression, @ForAll("kafkaFriendlyBatches") BatchSpec spec) {
        ByteBuffer kafkaBytes = kafkaBuild(compression, spec);
        MutableRecordBatch kafkaBatch = MemoryRecords.readableRecords(kafkaBytes.duplicate()).batches().iterator().next();
        RecordBatch ours = RecordBatch.wrap(kafkaBytes);
        ours.validate();
        assertSameBatch(ours, kafkaBatch);
        assertRecords(ours, spec.records(), RecordBatchPropertiesTest.expectedOffsets(spec));
    }

    // ---- (b) we write, Kafka reads ----

    @ParameterizedTest
    @EnumSource(Compression.class)
    void shouldBeReadByKafka(Compression compression) {
        RecordBatch ours = ourBuild(compression, TimestampType.CREATE_TIME, -1L, true, sampleRecords());
        MemoryRecords kafka = MemoryRecords.readableRecords(ours.buffer());
        List<MutableRecordBatch> batches = new ArrayList<>();
        kafka.batches().forEach(batches::add);
        assertThat(batches).hasSize(1);
        MutableRecordBatch kafkaBatch = batches.get(0);
        kafkaBatch.ensureValid();
        assertThat(kafkaBatch.isValid()).isTrue();
        assertThat(kafkaBatch.compressionType().id).isEqualTo((byte) compression.id());
        assertSameBatch(ours, kafkaBatch);
        assertKafkaRecords(kafkaBatch, sampleRecords(), BASE_OFFSET);
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void shouldBeReadByKafkaAfterStampingOffsetEpochAndLogAppendTime(Compression compression) {
        RecordBatch ours = ourBuild(compression, TimestampType.CREATE_TIME, -1L, false, sampleRecords());
        ours.setBaseOffset(77_000L);
        ours.setPartitionLeaderEpoch(99);
        ours.setLogAppendTime(1_800_000_000_000L);
        MutableRecordBatch kafkaBatch = MemoryRecords.readableRecords(ours.buffer()).batches().iterator().next();
        kafkaBatch.ensureValid();
        assertThat(kafkaBatch.baseOffset()).isEqualTo(77_000L);
        assertThat(kafkaBatch.partitionLeaderEpoch()).isEqualTo(99);
        assertThat(kafkaBatch.timestampType()).isEqualTo(org.apache.kafka.common.record.TimestampType.LOG_APPEND_TIME);
        assertSameBatch(ours, kafkaBatch);
    }

    @Property(tries = 100)
    void anyBatchWeBuildIsReadByKafka(@ForAll Compression compression, @ForAll("anyBatches") BatchSpec spec) {
        RecordBatch ours = RecordBatchPropertiesTest.build(compression, spec);
        MutableRecordBatch kafkaBatch = MemoryRecords.readableRecords(ours.buffer()).batches().iterator().next();
        kafkaBatch.ensureValid();
        assertSameBatch(ours, kafkaBatch);
        assertKafkaRecords(kafkaBatch, spec.records(), RecordBatchPropertiesTest.expectedOffsets(spec));
    }

    // ---- (c) identical bytes for identical uncompressed input ----

    @ParameterizedTest
    @EnumSource(TimestampType.class)
    void shouldWriteIdenticalBytesForUncompressedInput(TimestampType timestampType) {
        long logAppendTime = timestampType == TimestampType.LOG_APPEND_TIME ? 1_800_000_000_000L : -1L;
        for (boolean transactional : new boolean[] {false, true}) {
            ByteBuffer kafkaBytes = kafkaBuild(Compression.NONE, kafkaType(timestampType), logAppendTime,
                    transactional, sampleRecords());
            RecordBatch ours = ourBuild(Compression.NONE, timestampType, logAppendTime, transactional, sampleRecords());
            assertThat(toArray(ours.buffer())).isEqualTo(toArray(kafkaBytes));
        }
    }

    @Property(tries = 200)
    void anyUncompressedInputGivesIdenticalBytes(@ForAll("kafkaFriendlyBatches") BatchSpec spec) {
        ByteBuffer kafkaBytes = kafkaBuild(Compression.NONE, spec);
        RecordBatch ours = RecordBatchPropertiesTest.build(Compression.NONE, spec);
        assertThat(toArray(ours.buffer())).isEqualTo(toArray(kafkaBytes));
    }

    @org.junit.jupiter.api.Test
    void shouldWriteIdenticalBytesWithDeleteHorizon() {
        long horizon = 1_750_000_000_000L;
        MemoryRecordsBuilder kafkaBuilder = new MemoryRecordsBuilder(
                new org.apache.kafka.common.utils.ByteBufferOutputStream(1024), (byte) 2,
                org.apache.kafka.common.compress.Compression.NONE,
                org.apache.kafka.common.record.TimestampType.CREATE_TIME, BASE_OFFSET, -1L, PRODUCER_ID,
                PRODUCER_EPOCH, BASE_SEQUENCE, false, false, LEADER_EPOCH, Integer.MAX_VALUE, horizon);
        RecordBatchBuilder ourBuilder = new RecordBatchBuilder(Compression.NONE, 1 << 20)
                .baseOffset(BASE_OFFSET)
                .partitionLeaderEpoch(LEADER_EPOCH)
                .producer(PRODUCER_ID, PRODUCER_EPOCH, BASE_SEQUENCE)
                .deleteHorizonMs(horizon);
        for (RecordSpec r : sampleRecords()) {
            kafkaBuilder.append(r.timestamp(), r.key(), r.value(), kafkaHeaders(r.headers()));
            ourBuilder.append(r.timestamp(), wrap(r.key()), wrap(r.value()), r.headers().toArray(new Header[0]));
        }
        ByteBuffer kafkaBytes = kafkaBuilder.build().buffer();
        RecordBatch ours = ourBuilder.build();
        assertThat(toArray(ours.buffer())).isEqualTo(toArray(kafkaBytes));
        assertThat(ours.hasDeleteHorizonMs()).isTrue();
        assertThat(ours.deleteHorizonMs()).isEqualTo(horizon);
        MutableRecordBatch kafkaBatch = MemoryRecords.readableRecords(ours.buffer()).batches().iterator().next();
        assertThat(kafkaBatch.deleteHorizonMs()).hasValue(horizon);
        assertSameBatch(ours, kafkaBatch);
        assertRecords(ours, sampleRecords(), BASE_OFFSET);
    }

    // ---- generators: Kafka's builder refuses negative timestamps (other than -1), needs a producer id
    //      for transactional batches and cannot override lastOffsetDelta ----

    @Provide
    Arbitrary<BatchSpec> anyBatches() {
        return new RecordBatchPropertiesTest().smallBatches();
    }

    @Provide
    Arbitrary<BatchSpec> kafkaFriendlyBatches() {
        return new RecordBatchPropertiesTest().smallBatches()
                .filter(s -> s.extraLastOffsetDelta() == 0)
                .map(s -> new BatchSpec(s.baseOffset(), s.leaderEpoch(), s.producerId(), s.producerEpoch(),
                        s.baseSequence(), s.transactional(), 0,
                        s.records().stream().map(r -> new RecordSpec(
                                r.timestamp() < -1 ? (r.timestamp() == Long.MIN_VALUE ? 0 : -r.timestamp()) : r.timestamp(),
                                r.key(), r.value(), r.headers(), r.offsetGap())).toList()));
    }

    // ---- builders ----

    private static RecordBatch ourBuild(Compression compression, TimestampType timestampType, long logAppendTime,
                                        boolean transactional, List<RecordSpec> records) {
        RecordBatchBuilder builder = new RecordBatchBuilder(compression, 1 << 20)
                .baseOffset(BASE_OFFSET)
                .timestampType(timestampType)
                .partitionLeaderEpoch(LEADER_EPOCH)
                .producer(PRODUCER_ID, PRODUCER_EPOCH, BASE_SEQUENCE)
                .transactional(transactional);
        if (logAppendTime != -1L) {
            builder.logAppendTime(logAppendTime);
        }
        for (RecordSpec r : records) {
            builder.append(r.timestamp(), wrap(r.key()), wrap(r.value()), r.headers().toArray(new Header[0]));
        }
        RecordBatch batch = builder.build();
        batch.validate();
        return batch;
    }

    private static ByteBuffer kafkaBuild(Compression compression, org.apache.kafka.common.record.TimestampType type,
                                         long logAppendTime, boolean transactional, List<RecordSpec> records) {
        MemoryRecordsBuilder builder = MemoryRecords.builder(ByteBuffer.allocate(1024), (byte) 2,
                kafkaCompression(compression), type, BASE_OFFSET, logAppendTime, PRODUCER_ID, PRODUCER_EPOCH,
                BASE_SEQUENCE, transactional, false, LEADER_EPOCH);
        for (RecordSpec r : records) {
            builder.append(r.timestamp(), r.key(), r.value(), kafkaHeaders(r.headers()));
        }
        return builder.build().buffer();
    }

    private static ByteBuffer kafkaBuild(Compression compression, BatchSpec spec) {
        MemoryRecordsBuilder builder = MemoryRecords.builder(ByteBuffer.allocate(1024), (byte) 2,
                kafkaCompression(compression), org.apache.kafka.common.record.TimestampType.CREATE_TIME,
                spec.baseOffset(), -1L, spec.producerId(), spec.producerEpoch(), spec.baseSequence(),
                spec.transactional(), false, spec.leaderEpoch());
        List<Long> offsets = RecordBatchPropertiesTest.expectedOffsets(spec);
        for (int i = 0; i < spec.records().size(); i++) {
            RecordSpec r = spec.records().get(i);
            builder.appendWithOffset(offsets.get(i), r.timestamp(), r.key(), r.value(), kafkaHeaders(r.headers()));
        }
        return builder.build().buffer();
    }

    private static org.apache.kafka.common.compress.Compression kafkaCompression(Compression compression) {
        return switch (compression) {
            case NONE -> org.apache.kafka.common.compress.Compression.NONE;
            case GZIP -> org.apache.kafka.common.compress.Compression.gzip().build();
            case SNAPPY -> org.apache.kafka.common.compress.Compression.snappy().build();
            case LZ4 -> org.apache.kafka.common.compress.Compression.lz4().build();
            case ZSTD -> org.apache.kafka.common.compress.Compression.zstd().build();
        };
    }

    private static org.apache.kafka.common.record.TimestampType kafkaType(TimestampType type) {
        return type == TimestampType.CREATE_TIME ? org.apache.kafka.common.record.TimestampType.CREATE_TIME
                : org.apache.kafka.common.record.TimestampType.LOG_APPEND_TIME;
    }

    private static org.apache.kafka.common.header.Header[] kafkaHeaders(List<Header> headers) {
        return headers.stream().map(h -> new RecordHeader(h.key(), h.value()))
                .toArray(org.apache.kafka.common.header.Header[]::new);
    }

    // ---- comparisons ----

    private static void assertSameBatch(RecordBatch ours, MutableRecordBatch kafka) {
        assertThat(ours.sizeInBytes()).as("sizeInBytes").isEqualTo(kafka.sizeInBytes());
        assertThat(ours.baseOffset()).as("baseOffset").isEqualTo(kafka.baseOffset());
        assertThat(ours.lastOffset()).as("lastOffset").isEqualTo(kafka.lastOffset());
        assertThat(ours.nextOffset()).as("nextOffset").isEqualTo(kafka.nextOffset());
        assertThat(ours.partitionLeaderEpoch()).as("partitionLeaderEpoch").isEqualTo(kafka.partitionLeaderEpoch());
        assertThat(ours.magic()).as("magic").isEqualTo(kafka.magic());
        assertThat(ours.checksum()).as("checksum").isEqualTo(kafka.checksum());
        assertThat(ours.compression().id()).as("compression").isEqualTo(kafka.compressionType().id);
        assertThat(ours.timestampType().name()).as("timestampType").isEqualTo(kafka.timestampType().name());
        assertThat(ours.isTransactional()).as("isTransactional").isEqualTo(kafka.isTransactional());
        assertThat(ours.isControl()).as("isControl").isEqualTo(kafka.isControlBatch());
        assertThat(ours.maxTimestamp()).as("maxTimestamp").isEqualTo(kafka.maxTimestamp());
        assertThat(ours.producerId()).as("producerId").isEqualTo(kafka.producerId());
        assertThat(ours.producerEpoch()).as("producerEpoch").isEqualTo(kafka.producerEpoch());
        assertThat(ours.baseSequence()).as("baseSequence").isEqualTo(kafka.baseSequence());
        assertThat(ours.lastSequence()).as("lastSequence").isEqualTo(kafka.lastSequence());
        assertThat(ours.recordCount()).as("recordCount").isEqualTo(kafka.countOrNull());

        List<Record> ourRecords = ours.recordList();
        List<org.apache.kafka.common.record.internal.Record> kafkaRecords = new ArrayList<>();
        kafka.forEach(kafkaRecords::add);
        assertThat(ourRecords).hasSameSizeAs(kafkaRecords);
        for (int i = 0; i < ourRecords.size(); i++) {
            Record o = ourRecords.get(i);
            org.apache.kafka.common.record.internal.Record k = kafkaRecords.get(i);
            assertThat(o.offset()).as("offset %d", i).isEqualTo(k.offset());
            assertThat(o.timestamp()).as("timestamp %d", i).isEqualTo(k.timestamp());
            assertThat(o.sequence()).as("sequence %d", i).isEqualTo(k.sequence());
            assertThat(o.sizeInBytes()).as("record size %d", i).isEqualTo(k.sizeInBytes());
            assertThat(o.keySize()).as("keySize %d", i).isEqualTo(k.keySize());
            assertThat(o.valueSize()).as("valueSize %d", i).isEqualTo(k.valueSize());
            assertThat(toArray(o.key())).as("key %d", i).isEqualTo(toArray(k.key()));
            assertThat(toArray(o.value())).as("value %d", i).isEqualTo(toArray(k.value()));
            assertThat(o.headers()).as("headers %d", i).isEqualTo(Arrays.stream(k.headers())
                    .map(h -> new Header(h.key(), h.value())).toList());
        }
    }

    private static void assertRecords(RecordBatch batch, List<RecordSpec> expected, long baseOffset) {
        List<Long> offsets = new ArrayList<>();
        for (int i = 0; i < expected.size(); i++) {
            offsets.add(baseOffset + i);
        }
        assertRecords(batch, expected, offsets);
    }

    private static void assertRecords(RecordBatch batch, List<RecordSpec> expected, List<Long> offsets) {
        List<Record> records = batch.recordList();
        assertThat(records).hasSize(expected.size());
        for (int i = 0; i < expected.size(); i++) {
            assertThat(records.get(i).offset()).isEqualTo(offsets.get(i));
            assertThat(records.get(i).timestamp()).isEqualTo(expected.get(i).timestamp());
            assertThat(toArray(records.get(i).key())).isEqualTo(expected.get(i).key());
            assertThat(toArray(records.get(i).value())).isEqualTo(expected.get(i).value());
            assertThat(records.get(i).headers()).isEqualTo(expected.get(i).headers());
        }
    }

    private static void assertKafkaRecords(MutableRecordBatch batch, List<RecordSpec> expected, long baseOffset) {
        List<Long> offsets = new ArrayList<>();
        for (int i = 0; i < expected.size(); i++) {
            offsets.add(baseOffset + i);
        }
        assertKafkaRecords(batch, expected, offsets);
    }

    private static void assertKafkaRecords(MutableRecordBatch batch, List<RecordSpec> expected, List<Long> offsets) {
        List<org.apache.kafka.common.record.internal.Record> records = new ArrayList<>();
        batch.forEach(records::add);
        assertThat(records).hasSize(expected.size());
        for (int i = 0; i < expected.size(); i++) {
            org.apache.kafka.common.record.internal.Record k = records.get(i);
            k.ensureValid();
            assertThat(k.offset()).isEqualTo(offsets.get(i));
            assertThat(k.timestamp()).isEqualTo(expected.get(i).timestamp());
            assertThat(toArray(k.key())).isEqualTo(expected.get(i).key());
            assertThat(toArray(k.value())).isEqualTo(expected.get(i).value());
            assertThat(Arrays.stream(k.headers()).map(h -> new Header(h.key(), h.value())).toList())
                    .isEqualTo(expected.get(i).headers());
        }
    }

    private static ByteBuffer wrap(byte[] b) {
        return b == null ? null : ByteBuffer.wrap(b);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(UTF_8);
    }

    private static byte[] toArray(ByteBuffer b) {
        return RecordBatchPropertiesTest.toArray(b);
    }
}
