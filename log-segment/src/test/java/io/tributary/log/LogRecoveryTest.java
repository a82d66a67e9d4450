package io.tributary.log;

import ch.qos.logback.classic.Level;
import io.tributary.log.LogTestSupport.FileBatch;
import io.tributary.log.LogTestSupport.LogCapture;
import io.tributary.log.internal.CheckpointFile;
import io.tributary.log.internal.LogFiles;
import io.tributary.log.internal.LogSegment;
import io.tributary.record.RecordBatchFormat;
import net.openhft.chronicle.core.io.AbstractReferenceCounted;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import static io.tributary.log.LogTestSupport.batch;
import static io.tributary.log.LogTestSupport.batchesIn;
import static io.tributary.log.LogTestSupport.fileNames;
import static io.tributary.log.LogTestSupport.flipByte;
import static io.tributary.log.LogTestSupport.offsetsAndValues;
import static io.tributary.log.LogTestSupport.readAll;
import static io.tributary.log.LogTestSupport.segmentBases;
import static io.tributary.log.LogTestSupport.truncateFile;
import static io.tributary.log.LogTestSupport.writeAt;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Recovery after an unclean stop, one test per kind of damage (STYLE.md §7, BookKeeper's
 * {@code BookieJournalTest}). Each test writes a log and closes it, damages its files while it is
 * closed, makes the checkpoint's recovery point older than the damage where the damage is of
 * data that was never flushed (so recovery rescans it), reopens, and checks the log end offset,
 * every surviving record (offset and value), and that appends continue at the right offset.
 */
@Timeout(60)
class LogRecoveryTest {
    private static final int RECORDS_PER_BATCH = 3;

    @TempDir
    Path dir;

    final AtomicLong clock = new AtomicLong(1_000_000);
    final List<Log> opened = new ArrayList<>();
    LogCapture logged;

    @BeforeAll
    static void trace() {
        AbstractReferenceCounted.enableReferenceTracing();
    }

    @BeforeEach
    void capture() {
        logged = new LogCapture();
    }

    @AfterEach
    void closeAll() {
        opened.forEach(Log::close);
        logged.close();
        AbstractReferenceCounted.assertReferencesReleased();
    }

    /** About ten 400-byte batches per segment, an offset index entry before almost every batch. */
    static LogConfig config() {
        return LogConfig.builder().segmentBytes(4096).indexIntervalBytes(256).segmentIndexBytes(4096)
                .maxMessageBytes(4096).retentionMs(-1).build();
    }

    Log open() throws IOException {
        return open(FileChannelProvider.DEFAULT);
    }

    Log open(FileChannelProvider channels) throws IOException {
        Log log = Log.open(dir, config(), new LogEnvironment(clock::get, channels));
        opened.add(log);
        return log;
    }

    void close(Log log) {
        log.close();
        opened.remove(log);
    }

    /** Timestamp of batch i: not monotonic, so a segment's newest record is not its last one. */
    static long timestampOf(int batch) {
        return 100_000L + (batch % 7) * 1_000L + batch;
    }

    /**
     * Appends {@code batches} batches of three records (values "b&lt;i&gt;-&lt;j&gt;") and closes the log
     * cleanly; returns the records as "offset:value".
     */
    List<String> writeAndClose(int batches) throws IOException {
        Log log = open();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < batches; i++) {
            LogAppendInfo info = log.append(batch(RECORDS_PER_BATCH, 100, timestampOf(i), "b" + i + "-"), 1);
            for (int j = 0; j < RECORDS_PER_BATCH; j++) {
                expected.add((info.firstOffset() + j) + ":b" + i + "-" + j);
            }
        }
        close(log);
        return expected;
    }

    void staleCheckpoint(long recoveryPoint) throws IOException {
        CheckpointFile.write(dir, new CheckpointFile.Checkpoint(0, recoveryPoint));
    }

    Path logFile(long base) {
        return LogFiles.logFile(dir, base);
    }

    long lastBase() throws IOException {
        List<Long> bases = segmentBases(dir);
        return bases.get(bases.size() - 1);
    }

    /**
     * The log holds exactly {@code expected} (from offset 0), a read from every offset returns
     * that offset's record first, and the next append gets the next offset.
     */
    static void assertHolds(Log log, List<String> expected) {
        assertThat(log.logStartOffset()).isZero();
        assertThat(log.logEndOffset()).isEqualTo(expected.size());
        assertThat(readAll(log)).containsExactlyElementsOf(expected);
        for (int offset = 0; offset < expected.size(); offset++) {
            LogReadResult r = log.read(offset, 1, Long.MAX_VALUE);
            long wanted = offset;
            assertThat(offsetsAndValues(r.records())).as("read from offset %d", offset)
                    .filteredOn(s -> LogTestSupport.offsetOf(s) >= wanted).first().isEqualTo(expected.get(offset));
        }
        long next = log.logEndOffset();
        LogAppendInfo info = log.append(batch(2, 10, timestampOf(0), "after"), 2);
        assertThat(info.firstOffset()).isEqualTo(next);
        assertThat(offsetsAndValues(log.read(next, 1000, Long.MAX_VALUE).records()))
                .containsExactly(next + ":after0", (next + 1) + ":after1");
    }

    List<String> warnings() {
        return logged.messages(Level.WARN);
    }

    List<String> errors() {
        return logged.messages(Level.ERROR);
    }

    // ================================================================ damage to the .log

    @Test
    void shouldRecoverAnEmptyActiveLogFile() throws IOException {
        List<String> all = writeAndClose(25);
        long base = lastBase();
        assertThat(base).isPositive();
        truncateFile(logFile(base), 0); // the file system kept the name but none of the data
        staleCheckpoint(base);

        Log log = open();

        assertHolds(log, all.subList(0, (int) base));
        assertThat(log.segmentBaseOffsets()).last().isEqualTo(base);
    }

    @Test
    void shouldRecoverAnEmptySoleLogFileWithoutIndexesOrCheckpoint() throws IOException {
        Files.createFile(logFile(0));

        Log log = open();

        assertHolds(log, List.of());
        assertThat(errors()).isEmpty();
    }

    @Test
    void shouldTruncateTornBatchHeaderOnRecovery() throws IOException {
        List<String> all = writeAndClose(25);
        FileBatch last = lastBatch();
        truncateFile(logFile(lastBase()), last.position() + 30); // 30 of the 61 header bytes
        staleCheckpoint(0);

        Log log = open();

        assertHolds(log, all.subList(0, (int) last.baseOffset()));
        assertTornTailWarned(last);
    }

    @Test
    void shouldTruncateTornLengthFieldOnRecovery() throws IOException {
        List<String> all = writeAndClose(25);
        FileBatch last = lastBatch();
        // Cut inside the 4-byte length field (bytes 8-11 of the batch).
        truncateFile(logFile(lastBase()), last.position() + RecordBatchFormat.LENGTH_OFFSET + 2);
        staleCheckpoint(last.baseOffset());

        Log log = open();

        assertHolds(log, all.subList(0, (int) last.baseOffset()));
        assertTornTailWarned(last);
    }

    @Test
    void shouldTruncateTornPayloadOnRecovery() throws IOException {
        List<String> all = writeAndClose(25);
        FileBatch last = lastBatch();
        truncateFile(logFile(lastBase()), last.end() - 7);
        staleCheckpoint(lastBase());

        Log log = open();

        assertHolds(log, all.subList(0, (int) last.baseOffset()));
        assertTornTailWarned(last);
    }

    @Test
    void shouldTruncateBadCrcAtTailWithAWarning() throws IOException {
        List<String> all = writeAndClose(25);
        FileBatch last = lastBatch();
        flipByte(logFile(lastBase()), last.end() - 3); // a payload byte: only the CRC shows it
        staleCheckpoint(0);

        Log log = open();

        assertHolds(log, all.subList(0, (int) last.baseOffset()));
        assertTornTailWarned(last);
        assertThat(warnings()).anyMatch(m -> m.contains("CRC"));
    }

    @Test
    void shouldTruncateAtBadCrcInTheMiddleOfTheActiveSegmentAsCorruption() throws IOException {
        List<String> all = writeAndClose(25);
        long base = lastBase();
        List<FileBatch> batches = batchesIn(logFile(base));
        assertThat(batches).hasSizeGreaterThanOrEqualTo(3);
        FileBatch bad = batches.get(1);
        flipByte(logFile(base), bad.end() - 3);
        staleCheckpoint(base);

        Log log = open();

        assertHolds(log, all.subList(0, (int) bad.baseOffset()));
        assertThat(errors()).anyMatch(m -> m.contains(logFile(base).toString())
                && m.contains("position " + bad.position()) && m.contains("CRC"));
    }

    @Test
    void shouldTruncateAtBadCrcInAnEarlierSegmentAndDeleteLaterSegments() throws IOException {
        List<String> all = writeAndClose(40);
        List<Long> bases = segmentBases(dir);
        assertThat(bases).hasSizeGreaterThanOrEqualTo(4);
        long damaged = bases.get(1);
        FileBatch bad = batchesIn(logFile(damaged)).get(2);
        flipByte(logFile(damaged), bad.position() + RecordBatchFormat.RECORDS_OFFSET + 5);
        staleCheckpoint(bases.get(0) + 1); // the recovery point lies in the first segment

        Log log = open();

        assertHolds(log, all.subList(0, (int) bad.baseOffset()));
        assertThat(log.segmentBaseOffsets()).containsExactly(bases.get(0), damaged);
        for (long later : bases.subList(2, bases.size())) {
            assertThat(logFile(later)).doesNotExist();
            assertThat(LogFiles.offsetIndexFile(dir, later)).doesNotExist();
            assertThat(LogFiles.timeIndexFile(dir, later)).doesNotExist();
        }
        assertThat(errors()).anyMatch(m -> m.contains(logFile(damaged).toString())
                && m.contains("position " + bad.position()));
    }

    @Test
    void shouldNotServeCorruptBytesBelowTheRecoveryPoint() throws IOException {
        List<String> all = writeAndClose(40);
        List<Long> bases = segmentBases(dir);
        long damaged = bases.get(1);
        List<FileBatch> batches = batchesIn(logFile(damaged));
        FileBatch bad = batches.get(3);
        flipByte(logFile(damaged), bad.end() - 3); // the clean checkpoint covers it: no rescan

        Log log = open();

        assertThat(log.logEndOffset()).isEqualTo(all.size());
        assertThatThrownBy(() -> log.read(bad.baseOffset(), 1 << 20, Long.MAX_VALUE))
                .isInstanceOfSatisfying(CorruptLogException.class, e -> {
                    assertThat(e.file()).isEqualTo(logFile(damaged));
                    assertThat(e.position()).isEqualTo(bad.position());
                    assertThat(e).hasMessageContaining(logFile(damaged).toString())
                            .hasMessageContaining("position " + bad.position());
                });
        // A read that would carry the bad batch along fails too rather than serve it.
        assertThatThrownBy(() -> log.read(batches.get(2).baseOffset(), 1 << 20, Long.MAX_VALUE))
                .isInstanceOf(CorruptLogException.class);
        // Everything else is still served.
        for (int offset = 0; offset < all.size(); offset++) {
            if (offset >= bad.baseOffset() && offset <= bad.lastOffset()) {
                continue;
            }
            assertThat(offsetsAndValues(log.read(offset, 1, Long.MAX_VALUE).records())).first()
                    .isEqualTo(all.get(offset - offset % RECORDS_PER_BATCH));
        }
        assertThat(log.isFailed()).isFalse();
        LogAppendInfo info = log.append(batch(1, 10, 1, "after"), 2);
        assertThat(info.firstOffset()).isEqualTo(all.size());
    }

    @Test
    void shouldNotServeABatchWithADamagedHeaderBelowTheRecoveryPoint() throws IOException {
        List<String> all = writeAndClose(40);
        long damaged = segmentBases(dir).get(1);
        FileBatch bad = batchesIn(logFile(damaged)).get(3); // an index entry points at it
        writeAt(logFile(damaged), bad.position() + RecordBatchFormat.MAGIC_OFFSET, new byte[] {7});

        Log log = open();

        assertThat(log.logEndOffset()).isEqualTo(all.size());
        for (long offset = bad.baseOffset(); offset <= bad.lastOffset(); offset++) {
            long wanted = offset;
            assertThatThrownBy(() -> log.read(wanted, 1, Long.MAX_VALUE))
                    .isInstanceOfSatisfying(CorruptLogException.class, e -> {
                        assertThat(e.file()).isEqualTo(logFile(damaged));
                        assertThat(e.position()).isEqualTo(bad.position());
                    });
        }
        assertThat(offsetsAndValues(log.read(bad.baseOffset() - 1, 1, Long.MAX_VALUE).records()))
                .contains(all.get((int) bad.baseOffset() - 1));
    }

    @Test
    void shouldTruncateAtDamagedHeaderFoundWhileRebuildingIndexesBelowTheRecoveryPoint() throws IOException {
        List<String> all = writeAndClose(40);
        List<Long> bases = segmentBases(dir);
        long damaged = bases.get(1);
        List<FileBatch> batches = batchesIn(logFile(damaged));
        FileBatch bad = batches.get(batches.size() - 1);
        writeAt(logFile(damaged), bad.position() + RecordBatchFormat.MAGIC_OFFSET, new byte[] {7});
        Files.delete(LogFiles.timeIndexFile(dir, damaged)); // forces the rebuild that finds the damage

        Log log = open();

        // The damage is an error, and the log stays dense: nothing after the damage is kept.
        assertHolds(log, all.subList(0, (int) bad.baseOffset()));
        assertThat(log.segmentBaseOffsets()).containsExactly(bases.get(0), damaged);
        assertThat(errors()).anyMatch(m -> m.contains(logFile(damaged).toString())
                && m.contains("position " + bad.position()));
    }

    // ================================================================ damage to the indexes

    @ParameterizedTest(name = "stale checkpoint: {0}")
    @ValueSource(booleans = {false, true})
    void shouldRebuildMissingOffsetIndexes(boolean staleCheckpoint) throws IOException {
        List<String> all = writeAndClose(40);
        Map<String, byte[]> indexes = indexFiles();
        for (long base : segmentBases(dir)) {
            Files.delete(LogFiles.offsetIndexFile(dir, base));
        }
        if (staleCheckpoint) {
            Files.delete(dir.resolve(LogFiles.CHECKPOINT_FILE));
        }

        Log log = open();

        assertHolds(log, all);
        log.truncateTo(all.size()); // drop the extra append: the indexes must now be what they were
        close(log);
        assertIndexFilesAre(indexes);
    }

    @ParameterizedTest(name = "stale checkpoint: {0}")
    @ValueSource(booleans = {false, true})
    void shouldRebuildOffsetIndexesFullOfGarbage(boolean staleCheckpoint) throws IOException {
        List<String> all = writeAndClose(40);
        Map<String, byte[]> indexes = indexFiles();
        Random random = new Random(42);
        for (long base : segmentBases(dir)) {
            Path index = LogFiles.offsetIndexFile(dir, base);
            byte[] garbage = new byte[(int) Files.size(index)];
            random.nextBytes(garbage);
            Files.write(index, garbage);
        }
        if (staleCheckpoint) {
            staleCheckpoint(0);
        }

        Log log = open();

        assertHolds(log, all);
        log.truncateTo(all.size());
        close(log);
        assertIndexFilesAre(indexes);
    }

    @Test
    void shouldRebuildCutShortOffsetIndexesOfClosedSegments() throws IOException {
        List<String> all = writeAndClose(40);
        Map<String, byte[]> indexes = indexFiles();
        List<Long> bases = segmentBases(dir);
        for (long base : bases.subList(0, bases.size() - 1)) {
            Path index = LogFiles.offsetIndexFile(dir, base);
            assertThat(Files.size(index)).isGreaterThan(4 * 8);
            truncateFile(index, 2 * 8); // two entries of about nine left
        }

        Log log = open();

        assertThat(warnings()).anyMatch(m -> m.contains("missing or damaged"));
        assertHolds(log, all);
        log.truncateTo(all.size());
        close(log);
        assertIndexFilesAre(indexes);
    }

    @Test
    void shouldNotRebuildIndexesWrittenWithALargerIndexIntervalAfterItIsLowered() throws IOException {
        List<String> all = writeAndClose(400); // index.interval.bytes=256: an entry every ~400-byte batch
        Map<String, byte[]> indexes = indexFiles();
        CountingFileChannelProvider counting = new CountingFileChannelProvider();

        Log log = Log.open(dir, config().toBuilder().indexIntervalBytes(64).build(),
                new LogEnvironment(clock::get, counting));
        opened.add(log);

        assertThat(warnings()).isEmpty();
        assertThat(counting.bytesRead.get()).isLessThan(totalLogBytes() / 20);
        assertThat(readAll(log)).containsExactlyElementsOf(all);
        close(log);
        assertIndexFilesAre(indexes);
    }

    @Test
    void shouldRebuildAnOffsetIndexWhoseEntriesRunBackwards() throws IOException {
        List<String> all = writeAndClose(40);
        Map<String, byte[]> indexes = indexFiles();
        long damaged = segmentBases(dir).get(1);
        Path index = LogFiles.offsetIndexFile(dir, damaged);
        ByteBuffer entries = ByteBuffer.wrap(Files.readAllBytes(index)).order(ByteOrder.LITTLE_ENDIAN);
        int n = entries.limit() / 8;
        assertThat(n).isGreaterThanOrEqualTo(3);
        ByteBuffer reversed = ByteBuffer.allocate(entries.limit()).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = n - 1; i >= 0; i--) {
            reversed.putLong(entries.getLong(i * 8));
        }
        Files.write(index, reversed.array());

        Log log = open();

        assertHolds(log, all);
        log.truncateTo(all.size());
        close(log);
        assertIndexFilesAre(indexes);
    }

    @Test
    void shouldServeCorrectRecordsWhenAMiddleIndexEntryPointsAtTheWrongBatch() throws IOException {
        List<String> all = writeAndClose(40);
        long damaged = segmentBases(dir).get(1);
        Path index = LogFiles.offsetIndexFile(dir, damaged);
        ByteBuffer entries = ByteBuffer.wrap(Files.readAllBytes(index)).order(ByteOrder.LITTLE_ENDIAN);
        int n = entries.limit() / 8;
        assertThat(n).isGreaterThanOrEqualTo(4);
        // Entry 1 keeps its offset but takes the position of entry 2's batch: positions no longer increase.
        entries.putInt(8 + 4, entries.getInt(16 + 4));
        Files.write(index, entries.array());

        Log log = open();

        assertHolds(log, all);
    }

    @ParameterizedTest(name = "stale checkpoint: {0}")
    @ValueSource(booleans = {false, true})
    void shouldRebuildMissingTimeIndexes(boolean staleCheckpoint) throws IOException {
        List<String> all = writeAndClose(40);
        Map<Long, Long> maxTimestamps = maxTimestampsBySegment();
        for (long base : segmentBases(dir)) {
            Files.delete(LogFiles.timeIndexFile(dir, base));
        }
        if (staleCheckpoint) {
            staleCheckpoint(0);
        }

        Log log = open();

        assertTimeLookupsHold(log, all.size(), maxTimestamps);
        assertHolds(log, all);
    }

    @ParameterizedTest(name = "cut mid-entry: {0}")
    @ValueSource(booleans = {true, false})
    void shouldRebuildTruncatedTimeIndexes(boolean midEntry) throws IOException {
        List<String> all = writeAndClose(40);
        Map<Long, Long> maxTimestamps = maxTimestampsBySegment();
        for (long base : segmentBases(dir)) {
            Path timeIndex = LogFiles.timeIndexFile(dir, base);
            long size = Files.size(timeIndex);
            assertThat(size).as(timeIndex.toString()).isGreaterThanOrEqualTo(24);
            truncateFile(timeIndex, midEntry ? size - 5 : size - 24);
        }

        Log log = open();

        assertTimeLookupsHold(log, all.size(), maxTimestamps);
        assertHolds(log, all);
    }

    @Test
    void shouldKeepTimeRetentionRightAfterRebuildingATruncatedTimeIndex() throws IOException {
        writeAndClose(40);
        Map<Long, Long> maxTimestamps = maxTimestampsBySegment();
        List<Long> bases = segmentBases(dir);
        for (long base : bases) {
            Path timeIndex = LogFiles.timeIndexFile(dir, base);
            truncateFile(timeIndex, Files.size(timeIndex) - 12); // a closed segment loses its final entry
        }
        // Retention that keeps exactly the closed segments whose newest record is at or after the cut-off.
        long cutoff = maxTimestamps.get(bases.get(2));
        long retentionMs = 10_000;
        clock.set(cutoff + retentionMs);
        int expectDeleted = 0;
        for (long base : bases.subList(0, bases.size() - 1)) {
            if (clock.get() - maxTimestamps.get(base) > retentionMs) {
                expectDeleted++;
            } else {
                break;
            }
        }

        Log log = open();
        log.updateConfig(log.config().toBuilder().retentionMs(retentionMs).build());

        assertThat(log.enforceRetention()).isEqualTo(expectDeleted);
        assertThat(log.logStartOffset()).isEqualTo(bases.get(expectDeleted));
    }

    // ================================================================ leftovers and the checkpoint

    @Test
    void shouldRemoveLeftoverDeletedCleanedAndTemporaryFilesAtOpen() throws IOException {
        List<String> all = writeAndClose(25);
        List<String> before = fileNames(dir);
        String old = LogFiles.filenamePrefix(1_000_000);
        for (String name : List.of(old + ".log.deleted", old + ".index.deleted", old + ".timeindex.deleted",
                LogFiles.filenamePrefix(0) + ".log.cleaned", LogFiles.filenamePrefix(0) + ".index.cleaned",
                LogFiles.filenamePrefix(0) + ".timeindex.cleaned", LogFiles.CHECKPOINT_FILE + ".tmp",
                LogFiles.filenamePrefix(3_000_000) + ".index", LogFiles.filenamePrefix(3_000_000) + ".timeindex")) {
            Files.write(dir.resolve(name), new byte[] {1, 2, 3});
        }

        Log log = open();

        assertThat(fileNames(dir)).containsExactlyElementsOf(before);
        assertHolds(log, all);
    }

    @Test
    void shouldCompleteAnInterruptedCompactionSwapAtOpen() throws IOException {
        List<String> all = writeAndClose(40);
        List<Long> bases = segmentBases(dir);
        long compacted = bases.get(1);
        // The cleaner's output for segment 1: every other batch, offsets kept; the crash came after
        // the .cleaned -> .swap rename, before the swap replaced the segment.
        byte[] original = Files.readAllBytes(logFile(compacted));
        List<FileBatch> batches = batchesIn(logFile(compacted));
        List<FileBatch> kept = new ArrayList<>();
        ByteBuffer swap = ByteBuffer.allocate(original.length);
        for (int i = 0; i < batches.size(); i += 2) {
            kept.add(batches.get(i));
            swap.put(original, batches.get(i).position(), batches.get(i).size());
        }
        Path swapLog = LogFiles.withSuffix(logFile(compacted), LogFiles.SWAP_SUFFIX);
        Files.write(swapLog, java.util.Arrays.copyOf(swap.array(), swap.position()));
        Path strayIndexSwap = LogFiles.withSuffix(LogFiles.offsetIndexFile(dir, bases.get(2)), LogFiles.SWAP_SUFFIX);
        Files.write(strayIndexSwap, new byte[16]);

        Log log = open();

        assertThat(fileNames(dir)).noneMatch(n -> n.endsWith(LogFiles.SWAP_SUFFIX));
        List<String> expected = new ArrayList<>();
        for (String record : all) {
            long offset = LogTestSupport.offsetOf(record);
            boolean inSegment = offset >= compacted && offset < bases.get(2);
            if (!inSegment || kept.stream().anyMatch(b -> offset >= b.baseOffset() && offset <= b.lastOffset())) {
                expected.add(record);
            }
        }
        assertThat(readAll(log)).containsExactlyElementsOf(expected);
        assertThat(log.logEndOffset()).isEqualTo(all.size());
        // A read from a compacted-away offset gets the next batch that remains.
        long gone = batches.get(1).baseOffset();
        assertThat(log.read(gone, 1, Long.MAX_VALUE).firstOffset()).isEqualTo(batches.get(2).baseOffset());
        assertThat(log.append(batch(1, 10, 1, "after"), 2).firstOffset()).isEqualTo(all.size());
    }

    @Test
    void shouldMoveTheIndexSwapsOfAnInterruptedCompactionIntoPlace() throws IOException {
        List<String> all = writeAndClose(40);
        List<Long> bases = segmentBases(dir);
        long compacted = bases.get(1);
        List<FileBatch> batches = batchesIn(logFile(compacted));
        byte[] original = Files.readAllBytes(logFile(compacted));
        // The cleaner's output, written with its indexes by a log of its own: batches 0, 3, 6, 9 kept.
        Path scratch = dir.resolveSibling(dir.getFileName() + "-cleaned");
        List<FileBatch> kept = new ArrayList<>();
        try (Log cleaned = Log.open(scratch, config())) {
            for (int i = 0; i < batches.size(); i += 3) {
                FileBatch b = batches.get(i);
                kept.add(b);
                cleaned.appendAsFollower(ByteBuffer.wrap(original, b.position(), b.size()).slice());
            }
        }
        for (Path file : List.of(LogFiles.logFile(scratch, compacted), LogFiles.offsetIndexFile(scratch, compacted),
                LogFiles.timeIndexFile(scratch, compacted))) {
            Files.copy(file, dir.resolve(file.getFileName() + LogFiles.SWAP_SUFFIX));
        }
        byte[] swapIndex = Files.readAllBytes(LogFiles.offsetIndexFile(scratch, compacted));
        byte[] swapTimeIndex = Files.readAllBytes(LogFiles.timeIndexFile(scratch, compacted));
        assertThat(swapIndex).isNotEmpty();
        LogTestSupport.deleteRecursively(scratch);

        Log log = open();

        assertThat(fileNames(dir)).noneMatch(n -> n.endsWith(LogFiles.SWAP_SUFFIX));
        assertThat(Files.readAllBytes(LogFiles.offsetIndexFile(dir, compacted))).isEqualTo(swapIndex);
        assertThat(Files.readAllBytes(LogFiles.timeIndexFile(dir, compacted))).isEqualTo(swapTimeIndex);
        List<String> expected = new ArrayList<>();
        for (String record : all) {
            long offset = LogTestSupport.offsetOf(record);
            boolean inSegment = offset >= compacted && offset < bases.get(2);
            if (!inSegment || kept.stream().anyMatch(b -> offset >= b.baseOffset() && offset <= b.lastOffset())) {
                expected.add(record);
            }
        }
        assertThat(readAll(log)).containsExactlyElementsOf(expected);
        assertThat(log.read(batches.get(4).baseOffset(), 1, Long.MAX_VALUE).firstOffset())
                .isEqualTo(batches.get(6).baseOffset());
        assertThat(warnings()).isEmpty();
    }

    @Test
    void shouldRecoverTheWholeLogWhenTheCheckpointIsCorrupt() throws IOException {
        List<String> all = writeAndClose(40);
        FileBatch last = lastBatch();
        truncateFile(logFile(lastBase()), last.end() - 1);
        byte[] checkpoint = Files.readAllBytes(dir.resolve(LogFiles.CHECKPOINT_FILE));
        checkpoint[10] ^= 0x40; // the recovery point's bytes: only the CRC shows it
        Files.write(dir.resolve(LogFiles.CHECKPOINT_FILE), checkpoint);
        long logBytes = totalLogBytes();
        CountingFileChannelProvider counting = new CountingFileChannelProvider();

        Log log = open(counting);

        assertThat(warnings()).anyMatch(m -> m.contains(LogFiles.CHECKPOINT_FILE) && m.contains("CRC"));
        assertThat(counting.bytesRead.get()).as("every batch is read and checked")
                .isGreaterThanOrEqualTo(logBytes - last.size());
        // The open forced what it recovered and moved the recovery point to the end.
        assertThat(CheckpointFile.read(dir)).contains(new CheckpointFile.Checkpoint(0, last.baseOffset()));
        assertHolds(log, all.subList(0, (int) last.baseOffset()));
    }

    @Test
    void shouldScanOnlyTheTailAfterACleanClose() throws IOException {
        List<String> all = writeAndClose(400);
        int segments = segmentBases(dir).size();
        long logBytes = totalLogBytes();
        assertThat(segments).isGreaterThan(30);
        CountingFileChannelProvider counting = new CountingFileChannelProvider();

        Log log = open(counting);

        // Each segment has an index entry at most two 400-byte batches before its end: at most a
        // few batch headers per segment are read, never the records.
        long headerBytes = RecordBatchFormat.RECORD_BATCH_OVERHEAD;
        assertThat(counting.bytesRead.get()).as("bytes read at open of a %d-byte log", logBytes)
                .isLessThanOrEqualTo(segments * 3 * headerBytes)
                .isLessThan(logBytes / 20);
        assertThat(warnings()).isEmpty();
        assertThat(errors()).isEmpty();
        assertHolds(log, all);
    }

    @Test
    void shouldReadOnlyTheLastIndexIntervalOfALargeActiveSegmentAfterACleanClose() throws IOException {
        LogConfig oneBigSegment = config().toBuilder().segmentBytes(1 << 20).indexIntervalBytes(4096).build();
        Log log = Log.open(dir, oneBigSegment, new LogEnvironment(clock::get, FileChannelProvider.DEFAULT));
        for (int i = 0; i < 2000; i++) {
            log.append(batch(RECORDS_PER_BATCH, 100, timestampOf(i), "b" + i + "-"), 1);
        }
        assertThat(log.numberOfSegments()).isEqualTo(1);
        long maxTimestamp = log.segmentsView().iterator().next().maxTimestamp();
        log.close();
        CountingFileChannelProvider counting = new CountingFileChannelProvider();

        Log again = Log.open(dir, oneBigSegment, new LogEnvironment(clock::get, counting));
        opened.add(again);

        // Only the batches after the last index entry (about 4 KiB of log, read in one chunk) are
        // read; nothing before it.
        assertThat(counting.bytesRead.get()).as("bytes read at open of a %d-byte segment", Files.size(logFile(0)))
                .isLessThanOrEqualTo(4096 + 2 * 400);
        assertThat(again.segmentsView().iterator().next().maxTimestamp()).isEqualTo(maxTimestamp);
        assertThat(again.logEndOffset()).isEqualTo(2000L * RECORDS_PER_BATCH);
        assertThat(warnings()).isEmpty();
    }

    // ================================================================ helpers

    FileBatch lastBatch() throws IOException {
        List<FileBatch> batches = batchesIn(logFile(lastBase()));
        assertThat(batches).isNotEmpty();
        return batches.get(batches.size() - 1);
    }

    void assertTornTailWarned(FileBatch last) throws IOException {
        String file = logFile(lastBase()).toString();
        assertThat(warnings()).anyMatch(m -> m.contains("torn") && m.contains(file)
                && m.contains("position " + last.position()));
        assertThat(errors()).isEmpty();
    }

    void assertIndexFilesAre(Map<String, byte[]> expected) throws IOException {
        Map<String, byte[]> actual = indexFiles();
        assertThat(actual).containsOnlyKeys(expected.keySet());
        assertThat(actual).allSatisfy((name, bytes) -> assertThat(bytes).as(name).isEqualTo(expected.get(name)));
    }

    long totalLogBytes() throws IOException {
        long total = 0;
        for (long base : segmentBases(dir)) {
            total += Files.size(logFile(base));
        }
        return total;
    }

    Map<String, byte[]> indexFiles() throws IOException {
        Map<String, byte[]> out = new HashMap<>();
        for (String name : fileNames(dir)) {
            if (name.endsWith(LogFiles.INDEX_SUFFIX) || name.endsWith(LogFiles.TIME_INDEX_SUFFIX)) {
                out.put(name, Files.readAllBytes(dir.resolve(name)));
            }
        }
        return out;
    }

    /** The newest timestamp of each segment, from its batch headers. */
    Map<Long, Long> maxTimestampsBySegment() throws IOException {
        Map<Long, Long> out = new HashMap<>();
        for (long base : segmentBases(dir)) {
            out.put(base, batchesIn(logFile(base)).stream().mapToLong(FileBatch::maxTimestamp).max().orElse(-1));
        }
        return out;
    }

    /**
     * Every segment knows its newest timestamp, and {@link Log#offsetForTimestamp} finds the first
     * record at or after each timestamp (record i has the timestamp of its batch, i / 3).
     */
    static void assertTimeLookupsHold(Log log, int records, Map<Long, Long> maxTimestamps) {
        for (LogSegment seg : log.segmentsView()) {
            assertThat(seg.maxTimestamp()).as("max timestamp of %s", seg).isEqualTo(maxTimestamps.get(seg.baseOffset()));
        }
        long maxTs = maxTimestamps.values().stream().mapToLong(Long::longValue).max().orElseThrow();
        java.util.TreeSet<Long> times = new java.util.TreeSet<>();
        for (long t = 99_000; t <= maxTs + 1; t += 97) {
            times.add(t);
        }
        for (int batch = 0; batch * RECORDS_PER_BATCH < records; batch++) {
            times.add(timestampOf(batch));
            times.add(timestampOf(batch) + 1);
        }
        for (long t : times) {
            Optional<TimestampOffset> expected = Optional.empty();
            for (int offset = 0; offset < records; offset++) {
                long ts = timestampOf(offset / RECORDS_PER_BATCH);
                if (ts >= t) {
                    expected = Optional.of(new TimestampOffset(ts, offset));
                    break;
                }
            }
            assertThat(log.offsetForTimestamp(t)).as("offset for timestamp %d", t).isEqualTo(expected);
        }
    }
}
