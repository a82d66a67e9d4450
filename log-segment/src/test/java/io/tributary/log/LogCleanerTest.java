package io.tributary.log;

import io.tributary.log.internal.CleanerCheckpointFile;
import io.tributary.log.internal.LogFiles;
import io.tributary.record.Compression;
import io.tributary.record.Header;
import io.tributary.record.Record;
import io.tributary.record.RecordBatch;
import io.tributary.record.RecordBatchBuilder;
import io.tributary.record.RecordBatches;
import io.tributary.record.TimestampType;
import net.openhft.chronicle.core.io.AbstractReferenceCounted;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

@Timeout(60)
class LogCleanerTest {
    static final long T0 = 1_700_000_000_000L;

    @TempDir
    Path root;

    final AtomicLong clock = new AtomicLong(T0);
    final List<AutoCloseable> opened = new ArrayList<>();

    @BeforeAll
    static void trace() {
        AbstractReferenceCounted.enableReferenceTracing();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = opened.size() - 1; i >= 0; i--) {
            opened.get(i).close();
        }
        AbstractReferenceCounted.assertReferencesReleased();
    }

    // ================================================================ what survives

    @Test
    void shouldKeepTheNewestValueOfEachKeyAtItsOriginalOffset() throws Exception {
        Log log = open(dir("a"), compact());
        Map<String, Rec> newest = new LinkedHashMap<>();
        for (int round = 0; round < 20; round++) {
            for (int k = 0; k < 10; k++) {
                long offset = log.logEndOffset();
                log.append(batch(clock.get(), kv("k" + k, "v" + round)), 3);
                newest.put("k" + k, new Rec(offset, "k" + k, "v" + round));
            }
        }
        log.roll();
        long end = log.logEndOffset();
        long sizeBefore = log.sizeInBytes();

        LogCleaner.CleaningResult r = cleaner().cleanNow(log);

        assertThat(r.status()).isEqualTo(LogCleaner.Status.CLEANED);
        assertThat(r.cleanedUpTo()).isEqualTo(end);
        assertThat(readAll(log)).containsExactlyElementsOf(newest.values());
        assertThat(log.logEndOffset()).isEqualTo(end);
        assertThat(log.sizeInBytes()).isLessThan(sizeBefore / 5);
        assertThat(r.stats().recordsDropped()).isEqualTo(190);
        assertThat(CleanerCheckpointFile.read(log.dir())).hasValue(end);
        assertThat(allBatches(log)).allSatisfy(b -> assertThat(b.isValid()).isTrue());
        assertNoLeftoverFiles(log.dir());

        Log again = reopen(log, compact());
        assertThat(readAll(again)).containsExactlyElementsOf(newest.values());
        assertThat(again.logEndOffset()).isEqualTo(end);
    }

    @Test
    void shouldKeepRecordsWithoutKeyAndDropOnlySupersededOnes() throws Exception {
        Log log = open(dir("a"), compact());
        log.append(batch(clock.get(), kv(null, "u0"), kv("a", "1"), kv(null, "u1"), kv("b", "1")), 0);
        log.append(batch(clock.get(), kv("a", "2"), kv(null, "u2")), 0);
        log.roll();

        cleaner().cleanNow(log);

        assertThat(readAll(log)).containsExactly(new Rec(0, null, "u0"), new Rec(2, null, "u1"),
                new Rec(3, "b", "1"), new Rec(4, "a", "2"), new Rec(5, null, "u2"));
    }

    @Test
    void shouldKeepTombstonesForDeleteRetentionThenDropThem() throws Exception {
        Log log = open(dir("a"), compact().toBuilder().deleteRetentionMs(60_000).build());
        log.append(batch(clock.get(), kv("a", "1"), kv("b", "1")), 0);
        log.append(batch(clock.get(), kv("a", null)), 0); // tombstone for a
        log.append(batch(clock.get(), kv("c", "1")), 0);
        log.roll();
        LogCleaner cleaner = cleaner();

        cleaner.cleanNow(log);
        assertThat(readAll(log)).containsExactly(new Rec(1, "b", "1"), new Rec(2, "a", null), new Rec(3, "c", "1"));

        clock.addAndGet(60_000); // exactly the retention: still kept
        cleaner.cleanNow(log);
        assertThat(readAll(log)).extracting(Rec::key).containsExactly("b", "a", "c");

        clock.addAndGet(1);
        LogCleaner.CleaningResult r = cleaner.cleanNow(log);
        assertThat(r.stats().tombstonesDropped()).isEqualTo(1);
        assertThat(readAll(log)).containsExactly(new Rec(1, "b", "1"), new Rec(3, "c", "1"));
        assertThat(reopenAndReadAll(log)).containsExactly(new Rec(1, "b", "1"), new Rec(3, "c", "1"));
    }

    @Test
    void shouldNotDropOlderValuesOfATombstonedKeyBeyondTheMap() throws Exception {
        // The map holds ~8 keys: the first pass covers only part of the dirty section. A tombstone
        // past what the map covers must survive that pass even if old, or the older value of its key
        // (cleaned in an earlier section) would come back.
        Log log = open(dir("a"), compact().toBuilder().deleteRetentionMs(0).build());
        log.append(batch(clock.get(), kv("victim", "old")), 0);
        for (int i = 0; i < 60; i++) {
            log.append(batch(clock.get(), kv("k" + i, "v")), 0);
        }
        log.append(batch(clock.get(), kv("victim", null)), 0);
        log.roll();
        clock.addAndGet(1);
        LogCleaner cleaner = cleaner(LogCleanerConfig.builder().dedupeBufferBytes(1024).build());

        LogCleaner.CleaningResult first = cleaner.cleanNow(log);
        assertThat(first.cleanedUpTo()).isLessThan(log.logEndOffset());
        for (int pass = 0; pass < 10 && keys(readAll(log)).contains("victim"); pass++) {
            List<Rec> victim = readAll(log).stream().filter(rec -> "victim".equals(rec.key())).toList();
            assertThat(victim).last().extracting(Rec::value).isNull(); // the old value never shows alone
            cleaner.cleanNow(log);
        }
        assertThat(keys(readAll(log))).doesNotContain("victim").hasSize(60);
    }

    @Test
    void shouldRespectMinCompactionLag() throws Exception {
        Log log = open(dir("a"), compact().toBuilder().minCompactionLagMs(3_600_000).build());
        for (int i = 0; i < 10; i++) {
            log.append(batch(clock.get(), kv("k", "v" + i)), 0);
        }
        log.roll();
        LogCleaner cleaner = cleaner();

        LogCleaner.CleaningResult tooNew = cleaner.cleanNow(log);
        assertThat(tooNew.status()).isEqualTo(LogCleaner.Status.NOTHING_TO_CLEAN);
        assertThat(readAll(log)).hasSize(10);

        clock.addAndGet(3_600_000);
        assertThat(cleaner.cleanNow(log).status()).isEqualTo(LogCleaner.Status.CLEANED);
        assertThat(readAll(log)).containsExactly(new Rec(9, "k", "v9"));
    }

    @Test
    void shouldNeverTouchTheActiveSegment() throws Exception {
        Log log = open(dir("a"), compact());
        for (int i = 0; i < 5; i++) {
            log.append(batch(clock.get(), kv("k", "closed" + i)), 0);
        }
        log.roll();
        for (int i = 0; i < 5; i++) {
            log.append(batch(clock.get(), kv("k", "active" + i)), 0);
        }
        List<Long> segmentsBefore = log.segmentBaseOffsets();

        LogCleaner.CleaningResult r = cleaner().cleanNow(log);

        // The closed segment keeps its newest record: nothing of the active segment was mapped.
        assertThat(r.cleanedUpTo()).isEqualTo(5);
        assertThat(readAll(log)).extracting(Rec::value)
                .containsExactly("closed4", "active0", "active1", "active2", "active3", "active4");
        assertThat(log.segmentBaseOffsets()).isEqualTo(segmentsBefore);
        log.append(batch(clock.get(), kv("k", "more")), 0);
        assertThat(readAll(log)).hasSize(7);
    }

    @Test
    void shouldPreserveBatchFieldsWhenReencodingAndCopyUnchangedBatchesAsTheyAre() throws Exception {
        Log log = open(dir("a"), compact());
        RecordBatchBuilder u = new RecordBatchBuilder(Compression.GZIP, 1 << 20).producer(77L, (short) 4, 100);
        u.append(clock.get(), bytes("x"), bytes("x1"), new Header("h", bytes0("hv")));
        u.append(clock.get(), bytes("y"), bytes("y1"));
        ByteBuffer untouched = u.build().buffer();
        RecordBatchBuilder s = new RecordBatchBuilder(Compression.LZ4, 1 << 20).producer(88L, (short) 2, 500);
        s.append(T0 + 1, bytes("a"), bytes("a1"), new Header("trace", bytes0("t1")));
        s.append(T0 + 2, bytes("b"), bytes("b1"));
        s.append(T0 + 3, bytes("c"), bytes("c1"));
        ByteBuffer shrinking = s.build().buffer();
        log.append(untouched.duplicate(), 9);
        log.append(shrinking.duplicate(), 11);
        log.append(batch(clock.get(), kv("c", "c2")), 11);
        log.roll();
        RecordBatch storedUntouched = allBatches(log).get(0);
        byte[] untouchedBytes = toBytes(storedUntouched.buffer());

        cleaner().cleanNow(log);

        List<RecordBatch> batches = allBatches(log);
        assertThat(batches).hasSize(3);
        assertThat(toBytes(batches.get(0).buffer())).isEqualTo(untouchedBytes);
        RecordBatch re = batches.get(1);
        assertThat(re.isValid()).isTrue();
        assertThat(re.baseOffset()).isEqualTo(2);
        assertThat(re.lastOffsetDelta()).isEqualTo(2);
        assertThat(re.recordCount()).isEqualTo(2);
        assertThat(re.compression()).isEqualTo(Compression.LZ4);
        assertThat(re.producerId()).isEqualTo(88L);
        assertThat(re.producerEpoch()).isEqualTo((short) 2);
        assertThat(re.baseSequence()).isEqualTo(500);
        assertThat(re.partitionLeaderEpoch()).isEqualTo(11);
        assertThat(re.timestampType()).isEqualTo(TimestampType.CREATE_TIME);
        assertThat(re.maxTimestamp()).isEqualTo(T0 + 2);
        List<Record> records = re.recordList();
        assertThat(records).extracting(Record::offset).containsExactly(2L, 3L);
        assertThat(records).extracting(Record::sequence).containsExactly(500, 501);
        assertThat(records).extracting(Record::timestamp).containsExactly(T0 + 1, T0 + 2);
        assertThat(records.get(0).headers()).containsExactly(new Header("trace", bytes0("t1")));
        assertThat(batches.get(2).baseOffset()).isEqualTo(5);
    }

    @Test
    void shouldKeepLogAppendTimeOfReencodedBatches() throws Exception {
        Log log = open(dir("a"), compact().toBuilder().logAppendTime(true).build());
        log.append(batch(1, kv("a", "1"), kv("b", "1")), 0); // stamped with the clock
        long appendTime = clock.get();
        clock.addAndGet(10);
        log.append(batch(1, kv("a", "2")), 0);
        log.roll();

        cleaner().cleanNow(log);

        RecordBatch re = allBatches(log).get(0);
        assertThat(re.timestampType()).isEqualTo(TimestampType.LOG_APPEND_TIME);
        assertThat(re.maxTimestamp()).isEqualTo(appendTime);
        assertThat(re.recordList()).extracting(Record::timestamp).containsExactly(appendTime);
        assertThat(log.offsetForTimestamp(appendTime + 1)).contains(new TimestampOffset(appendTime + 10, 2));
    }

    @Test
    void shouldCleanOnlyAsFarAsTheOffsetMapReachesAndFinishInLaterPasses() throws Exception {
        Log log = open(dir("a"), compact());
        Map<String, Rec> newest = new LinkedHashMap<>();
        for (int round = 0; round < 3; round++) {
            for (int k = 0; k < 40; k++) {
                long offset = log.logEndOffset();
                log.append(batch(clock.get(), kv("k" + k, "r" + round)), 0);
                newest.put("k" + k, new Rec(offset, "k" + k, "r" + round));
            }
        }
        log.roll();
        long end = log.logEndOffset();
        LogCleaner cleaner = cleaner(LogCleanerConfig.builder().dedupeBufferBytes(1024).build()); // ~34 keys

        LogCleaner.CleaningResult first = cleaner.cleanNow(log);
        assertThat(first.cleanedUpTo()).isGreaterThan(0).isLessThan(end);
        assertThat(CleanerCheckpointFile.read(log.dir())).hasValue(first.cleanedUpTo());
        long checkpoint = first.cleanedUpTo();
        for (int pass = 0; pass < 20 && checkpoint < end; pass++) {
            LogCleaner.CleaningResult r = cleaner.cleanNow(log);
            assertThat(r.firstDirtyOffset()).isEqualTo(checkpoint);
            assertThat(r.cleanedUpTo()).isGreaterThan(checkpoint);
            checkpoint = r.cleanedUpTo();
        }
        assertThat(checkpoint).isEqualTo(end);
        // Keys only compare with later keys the map saw: one more full pass over a clean log is a no-op.
        assertThat(readAll(log)).containsExactlyElementsOf(newest.values());
    }

    @Test
    void shouldApplyRetentionToCompactDeleteLogs() throws Exception {
        LogConfig config = compact().toBuilder().cleanupPolicy(LogConfig.CleanupPolicy.COMPACT_DELETE)
                .retentionMs(10_000).build();
        Log log = open(dir("a"), config);
        for (int i = 0; i < 5; i++) {
            log.append(batch(clock.get(), kv("old", "v" + i)), 0);
        }
        log.roll();
        clock.addAndGet(20_000);
        for (int i = 0; i < 5; i++) {
            log.append(batch(clock.get(), kv("new", "v" + i)), 0);
        }
        log.roll();

        LogCleaner.CleaningResult r = cleaner().cleanNow(log);

        assertThat(r.status()).isEqualTo(LogCleaner.Status.CLEANED);
        assertThat(log.logStartOffset()).isEqualTo(5);
        assertThat(readAll(log)).containsExactly(new Rec(9, "new", "v4"));
    }

    @Test
    void shouldNotCleanBeyondTheBoundTheLogWasRegisteredWith() throws Exception {
        Log log = open(dir("a"), compact());
        for (int i = 0; i < 10; i++) {
            log.append(batch(clock.get(), kv("k", "v" + i)), 0);
            if (i == 4) {
                log.roll();
            }
        }
        log.roll();
        AtomicLong highWatermark = new AtomicLong(5);
        LogCleaner cleaner = cleaner();
        cleaner.register(log, highWatermark::get);

        cleaner.cleanNow(log);
        assertThat(readAll(log)).extracting(Rec::offset).containsExactly(4L, 5L, 6L, 7L, 8L, 9L);

        highWatermark.set(9); // inside the second segment: still not cleanable
        cleaner.cleanNow(log);
        assertThat(readAll(log)).hasSize(6);

        highWatermark.set(10);
        cleaner.cleanNow(log);
        assertThat(readAll(log)).containsExactly(new Rec(9, "k", "v9"));
        cleaner.unregister(log);
    }

    @Test
    void shouldSkipLogsThatDoNotCompact() throws Exception {
        Log log = open(dir("a"), compact().toBuilder().cleanupPolicy(LogConfig.CleanupPolicy.DELETE).build());
        log.append(batch(clock.get(), kv("k", "1"), kv("k", "2")), 0);
        log.roll();
        assertThat(cleaner().cleanNow(log).status()).isEqualTo(LogCleaner.Status.NOT_COMPACTED);
        assertThat(readAll(log)).hasSize(2);
    }

    // ================================================================ gaps

    @Test
    void shouldReadAndSearchAcrossOffsetGapsAndEmptiedBatches() throws Exception {
        Log log = open(dir("a"), compact().toBuilder().deleteRetentionMs(1000).build());
        log.append(batch(T0, kv("a", "1")), 0);
        log.roll();
        log.append(batch(T0 + 10, kv("a", null)), 0);
        log.roll();
        log.append(batch(T0 + 20, kv("b", "1")), 0);
        log.append(batch(T0 + 30, kv("b", "2")), 0);
        log.roll();
        log.append(batch(T0 + 40, kv("c", null)), 0);
        log.roll();
        LogCleaner cleaner = cleaner();
        cleaner.cleanNow(log);
        assertThat(readAll(log)).containsExactly(new Rec(1, "a", null), new Rec(3, "b", "2"), new Rec(4, "c", null));

        clock.set(T0 + 5000);
        LogCleaner.CleaningResult r = cleaner.cleanNow(log);

        // Each segment keeps its last batch, as a header without records if need be, so its end.
        assertThat(r.stats().batchesEmptied()).isEqualTo(2);
        assertThat(log.segmentBaseOffsets()).containsExactly(0L, 1L, 2L, 4L, 5L);
        assertThat(readAll(log)).containsExactly(new Rec(3, "b", "2"));
        LogReadResult fromGap = log.read(0, 1000, Long.MAX_VALUE);
        assertThat(offsetsOf(fromGap)).isEmpty();
        assertThat(fromGap.nextOffset()).isEqualTo(1);
        RecordBatch empty = RecordBatches.iterate(fromGap.records()).iterator().next();
        assertThat(empty.isValid()).isTrue();
        assertThat(empty.recordCount()).isZero();
        assertThat(empty.maxTimestamp()).isEqualTo(T0);
        assertThat(offsetsOf(log.read(2, 1000, Long.MAX_VALUE))).containsExactly(3L);
        LogReadResult pastLast = log.read(4, 1000, Long.MAX_VALUE);
        assertThat(offsetsOf(pastLast)).isEmpty();
        assertThat(pastLast.nextOffset()).isEqualTo(5);
        assertThat(log.offsetForTimestamp(T0)).contains(new TimestampOffset(T0 + 30, 3));
        assertThat(log.offsetForTimestamp(T0 + 31)).isEmpty();

        Log again = reopen(log, compact());
        assertThat(readAll(again)).containsExactly(new Rec(3, "b", "2"));
        assertThat(again.logEndOffset()).isEqualTo(5);
        again.append(batch(clock.get(), kv("d", "1")), 0);
        assertThat(readAll(again)).containsExactly(new Rec(3, "b", "2"), new Rec(5, "d", "1"));
    }

    @Test
    void shouldKeepSegmentEndOffsetsSoTruncationAndRecoveryKeepTheEnd() throws Exception {
        Log log = open(dir("a"), compact());
        log.append(batch(clock.get(), kv("k", "v0")), 0);
        log.append(batch(clock.get(), kv("k", "v1")), 0);
        log.roll();
        log.append(batch(clock.get(), kv("k", "v2")), 0);
        log.roll();
        log.append(batch(clock.get(), kv("x", "1")), 0);

        LogCleaner.CleaningResult r = cleaner().cleanNow(log);

        assertThat(r.stats().batchesDropped()).isEqualTo(1);
        assertThat(r.stats().batchesEmptied()).isEqualTo(1);
        // A replica truncating its uncommitted tail to the segment boundary ends where its peers do.
        assertThat(log.truncateTo(2)).isEqualTo(2);
        Log again = reopen(log, compact());
        assertThat(again.logEndOffset()).isEqualTo(2);
        again.append(batch(clock.get(), kv("y", "1")), 0);
        assertThat(readAll(again)).containsExactly(new Rec(2, "y", "1"));
    }

    // ================================================================ checkpoint and truncation

    @Test
    void shouldLowerTheCleanerCheckpointOnTruncation() throws Exception {
        Log log = open(dir("a"), compact());
        for (int i = 0; i < 20; i++) {
            log.append(batch(clock.get(), kv("k" + (i % 4), "v" + i)), 0);
        }
        log.roll();
        LogCleaner cleaner = cleaner();
        cleaner.cleanNow(log);
        assertThat(CleanerCheckpointFile.read(log.dir())).hasValue(20);

        long newEnd = log.truncateTo(18);

        assertThat(newEnd).isEqualTo(18);
        assertThat(CleanerCheckpointFile.read(log.dir())).hasValue(18);
        // New records where the truncated ones were are dirty again: a tombstone there must not
        // be taken for clean (which would let it go before the older value it hides).
        log.append(batch(clock.get(), kv("k3", null)), 0);
        log.roll();
        cleaner.cleanNow(log);
        assertThat(keys(readAll(log))).containsExactly("k0", "k1", "k3");
        assertThat(readAll(log).get(2)).isEqualTo(new Rec(18, "k3", null));
    }

    @Test
    void shouldIgnoreAnUnreadableCleanerCheckpointAndCleanEverything() throws Exception {
        Path dir = dir("a");
        Log log = open(dir, compact());
        for (int i = 0; i < 10; i++) {
            log.append(batch(clock.get(), kv("k", "v" + i)), 0);
        }
        log.roll();
        log.close();
        Files.write(dir.resolve(LogFiles.CLEANER_CHECKPOINT_FILE), new byte[] {1, 2, 3});
        Log again = open(dir, compact());

        LogCleaner.CleaningResult r = cleaner().cleanNow(again);

        assertThat(r.firstDirtyOffset()).isZero();
        assertThat(readAll(again)).containsExactly(new Rec(9, "k", "v9"));
        assertThat(CleanerCheckpointFile.read(dir)).hasValue(10);
    }

    @Test
    void shouldStopAPassWhenTheLogIsTruncatedUnderIt() throws Exception {
        Log log = open(dir("a"), compact());
        for (int i = 0; i < 20; i++) {
            log.append(batch(clock.get(), kv("k", "v" + i)), 0);
        }
        log.roll();
        for (int i = 0; i < 5; i++) {
            log.append(batch(clock.get(), kv("k", "active" + i)), 0);
        }
        AtomicBoolean truncate = new AtomicBoolean(true);
        LogCleaner cleaner = cleaner();
        // The bound is read once the pass has its view of the log: truncate right there.
        cleaner.register(log, () -> {
            if (truncate.getAndSet(false)) {
                log.truncateTo(22);
            }
            return Long.MAX_VALUE;
        });

        LogCleaner.CleaningResult r = cleaner.cleanNow(log);

        assertThat(r.status()).isEqualTo(LogCleaner.Status.ABORTED);
        assertThat(readAll(log)).hasSize(22);
        assertThat(CleanerCheckpointFile.read(log.dir())).isEmpty();
        assertNoLeftoverFiles(log.dir());
        assertThat(cleaner.cleanNow(log).status()).isEqualTo(LogCleaner.Status.CLEANED);
        assertThat(readAll(log)).extracting(Rec::value).containsExactly("v19", "active0", "active1");
        cleaner.unregister(log);
    }

    @Test
    void shouldRefuseToCopyCorruptDataAndLeaveTheLogAsItWas() throws Exception {
        Log log = open(dir("a"), compact().toBuilder().readVerifyCrc(false).build());
        for (int i = 0; i < 10; i++) {
            log.append(batch(clock.get(), kv("k", "v" + i)), 0);
        }
        log.roll();
        Path segment = LogFiles.logFile(log.dir(), 0);
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(segment,
                java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            long position = Files.size(segment) - 3; // inside the last batch's value
            ch.read(b, position);
            b.put(0, (byte) (b.get(0) ^ 0x55)).rewind();
            ch.write(b, position);
        }

        assertThatThrownBy(() -> cleaner().cleanNow(log)).isInstanceOf(CorruptLogException.class)
                .hasMessageContaining(segment.getFileName().toString());

        assertThat(readAll(log)).hasSize(10);
        assertNoLeftoverFiles(log.dir());
    }

    // ================================================================ crashes

    /** A log with duplicates in its one closed segment, and a compacted copy of it in {@code cleanedDir}. */
    private List<Rec> prepareCrash(Path original, Path cleanedDir) throws Exception {
        Log log = Log.open(original, compact(), env());
        try {
            for (int i = 0; i < 30; i++) {
                log.append(batch(clock.get(), kv("k" + (i % 3), "v" + i)), 0);
            }
            log.roll();
            log.append(batch(clock.get(), kv("active", "x")), 0);
        } finally {
            log.close();
        }
        copyDir(original, cleanedDir);
        Log copy = Log.open(cleanedDir, compact(), env());
        try (LogCleaner cleaner = new LogCleaner(LogCleanerConfig.defaults(), env())) {
            cleaner.cleanNow(copy);
            return readAll(copy);
        } finally {
            copy.close();
        }
    }

    @Test
    void shouldDiscardCleanedFilesLeftByACrash() throws Exception {
        Path dir = dir("a");
        List<Rec> compacted = prepareCrash(dir, dir("b"));
        copySegment(dir("b"), 0, dir, LogFiles.CLEANED_SUFFIX);
        // A crash while renaming .cleaned to .swap: index .swap files but no .log.swap.
        Files.move(LogFiles.withSuffix(LogFiles.offsetIndexFile(dir, 0), LogFiles.CLEANED_SUFFIX),
                LogFiles.withSuffix(LogFiles.offsetIndexFile(dir, 0), LogFiles.SWAP_SUFFIX));

        Log log = open(dir, compact());

        assertThat(readAll(log)).hasSize(31);
        assertNoLeftoverFiles(dir);
        assertThat(cleaner().cleanNow(log).status()).isEqualTo(LogCleaner.Status.CLEANED);
        assertThat(readAll(log)).isEqualTo(compacted);
    }

    @Test
    void shouldCompleteASwapLeftByACrashBesideTheOriginal() throws Exception {
        Path dir = dir("a");
        List<Rec> compacted = prepareCrash(dir, dir("b"));
        copySegment(dir("b"), 0, dir, LogFiles.SWAP_SUFFIX); // crash right after .cleaned became .swap

        Log log = open(dir, compact());

        assertThat(readAll(log)).isEqualTo(compacted);
        assertNoLeftoverFiles(dir);
    }

    @Test
    void shouldCompleteASwapLeftByACrashAfterTheOriginalWasMarkedDeleted() throws Exception {
        Path dir = dir("a");
        List<Rec> compacted = prepareCrash(dir, dir("b"));
        copySegment(dir("b"), 0, dir, LogFiles.SWAP_SUFFIX);
        for (Path f : segmentFiles(dir, 0, "")) {
            Files.move(f, LogFiles.withSuffix(f, LogFiles.DELETED_SUFFIX));
        }

        Log log = open(dir, compact());

        assertThat(readAll(log)).isEqualTo(compacted);
        assertNoLeftoverFiles(dir);
    }

    @Test
    void shouldCompleteASwapWhoseIndexesAlreadyHaveTheirFinalNames() throws Exception {
        Path dir = dir("a");
        List<Rec> compacted = prepareCrash(dir, dir("b"));
        for (Path f : segmentFiles(dir, 0, "")) {
            Files.move(f, LogFiles.withSuffix(f, LogFiles.DELETED_SUFFIX));
        }
        copySegment(dir("b"), 0, dir, "");
        Files.move(LogFiles.logFile(dir, 0), LogFiles.withSuffix(LogFiles.logFile(dir, 0), LogFiles.SWAP_SUFFIX));

        Log log = open(dir, compact());

        assertThat(readAll(log)).isEqualTo(compacted);
        assertNoLeftoverFiles(dir);
    }

    // ================================================================ background and concurrency

    @Test
    void shouldCleanInTheBackgroundOnlyLogsDirtierThanTheirMinimumRatio() throws Exception {
        Log dirty = open(dir("dirty"), compact().toBuilder().minCleanableDirtyRatio(0.5).build());
        Log picky = open(dir("picky"), compact().toBuilder().minCleanableDirtyRatio(1.0).build());
        for (int i = 0; i < 20; i++) {
            dirty.append(batch(clock.get(), kv("k", "v" + i)), 0);
            picky.append(batch(clock.get(), kv("k", "v" + i)), 0);
        }
        dirty.roll();
        picky.roll();
        picky.append(batch(clock.get(), kv("k", "x")), 0);
        LogCleaner cleaner = cleaner(LogCleanerConfig.builder().backoffMs(60_000).build());
        cleaner.cleanNow(picky); // a clean section, so its dirty ratio is below 1.0 once more is added
        for (int i = 0; i < 5; i++) {
            picky.append(batch(clock.get(), kv("k", "w" + i)), 0);
        }
        picky.roll();
        cleaner.start();
        cleaner.register(dirty);
        cleaner.register(picky);
        long passes = cleaner.completedPasses();

        cleaner.wakeup();

        await().atMost(Duration.ofSeconds(10)).until(() -> readAll(dirty).size() == 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> cleaner.completedPasses() == passes + 1);
        assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName)
                .contains(LogCleaner.THREAD_NAME);
        assertThat(readAll(picky)).hasSize(7); // v19 kept by the first pass, x, w0..w4
        cleaner.unregister(dirty);
        cleaner.unregister(picky);
    }

    @Test
    void shouldServeConsistentReadsAndAppendsWhileCleaningInTheBackground() throws Exception {
        LogConfig config = compact().toBuilder().segmentBytes(4096).minCleanableDirtyRatio(0.1)
                .readVerifyCrc(true).build();
        Log log = open(dir("a"), config);
        LogCleaner cleaner = cleaner(LogCleanerConfig.builder().backoffMs(5).ioBufferBytes(2048).build());
        cleaner.start();
        cleaner.register(log);
        Map<String, Rec> newest = new HashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        AtomicLong scans = new AtomicLong();

        List<Thread> readers = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            Thread reader = new Thread(() -> {
                try {
                    while (!stop.get()) {
                        scanConsistently(log);
                        scans.incrementAndGet();
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }, "reader-" + t);
            readers.add(reader);
            reader.start();
        }
        Thread writer = new Thread(() -> {
            try {
                int i = 0;
                while (!stop.get() && i < 200_000) {
                    int n = 1 + i % 3;
                    KV[] kvs = new KV[n];
                    long offset = log.logEndOffset(); // the only writer: the offsets this append gets
                    for (int j = 0; j < n; j++) {
                        String key = "k" + ((i * 7 + j) % 40);
                        String value = (i + j) % 17 == 0 ? null : key + "@" + (offset + j);
                        kvs[j] = kv(key, value);
                        synchronized (newest) {
                            newest.put(key, new Rec(offset + j, key, value));
                        }
                    }
                    log.append(batch(clock.get(), kvs), 1);
                    i++;
                    Thread.yield(); // leave the cleaner and the readers some CPU on a small machine
                }
            } catch (Throwable e) {
                failures.add(e);
            }
        }, "writer");
        writer.start();

        await().atMost(Duration.ofSeconds(20))
                .until(() -> !failures.isEmpty() || (cleaner.completedPasses() >= 3 && scans.get() >= 6));
        stop.set(true);
        writer.join();
        for (Thread reader : readers) {
            reader.join();
        }
        assertThat(failures).isEmpty();

        cleaner.unregister(log);
        log.roll();
        cleaner.cleanNow(log);
        List<Rec> all = readAll(log);
        Map<String, Rec> survivors = new HashMap<>();
        for (Rec rec : all) {
            assertThat(survivors.put(rec.key(), rec)).as("key %s kept twice", rec.key()).isNull();
        }
        assertThat(survivors).isEqualTo(newest);
    }

    /** One scan from the log start: offsets strictly increase and each record is the one written there. */
    private static void scanConsistently(Log log) {
        long offset = log.logStartOffset();
        long end = log.logEndOffset();
        long last = -1;
        while (offset < end) {
            LogReadResult r = log.read(offset, 1500, end);
            assertThat(r.nextOffset()).isGreaterThan(offset);
            for (Rec rec : records(r.records())) {
                if (rec.offset() < offset) {
                    continue;
                }
                assertThat(rec.offset()).isGreaterThan(last);
                last = rec.offset();
                if (rec.value() != null) {
                    assertThat(rec.value()).isEqualTo(rec.key() + "@" + rec.offset());
                }
            }
            offset = r.nextOffset();
        }
    }

    // ================================================================ fixtures

    record KV(String key, String value) {
    }

    record Rec(long offset, String key, String value) {
    }

    static KV kv(String key, String value) {
        return new KV(key, value);
    }

    static ByteBuffer batch(long ts, KV... kvs) {
        RecordBatchBuilder b = new RecordBatchBuilder(Compression.NONE, 1 << 20);
        for (KV kv : kvs) {
            b.append(ts, kv.key() == null ? null : bytes(kv.key()), kv.value() == null ? null : bytes(kv.value()));
        }
        return b.build().buffer();
    }

    static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] bytes0(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] toBytes(ByteBuffer buf) {
        byte[] out = new byte[buf.remaining()];
        buf.duplicate().get(out);
        return out;
    }

    static String text(ByteBuffer buf) {
        return buf == null ? null : new String(toBytes(buf), StandardCharsets.UTF_8);
    }

    static List<Rec> records(ByteBuffer buf) {
        List<Rec> out = new ArrayList<>();
        for (RecordBatch batch : RecordBatches.iterate(buf.duplicate())) {
            batch.records().forEachRemaining(r -> out.add(new Rec(r.offset(), text(r.key()), text(r.value()))));
        }
        return out;
    }

    static List<Long> offsetsOf(LogReadResult r) {
        return records(r.records()).stream().map(Rec::offset).toList();
    }

    static List<String> keys(List<Rec> recs) {
        return recs.stream().map(Rec::key).toList();
    }

    /** Every record from the log start to the end, reading as a consumer does. */
    static List<Rec> readAll(Log log) {
        List<Rec> out = new ArrayList<>();
        long offset = log.logStartOffset();
        long end = log.logEndOffset();
        while (offset < end) {
            LogReadResult r = log.read(offset, 4096, Long.MAX_VALUE);
            for (Rec rec : records(r.records())) {
                if (rec.offset() >= offset) {
                    out.add(rec);
                }
            }
            assertThat(r.nextOffset()).as("read from %d made no progress", offset).isGreaterThan(offset);
            offset = r.nextOffset();
        }
        return out;
    }

    static List<RecordBatch> allBatches(Log log) {
        List<RecordBatch> out = new ArrayList<>();
        long offset = log.logStartOffset();
        while (offset < log.logEndOffset()) {
            LogReadResult r = log.read(offset, 4096, Long.MAX_VALUE);
            RecordBatches.iterate(r.records()).forEach(out::add);
            offset = r.nextOffset();
        }
        return out;
    }

    static LogConfig compact() {
        return LogConfig.builder().segmentBytes(2048).maxMessageBytes(2048).indexIntervalBytes(100)
                .segmentIndexBytes(4096).cleanupPolicy(LogConfig.CleanupPolicy.COMPACT).retentionMs(-1)
                .deleteRetentionMs(24L * 3600 * 1000).build();
    }

    LogEnvironment env() {
        return LogEnvironment.defaults().withClock(clock::get);
    }

    Path dir(String name) {
        return root.resolve(name + "-0");
    }

    Log open(Path dir, LogConfig config) throws IOException {
        Log log = Log.open(dir, config, env());
        opened.add(log);
        return log;
    }

    Log reopen(Log log, LogConfig config) throws IOException {
        log.close();
        return open(log.dir(), config);
    }

    List<Rec> reopenAndReadAll(Log log) throws IOException {
        return readAll(reopen(log, log.config()));
    }

    LogCleaner cleaner() {
        return cleaner(LogCleanerConfig.builder().dedupeBufferBytes(1 << 20).build());
    }

    LogCleaner cleaner(LogCleanerConfig config) {
        LogCleaner cleaner = new LogCleaner(config, env());
        opened.add(cleaner);
        return cleaner;
    }

    static void assertNoLeftoverFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .noneMatch(n -> n.endsWith(LogFiles.CLEANED_SUFFIX) || n.endsWith(LogFiles.SWAP_SUFFIX)
                            || n.endsWith(LogFiles.DELETED_SUFFIX));
        }
    }

    static List<Path> segmentFiles(Path dir, long base, String suffix) {
        return Arrays.asList(LogFiles.withSuffix(LogFiles.logFile(dir, base), suffix),
                LogFiles.withSuffix(LogFiles.offsetIndexFile(dir, base), suffix),
                LogFiles.withSuffix(LogFiles.timeIndexFile(dir, base), suffix));
    }

    /** Copies segment {@code base}'s files from one directory to another, adding {@code suffix}. */
    static void copySegment(Path from, long base, Path to, String suffix) throws IOException {
        List<Path> sources = segmentFiles(from, base, "");
        List<Path> targets = segmentFiles(to, base, suffix);
        for (int i = 0; i < sources.size(); i++) {
            Files.copy(sources.get(i), targets.get(i), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }

    static void copyDir(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path p : files.toList()) {
                Files.copy(p, to.resolve(p.getFileName()));
            }
        }
    }
}
