package io.tributary.record;

import static io.tributary.record.RecordBatchFormat.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.tributary.record.InvalidRecordBatchException.Reason;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.constraints.IntRange;

/**
 * Properties of the batch format: round trips for every codec, CRC coverage, torn tails, and
 * that malformed bytes fail only with {@link InvalidRecordBatchException}.
 */
class RecordBatchPropertiesTest {

    /** One record to append; {@code offsetGap} > 0 means appendWithOffset leaving that many offsets out. */
    record RecordSpec(long timestamp, byte[] key, byte[] value, List<Header> headers, int offsetGap) {
        @Override
        public String toString() {
            return "RecordSpec(ts=" + timestamp + ", key=" + len(key) + ", value=" + len(value) + ", headers="
                    + headers + ", gap=" + offsetGap + ")";
        }

        private static String len(byte[] b) {
            return b == null ? "null" : b.length + "B";
        }
    }

    /** A batch to build: batch-level fields plus its records. */
    record BatchSpec(long baseOffset, int leaderEpoch, long producerId, short producerEpoch, int baseSequence,
                     boolean transactional, int extraLastOffsetDelta, List<RecordSpec> records) {
    }

    @Property(tries = 250)
    void anyRecordsRoundTripThroughEveryCodec(@ForAll Compression compression, @ForAll("batches") BatchSpec spec) {
        RecordBatch built = build(compression, spec);
        Statistics.label("codec").collect(compression);
        Statistics.label("has payload > 64 KiB").collect(spec.records().stream().anyMatch(
                r -> (r.key() != null && r.key().length > 65_536) || (r.value() != null && r.value().length > 65_536)));
        Statistics.label("has offset gap").collect(spec.records().stream().anyMatch(r -> r.offsetGap() > 0));
        Statistics.label("has header").collect(spec.records().stream().anyMatch(r -> !r.headers().isEmpty()));

        // Read it back through a fresh wrap of a copy of the bytes, as a log or a network would.
        ByteBuffer copy = ByteBuffer.allocate(built.sizeInBytes());
        copy.put(built.buffer()).flip();
        RecordBatch batch = RecordBatch.wrap(copy);
        batch.validate();
        batch.validateRecords();

        List<Long> offsets = expectedOffsets(spec);
        long lastOffset = offsets.get(offsets.size() - 1) + spec.extraLastOffsetDelta();
        assertThat(batch.compression()).isEqualTo(compression);
        assertThat(batch.baseOffset()).isEqualTo(spec.baseOffset());
        assertThat(batch.lastOffset()).isEqualTo(lastOffset);
        assertThat(batch.partitionLeaderEpoch()).isEqualTo(spec.leaderEpoch());
        assertThat(batch.producerId()).isEqualTo(spec.producerId());
        assertThat(batch.producerEpoch()).isEqualTo(spec.producerEpoch());
        assertThat(batch.baseSequence()).isEqualTo(spec.baseSequence());
        assertThat(batch.isTransactional()).isEqualTo(spec.transactional());
        assertThat(batch.recordCount()).isEqualTo(spec.records().size());
        assertThat(batch.baseTimestamp()).isEqualTo(spec.records().get(0).timestamp());
        assertThat(batch.maxTimestamp())
                .isEqualTo(spec.records().stream().mapToLong(RecordSpec::timestamp).max().orElseThrow());

        List<Record> records = batch.recordList();
        assertThat(records).hasSize(spec.records().size());
        for (int i = 0; i < records.size(); i++) {
            Record actual = records.get(i);
            RecordSpec expected = spec.records().get(i);
            assertThat(actual.offset()).as("offset of record %d", i).isEqualTo(offsets.get(i));
            assertThat(actual.timestamp()).as("timestamp of record %d", i).isEqualTo(expected.timestamp());
            assertThat(toArray(actual.key())).as("key of record %d", i).isEqualTo(expected.key());
            assertThat(toArray(actual.value())).as("value of record %d", i).isEqualTo(expected.value());
            assertThat(actual.headers()).as("headers of record %d", i).isEqualTo(expected.headers());
            int expectedSequence = spec.baseSequence() == NO_SEQUENCE ? NO_SEQUENCE
                    : RecordBatch.incrementSequence(spec.baseSequence(), (int) (offsets.get(i) - spec.baseOffset()));
            assertThat(actual.sequence()).isEqualTo(expectedSequence);
        }
    }

    @Property(tries = 400)
    void anySingleBitFlipInCrcCoveredBytesIsDetected(@ForAll Compression compression,
                                                      @ForAll("smallBatches") BatchSpec spec,
                                                      @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int where) {
        ByteBuffer bytes = build(compression, spec).buffer();
        int coveredBits = (bytes.limit() - ATTRIBUTES_OFFSET) * 8;
        int bit = ATTRIBUTES_OFFSET * 8 + where % coveredBits;
        flip(bytes, bit);
        RecordBatch batch = RecordBatch.wrap(bytes);
        assertThat(batch.isValid()).isFalse();
        assertThatThrownBy(batch::validate).isInstanceOfSatisfying(InvalidRecordBatchException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.CRC_MISMATCH));
    }

    @Property(tries = 200)
    void bitFlipsInTheStoredCrcAreDetected(@ForAll("smallBatches") BatchSpec spec,
                                           @ForAll @IntRange(min = 0, max = CRC_LENGTH * 8 - 1) int bit) {
        ByteBuffer bytes = build(Compression.NONE, spec).buffer();
        flip(bytes, CRC_OFFSET * 8 + bit);
        assertThat(RecordBatch.wrap(bytes).isValid()).isFalse();
    }

    @Property(tries = 300)
    void flipsInBaseOffsetOrLeaderEpochAreNotCrcCovered(@ForAll Compression compression,
                                                         @ForAll("smallBatches") BatchSpec spec,
                                                         @ForAll @IntRange(min = 0, max = 95) int which) {
        ByteBuffer bytes = build(compression, spec).buffer();
        // 64 bits of baseOffset (bytes 0-7), then 32 bits of partitionLeaderEpoch (bytes 12-15).
        int bit = which < 64 ? which : PARTITION_LEADER_EPOCH_OFFSET * 8 + (which - 64);
        flip(bytes, bit);
        RecordBatch batch = RecordBatch.wrap(bytes);
        assertThat(batch.isValid()).isTrue();
        batch.validate();
        assertThat(batch.recordList()).hasSize(spec.records().size());
    }

    @Property(tries = 200)
    void anyCutOfBackToBackBatchesYieldsTheWholeBatchesThenTruncated(
            @ForAll("smallBatchLists") List<BatchSpec> specs, @ForAll @IntRange(min = 0, max = 100_000) int cutSeed) {
        List<ByteBuffer> batches = new ArrayList<>();
        int total = 0;
        for (BatchSpec spec : specs) {
            ByteBuffer b = build(Compression.NONE, spec).buffer();
            total += b.remaining();
            batches.add(b);
        }
        ByteBuffer log = ByteBuffer.allocate(total);
        batches.forEach(b -> log.put(b.duplicate()));
        log.flip();
        int cut = cutSeed % (total + 1);
        ByteBuffer torn = log.duplicate().limit(cut);

        List<RecordBatch> read = new ArrayList<>();
        Throwable thrown = catchThrowable(() -> RecordBatches.iterate(torn).forEach(read::add));

        int whole = 0;
        int boundary = 0;
        while (whole < batches.size() && boundary + batches.get(whole).remaining() <= cut) {
            boundary += batches.get(whole).remaining();
            whole++;
        }
        assertThat(read).hasSize(whole);
        read.forEach(RecordBatch::validate);
        if (boundary == cut) {
            assertThat(thrown).isNull();
        } else {
            assertThat(thrown).isInstanceOfSatisfying(InvalidRecordBatchException.class,
                    e -> assertThat(e.reason()).isEqualTo(Reason.TRUNCATED));
        }
    }

    @Property(tries = 300)
    void garbageInTheRecordsSectionFailsOnlyWithInvalidRecordBatchException(
            @ForAll Compression compression, @ForAll("smallBatches") BatchSpec spec,
            @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int where, @ForAll byte garbage) {
        ByteBuffer bytes = build(compression, spec).buffer();
        int position = RECORDS_OFFSET + where % (bytes.limit() - RECORDS_OFFSET);
        bytes.put(position, (byte) (bytes.get(position) ^ (garbage == 0 ? 1 : garbage)));
        RecordBatch batch = RecordBatch.wrap(bytes);
        batch.buffer().putInt(CRC_OFFSET, (int) batch.computeChecksum()); // get past the CRC check
        Throwable thrown = catchThrowable(() -> {
            batch.validateRecords();
            for (Record r : batch.recordList()) {
                r.headers();
                r.key();
                r.value();
            }
        });
        if (thrown != null) {
            assertThat(thrown).isInstanceOf(InvalidRecordBatchException.class);
        }
    }

    @Property(tries = 500)
    void utf8LengthMatchesStringGetBytes(@ForAll String s) {
        assertThat(RecordBatchBuilder.utf8Length(s)).isEqualTo(s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
    }

    // ---- generators ----

    @Provide
    Arbitrary<BatchSpec> batches() {
        return batchSpecs(records(payloads(200_000), 40));
    }

    @Provide
    Arbitrary<BatchSpec> smallBatches() {
        return batchSpecs(records(payloads(300), 8));
    }

    @Provide
    Arbitrary<List<BatchSpec>> smallBatchLists() {
        return smallBatches().list().ofMinSize(1).ofMaxSize(5);
    }

    private static Arbitrary<BatchSpec> batchSpecs(Arbitrary<List<RecordSpec>> records) {
        Arbitrary<Long> baseOffset = Arbitraries.longs().between(0, Long.MAX_VALUE / 2);
        Arbitrary<Integer> epoch = Arbitraries.integers().between(-1, Integer.MAX_VALUE);
        Arbitrary<Long> producerId = Arbitraries.oneOf(Arbitraries.just(NO_PRODUCER_ID),
                Arbitraries.longs().between(0, Long.MAX_VALUE));
        Arbitrary<Short> producerEpoch = Arbitraries.shorts().between((short) -1, Short.MAX_VALUE);
        Arbitrary<Integer> baseSequence = Arbitraries.oneOf(Arbitraries.just(NO_SEQUENCE),
                Arbitraries.integers().between(0, Integer.MAX_VALUE));
        Arbitrary<Boolean> transactional = Arbitraries.of(true, false);
        Arbitrary<Integer> extraDelta = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, Arbitraries.just(0)),
                net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(1, 1000)));
        // Producer state as Kafka's builder accepts it: all -1, or all set (transactional needs an id).
        return Combinators.combine(baseOffset, epoch, producerId, producerEpoch, baseSequence, transactional,
                extraDelta, records).as((o, e, pid, pe, seq, txn, extra, rs) -> pid == NO_PRODUCER_ID
                        ? new BatchSpec(o, e, NO_PRODUCER_ID, NO_PRODUCER_EPOCH, NO_SEQUENCE, false, extra, rs)
                        : new BatchSpec(o, e, pid, (short) Math.max(0, pe), Math.max(0, seq), txn, extra, rs));
    }

    private static Arbitrary<List<RecordSpec>> records(Arbitrary<byte[]> payloads, int maxRecords) {
        Arbitrary<Long> timestamps = Arbitraries.oneOf(
                Arbitraries.longs(),
                Arbitraries.longs().between(1_600_000_000_000L, 1_900_000_000_000L),
                Arbitraries.just(NO_TIMESTAMP));
        Arbitrary<String> headerKeys = Arbitraries.strings()
                .withCharRange('\u0000', '\uD7FF') // valid UTF-16: lone surrogates do not survive UTF-8
                .ofMaxLength(20);
        Arbitrary<byte[]> headerValues = Arbitraries.oneOf(Arbitraries.just(null),
                Arbitraries.bytes().array(byte[].class).ofMaxSize(40));
        Arbitrary<Header> header = Combinators.combine(headerKeys, headerValues).as(Header::new);
        Arbitrary<Integer> gaps = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(5, Arbitraries.just(0)),
                net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(1, 10_000)));
        Arbitrary<RecordSpec> record = Combinators.combine(timestamps, payloads, payloads,
                header.list().ofMaxSize(4), gaps).as(RecordSpec::new);
        return record.list().ofMinSize(1).ofMaxSize(maxRecords);
    }

    /** null, empty, small, and now and then large. */
    private static Arbitrary<byte[]> payloads(int maxLarge) {
        Arbitrary<byte[]> small = Arbitraries.bytes().array(byte[].class).ofMaxSize(64);
        Arbitrary<byte[]> large = Arbitraries.integers().between(65, maxLarge).map(n -> {
            byte[] b = new byte[n];
            for (int i = 0; i < n; i++) {
                b[i] = (byte) ((i * 31) ^ (i >>> 8)); // some structure, so codecs have work to do
            }
            return b;
        });
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(1, Arbitraries.just(null)),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(new byte[0])),
                net.jqwik.api.Tuple.of(8, small),
                net.jqwik.api.Tuple.of(1, large));
    }

    // ---- helpers ----

    static RecordBatch build(Compression compression, BatchSpec spec) {
        RecordBatchBuilder builder = new RecordBatchBuilder(compression, Integer.MAX_VALUE)
                .baseOffset(spec.baseOffset())
                .partitionLeaderEpoch(spec.leaderEpoch())
                .producer(spec.producerId(), spec.producerEpoch(), spec.baseSequence())
                .transactional(spec.transactional());
        List<Long> offsets = expectedOffsets(spec);
        for (int i = 0; i < spec.records().size(); i++) {
            RecordSpec r = spec.records().get(i);
            ByteBuffer key = r.key() == null ? null : ByteBuffer.wrap(r.key());
            ByteBuffer value = r.value() == null ? null : ByteBuffer.wrap(r.value());
            Header[] headers = r.headers().toArray(new Header[0]);
            if (r.offsetGap() == 0) {
                builder.append(r.timestamp(), key, value, headers);
            } else {
                builder.appendWithOffset(offsets.get(i), r.timestamp(), key, value, headers);
            }
        }
        if (spec.extraLastOffsetDelta() > 0) {
            builder.lastOffsetDelta((int) (offsets.get(offsets.size() - 1) - spec.baseOffset())
                    + spec.extraLastOffsetDelta());
        }
        RecordBatch batch = builder.build();
        batch.validate();
        return batch;
    }

    static List<Long> expectedOffsets(BatchSpec spec) {
        List<Long> offsets = new ArrayList<>();
        long next = spec.baseOffset();
        for (RecordSpec r : spec.records()) {
            long offset = next + r.offsetGap();
            offsets.add(offset);
            next = offset + 1;
        }
        return offsets;
    }

    static byte[] toArray(ByteBuffer b) {
        if (b == null) {
            return null;
        }
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return a;
    }

    private static void flip(ByteBuffer bytes, int bit) {
        int index = bit / 8;
        bytes.put(index, (byte) (bytes.get(index) ^ (1 << (bit % 8))));
    }

    @SuppressWarnings("unused")
    private static String hex(byte[] b) {
        return Arrays.toString(b);
    }
}
