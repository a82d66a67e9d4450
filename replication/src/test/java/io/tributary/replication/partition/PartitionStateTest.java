package io.tributary.replication.partition;

import io.tributary.proto.internal.v1.PartitionAppend;
import io.tributary.proto.internal.v1.PartitionAppendOutcome;
import io.tributary.proto.internal.v1.PartitionEntryHeader;
import io.tributary.proto.internal.v1.PartitionKeyCondition;
import io.tributary.record.Compression;
import io.tributary.record.RecordBatchBuilder;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.tributary.proto.internal.v1.PartitionAppendOutcome.APPENDED;
import static io.tributary.proto.internal.v1.PartitionAppendOutcome.DUPLICATE;
import static io.tributary.proto.internal.v1.PartitionAppendOutcome.DUPLICATE_SEQUENCE;
import static io.tributary.proto.internal.v1.PartitionAppendOutcome.END_OFFSET_MISMATCH;
import static io.tributary.proto.internal.v1.PartitionAppendOutcome.INVALID_PRODUCER_EPOCH;
import static io.tributary.proto.internal.v1.PartitionAppendOutcome.KEY_OFFSET_MISMATCH;
import static io.tributary.proto.internal.v1.PartitionAppendOutcome.OUT_OF_ORDER_SEQUENCE;
import static io.tributary.proto.internal.v1.PartitionAppendOutcome.UNKNOWN_PRODUCER_ID;
import static org.assertj.core.api.Assertions.assertThat;

/** The decision rule of {@link PartitionState}, driven directly: no threads, no Raft, time from the entries. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PartitionStateTest {

    /** One unit to decide: its batch bytes and header. */
    record Unit(ByteBuffer bytes, PartitionAppend header) {
    }

    /** An idempotent (pid &gt;= 0) or plain unit of {@code records} records; keys k-i unless given. */
    static Unit unit(long pid, int epoch, int seq, int records, long expectedEnd, List<PartitionKeyCondition> conds,
                     String... keysAndValues) {
        RecordBatchBuilder b = new RecordBatchBuilder(Compression.NONE, Integer.MAX_VALUE);
        if (pid >= 0) {
            b.producer(pid, (short) epoch, seq);
        }
        int n = keysAndValues.length > 0 ? keysAndValues.length / 2 : records;
        for (int i = 0; i < n; i++) {
            String k = keysAndValues.length > 0 ? keysAndValues[2 * i] : null;
            String v = keysAndValues.length > 0 ? keysAndValues[2 * i + 1] : "v" + i;
            b.append(1000, k == null ? null : ByteBuffer.wrap(k.getBytes(StandardCharsets.UTF_8)),
                    v == null ? null : ByteBuffer.wrap(v.getBytes(StandardCharsets.UTF_8)));
        }
        ByteBuffer bytes = b.build().buffer().duplicate();
        PartitionAppend h = PartitionAppend.newBuilder().setRecordCount(n).setBatchCount(1)
                .setSizeBytes(bytes.remaining()).setExpectedEndOffset(expectedEnd).setProducerId(pid)
                .setProducerEpoch(pid >= 0 ? epoch : -1).setBaseSequence(pid >= 0 ? seq : -1)
                .addAllKeyConditions(conds).build();
        return new Unit(bytes, h);
    }

    static Unit seq(long pid, int epoch, int seq, int records) {
        return unit(pid, epoch, seq, records, -1, List.of());
    }

    static PartitionKeyCondition cond(String key, long expected) {
        return PartitionKeyCondition.newBuilder().setKey(com.google.protobuf.ByteString.copyFromUtf8(key))
                .setExpectedLastOffset(expected).build();
    }

    /** A small driver: an end offset, Raft indexes, the leader's clock. */
    static final class Driver {
        final PartitionState state = new PartitionState();
        long end;
        long index;
        long timeMs = 1_000_000;
        long expirationMs = 0;

        PartitionEntryFormat.Decision entry(Unit... units) {
            PartitionEntryHeader.Builder hb = PartitionEntryHeader.newBuilder().setVersion(2).setAppendTimeMs(timeMs)
                    .setProducerIdExpirationMs(expirationMs);
            int total = 0;
            for (Unit u : units) {
                hb.addAppends(u.header());
                total += u.bytes().remaining();
            }
            ByteBuffer all = ByteBuffer.allocate(total);
            for (Unit u : units) {
                all.put(u.bytes().duplicate());
            }
            all.flip();
            PartitionEntryHeader h = hb.build();
            PartitionEntryFormat.Decision d = state.decide(++index, h, end, PartitionRecords.fromEntryData(h,
                    ByteString.copyFrom(all)));
            end = d.endOffset();
            return d;
        }

        PartitionAppendOutcome one(Unit u) {
            return entry(u).outcomes()[0];
        }
    }

    @Test
    void shouldAppendInSequenceAndAnswerADuplicateWithTheOriginalOffsets() {
        Driver d = new Driver();
        d.one(seq(-1, 0, 0, 3)); // a plain producer's records first: offsets 0..2
        PartitionEntryFormat.Decision first = d.entry(seq(7, 0, 0, 2));
        assertThat(first.outcomes()[0]).isEqualTo(APPENDED);
        assertThat(first.offsets()[0]).isEqualTo(3);
        assertThat(d.one(seq(7, 0, 2, 4))).isEqualTo(APPENDED);
        assertThat(d.end).isEqualTo(9);
        PartitionEntryFormat.Decision dup = d.entry(seq(7, 0, 0, 2));
        assertThat(dup.outcomes()[0]).isEqualTo(DUPLICATE);
        assertThat(dup.offsets()[0]).isEqualTo(3);
        assertThat(dup.lastOffsets()[0]).isEqualTo(4);
        assertThat(dup.endOffset()).as("a duplicate writes nothing").isEqualTo(9);
        assertThat(d.one(seq(7, 0, 6, 1))).isEqualTo(APPENDED);
    }

    @Test
    void shouldReportAGapWithTheExpectedSequence() {
        Driver d = new Driver();
        d.one(seq(7, 0, 0, 2));
        PartitionEntryFormat.Decision gap = d.entry(seq(7, 0, 5, 1));
        assertThat(gap.outcomes()[0]).isEqualTo(OUT_OF_ORDER_SEQUENCE);
        assertThat(gap.details()[0]).isEqualTo(2);
        assertThat(d.end).isEqualTo(2);
        // A partial overlap is not a duplicate either.
        assertThat(d.one(seq(7, 0, 1, 3))).isEqualTo(OUT_OF_ORDER_SEQUENCE);
    }

    @Test
    void shouldFenceOlderEpochsAndStartANewEpochAtZero() {
        Driver d = new Driver();
        d.one(seq(7, 0, 0, 2));
        PartitionEntryFormat.Decision badStart = d.entry(seq(7, 1, 2, 1));
        assertThat(badStart.outcomes()[0]).isEqualTo(OUT_OF_ORDER_SEQUENCE);
        assertThat(badStart.details()[0]).isEqualTo(0);
        assertThat(d.one(seq(7, 1, 0, 1))).isEqualTo(APPENDED);
        PartitionEntryFormat.Decision fenced = d.entry(seq(7, 0, 2, 1));
        assertThat(fenced.outcomes()[0]).isEqualTo(INVALID_PRODUCER_EPOCH);
        assertThat(fenced.details()[0]).isEqualTo(1);
        // The old epoch's units are no longer remembered as duplicates either.
        assertThat(d.one(seq(7, 0, 0, 2))).isEqualTo(INVALID_PRODUCER_EPOCH);
    }

    @Test
    void shouldRefuseAnUnknownProducerThatDoesNotStartAtZero() {
        Driver d = new Driver();
        assertThat(d.one(seq(9, 0, 4, 1))).isEqualTo(UNKNOWN_PRODUCER_ID);
        assertThat(d.one(seq(9, 0, 0, 1))).isEqualTo(APPENDED);
    }

    @Test
    void shouldAnswerAnOldDuplicateBeyondTheLastFiveUnitsWithDuplicateSequence() {
        Driver d = new Driver();
        for (int i = 0; i < 7; i++) {
            assertThat(d.one(seq(7, 0, i, 1))).isEqualTo(APPENDED);
        }
        assertThat(d.one(seq(7, 0, 2, 1))).as("remembered").isEqualTo(DUPLICATE);
        PartitionEntryFormat.Decision old = d.entry(seq(7, 0, 1, 1));
        assertThat(old.outcomes()[0]).isEqualTo(DUPLICATE_SEQUENCE);
        assertThat(old.details()[0]).isEqualTo(6);
    }

    @Test
    void shouldWrapSequencesAfterIntegerMaxValue() {
        Driver d = new Driver();
        PartitionState.ProducerEntry near = new PartitionState.ProducerEntry(0, d.timeMs,
                List.of(new PartitionState.BatchMeta(Integer.MAX_VALUE - 3, Integer.MAX_VALUE - 2, 0, 1)));
        d.state.producers.put(7L, near);
        d.end = 2;
        PartitionEntryFormat.Decision across = d.entry(seq(7, 0, Integer.MAX_VALUE - 1, 4)); // MAX-1, MAX, 0, 1
        assertThat(across.outcomes()[0]).isEqualTo(APPENDED);
        assertThat(d.state.producer(7).lastSequence()).isEqualTo(1);
        assertThat(d.one(seq(7, 0, 2, 1))).isEqualTo(APPENDED);
        assertThat(d.one(seq(7, 0, Integer.MAX_VALUE - 1, 4))).isEqualTo(DUPLICATE);
    }

    @Test
    void shouldCheckTheDuplicateBeforeTheCondition() {
        Driver d = new Driver();
        Unit u = unit(7, 0, 0, 1, 0, List.of());
        assertThat(d.one(u)).isEqualTo(APPENDED);
        PartitionEntryFormat.Decision retry = d.entry(u); // its condition (end 0) no longer holds
        assertThat(retry.outcomes()[0]).isEqualTo(DUPLICATE);
        assertThat(retry.offsets()[0]).isEqualTo(0);
        assertThat(d.one(unit(7, 0, 1, 1, 0, List.of()))).isEqualTo(END_OFFSET_MISMATCH);
        assertThat(d.state.producer(7).lastSequence()).as("a failed condition does not advance the sequence")
                .isEqualTo(0);
    }

    @Test
    void shouldForgetAProducerAfterTheExpiryOfTheLeadersClock() {
        Driver d = new Driver();
        d.expirationMs = 10_000;
        d.one(seq(7, 0, 0, 1));
        d.timeMs += 9_000;
        assertThat(d.one(seq(7, 0, 1, 1))).isEqualTo(APPENDED);
        d.timeMs += 10_001;
        assertThat(d.one(seq(7, 0, 2, 1))).isEqualTo(UNKNOWN_PRODUCER_ID);
        assertThat(d.state.producer(7)).as("swept").isNull();
        assertThat(d.one(seq(7, 0, 0, 1))).as("starts again at 0").isEqualTo(APPENDED);
        // A leader whose clock is behind does not move the state's clock back.
        long clock = d.state.clockMs;
        d.timeMs -= 50_000;
        d.one(seq(-1, 0, 0, 1));
        assertThat(d.state.clockMs).isEqualTo(clock);
    }

    @Test
    void shouldCheckKeyConditionsAgainstTheLastRecordOfTheKey() {
        Driver d = new Driver();
        d.one(unit(-1, 0, 0, 0, -1, List.of(), "a", "1", "b", "1", "a", "2")); // a@2, b@1
        assertThat(d.state.lastOffsetOf("a".getBytes(StandardCharsets.UTF_8))).isEqualTo(2);
        assertThat(d.one(unit(-1, 0, 0, 0, -1, List.of(cond("a", 2), cond("new", -1)), "a", "3")))
                .isEqualTo(APPENDED); // a@3
        PartitionEntryFormat.Decision mismatch = d.entry(unit(-1, 0, 0, 0, -1, List.of(cond("b", 1), cond("a", 2)),
                "a", "4"));
        assertThat(mismatch.outcomes()[0]).isEqualTo(KEY_OFFSET_MISMATCH);
        assertThat(mismatch.offsets()[0]).isEqualTo(3);
        assertThat(mismatch.details()[0]).isEqualTo(1);
        assertThat(mismatch.endOffset()).isEqualTo(4);
        PartitionEntryFormat.Decision absent = d.entry(unit(-1, 0, 0, 0, -1, List.of(cond("zzz", 0)), "a", "4"));
        assertThat(absent.outcomes()[0]).isEqualTo(KEY_OFFSET_MISMATCH);
        assertThat(absent.offsets()[0]).isEqualTo(-1);
        // A tombstone: the key counts as having no record.
        d.one(unit(-1, 0, 0, 0, -1, List.of(), "b", null));
        assertThat(d.state.lastOffsetOf("b".getBytes(StandardCharsets.UTF_8))).isEqualTo(-1);
        assertThat(d.one(unit(-1, 0, 0, 0, -1, List.of(cond("b", -1)), "b", "again"))).isEqualTo(APPENDED);
    }

    @Test
    void shouldLetOnlyOneOfTwoConditionalAppendsOfOneEntryWin() {
        Driver d = new Driver();
        d.one(unit(-1, 0, 0, 0, -1, List.of(), "agg", "created"));
        PartitionEntryFormat.Decision both = d.entry(
                unit(-1, 0, 0, 0, -1, List.of(cond("agg", 0)), "agg", "x"),
                unit(-1, 0, 0, 0, -1, List.of(cond("agg", 0)), "agg", "y"));
        assertThat(both.outcomes()).containsExactly(APPENDED, KEY_OFFSET_MISMATCH);
        assertThat(both.offsets()[1]).isEqualTo(1);
    }

    @Test
    void shouldUndoTheChangesOfCutEntriesAndSnapshotAtTheAppliedIndex() {
        Driver d = new Driver();
        d.one(unit(7, 0, 0, 0, -1, List.of(), "a", "1"));             // index 1
        d.state.applied(1);
        d.one(unit(7, 0, 1, 0, -1, List.of(), "a", "2", "b", "1"));   // index 2
        d.one(unit(8, 0, 0, 0, -1, List.of(), "a", null));            // index 3
        PartitionState at1 = d.state.copyAt(1);
        assertThat(at1.lastOffsetOf("a".getBytes(StandardCharsets.UTF_8))).isEqualTo(0);
        assertThat(at1.lastOffsetOf("b".getBytes(StandardCharsets.UTF_8))).isEqualTo(-1);
        assertThat(at1.producer(8)).isNull();
        assertThat(at1.producer(7).lastSequence()).isEqualTo(0);
        assertThat(d.state.lastOffsetOf("a".getBytes(StandardCharsets.UTF_8))).as("live state unchanged").isEqualTo(-1);
        d.state.undoFrom(3);
        assertThat(d.state.lastOffsetOf("a".getBytes(StandardCharsets.UTF_8))).isEqualTo(1);
        assertThat(d.state.producer(8)).isNull();
        d.state.undoFrom(2);
        assertThat(d.state.lastOffsetOf("a".getBytes(StandardCharsets.UTF_8))).isEqualTo(0);
        assertThat(d.state.producer(7).lastSequence()).isEqualTo(0);
        assertThat(d.state.pendingEntries()).isZero();
    }

    /** Sequences of many producers with random duplicates and gaps decide the same after a snapshot round trip. */
    @Test
    void shouldDecideTheSameFromASnapshotCopy(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        Driver a = new Driver();
        java.util.Random rnd = new java.util.Random(42);
        int[] next = new int[5];
        for (int i = 0; i < 200; i++) {
            int p = rnd.nextInt(5);
            int s = rnd.nextInt(10) == 0 ? Math.max(0, next[p] - 1 - rnd.nextInt(3)) : next[p];
            if (a.one(unit(p, 0, s, 0, -1, List.of(), "k" + rnd.nextInt(20), rnd.nextInt(5) == 0 ? null : "v"))
                    == APPENDED) {
                next[p] = s + 1;
            }
        }
        java.nio.file.Path f = dir.resolve("state.bin");
        PartitionStateFormat.write(a.state.copyAt(a.index), f);
        Driver b = new Driver();
        PartitionState read = PartitionStateFormat.read(f);
        Driver c = new Driver();
        c.end = a.end;
        c.index = a.index;
        c.state.producers.putAll(read.producers);
        c.state.keys.putAll(read.keys);
        c.state.clockMs = read.clockMs;
        c.state.lastSweepMs = read.lastSweepMs;
        List<PartitionAppendOutcome> fromA = new ArrayList<>();
        List<PartitionAppendOutcome> fromC = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            int p = rnd.nextInt(5);
            Unit u = unit(p, 0, Math.max(0, next[p] - rnd.nextInt(3)), 0, -1,
                    List.of(cond("k" + rnd.nextInt(20), rnd.nextInt(3) == 0 ? -1 : rnd.nextInt((int) a.end + 1))),
                    "k" + rnd.nextInt(20), "v");
            PartitionAppendOutcome oa = a.one(u);
            fromA.add(oa);
            fromC.add(c.one(u));
            if (oa == APPENDED) {
                next[p] = u.header().getBaseSequence() + 1;
            }
        }
        assertThat(fromC).isEqualTo(fromA);
        assertThat(fromA).contains(APPENDED, DUPLICATE);
        assertThat(b.state.producers).isEmpty();
    }

    /** The entry as a lagging follower gets it from the leader's segment: only the appended units' bytes. */
    @Test
    void shouldIndexKeysFromCompactedEntryDataAndCompressedMultiBatchUnits() {
        Driver leader = new Driver();
        Driver follower = new Driver();
        Unit first = unit(7, 0, 0, 0, -1, List.of(), "a", "1");
        leader.one(first);
        follower.one(first);
        // One entry: a duplicate of `first` (not written), then a unit of two LZ4 batches.
        RecordBatchBuilder b1 = new RecordBatchBuilder(Compression.LZ4, Integer.MAX_VALUE).producer(7, (short) 0, 1);
        b1.append(1000, ByteBuffer.wrap("b".getBytes(StandardCharsets.UTF_8)), ByteBuffer.wrap(new byte[] {1}));
        b1.append(1000, ByteBuffer.wrap("a".getBytes(StandardCharsets.UTF_8)), ByteBuffer.wrap(new byte[] {2}));
        RecordBatchBuilder b2 = new RecordBatchBuilder(Compression.LZ4, Integer.MAX_VALUE).producer(7, (short) 0, 3);
        b2.append(1000, ByteBuffer.wrap("c".getBytes(StandardCharsets.UTF_8)), ByteBuffer.wrap(new byte[] {3}));
        ByteBuffer one = b1.build().buffer();
        ByteBuffer two = b2.build().buffer();
        ByteBuffer both = ByteBuffer.allocate(one.remaining() + two.remaining());
        both.put(one.duplicate()).put(two.duplicate()).flip();
        Unit multi = new Unit(both, PartitionAppend.newBuilder().setRecordCount(3).setBatchCount(2)
                .setSizeBytes(both.remaining()).setExpectedEndOffset(-1).setProducerId(7).setProducerEpoch(0)
                .setBaseSequence(1).build());
        PartitionEntryFormat.Decision d = leader.entry(first, multi);
        assertThat(d.outcomes()).containsExactly(DUPLICATE, APPENDED);

        PartitionEntryHeader h = PartitionEntryHeader.newBuilder().setVersion(2).setAppendTimeMs(follower.timeMs)
                .addAppends(first.header()).addAppends(multi.header()).build();
        PartitionEntryFormat.Decision f = follower.state.decide(++follower.index, h, follower.end,
                PartitionRecords.fromEntryData(h, ByteString.copyFrom(both.duplicate())));
        assertThat(f.outcomes()).containsExactly(DUPLICATE, APPENDED);
        for (Driver x : List.of(leader, follower)) {
            assertThat(x.state.lastOffsetOf("a".getBytes(StandardCharsets.UTF_8))).isEqualTo(2);
            assertThat(x.state.lastOffsetOf("b".getBytes(StandardCharsets.UTF_8))).isEqualTo(1);
            assertThat(x.state.lastOffsetOf("c".getBytes(StandardCharsets.UTF_8))).isEqualTo(3);
            assertThat(x.state.producer(7).lastSequence()).isEqualTo(3);
        }
    }
}
