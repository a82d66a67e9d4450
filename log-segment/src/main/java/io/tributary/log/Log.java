package io.tributary.log;

import io.tributary.log.internal.CheckpointFile;
import io.tributary.log.internal.CleanerCheckpointFile;
import io.tributary.log.internal.LogFiles;
import io.tributary.log.internal.LogSegment;
import io.tributary.record.InvalidRecordBatchException;
import io.tributary.record.RecordBatch;
import io.tributary.record.RecordBatchFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One partition's log on disk: a directory of segments, each a {@code .log} file of record batches
 * with its memory-mapped offset and time indexes (see {@code log-segment/FORMAT.md}).
 *
 * <h2>What it does</h2>
 * <ul>
 *   <li>{@link #append} assigns offsets to a producer's batches (stamping base offset and leader
 *       epoch, which the CRC does not cover, in place) and writes them without re-encoding;
 *       {@link #appendAsFollower} writes batches whose offsets were assigned elsewhere.</li>
 *   <li>{@link #read} returns whole stored batches from an offset, bounded by bytes and by an
 *       upper offset the caller gives (the committed offset).</li>
 *   <li>Segments roll on {@code segment.bytes}, {@code segment.ms} or a full index;
 *       {@link #enforceRetention()} deletes whole old segments by {@code retention.ms} and
 *       {@code retention.bytes}, advancing the log start offset.</li>
 *   <li>{@link #open} recovers after an unclean stop: only what lies after the checkpointed
 *       recovery point is rescanned and CRC-checked; a torn tail is truncated; missing or damaged
 *       indexes are rebuilt.</li>
 *   <li>An I/O error while writing marks the log failed: every later write throws
 *       {@link LogFailedException}; nothing written before is touched.</li>
 * </ul>
 *
 * <h2>Threads</h2>
 * One writer at a time: append, roll, truncate, flush, retention and close serialise on an
 * internal lock (the replication layer calls them from one apply thread, so the lock is
 * uncontended). Any number of readers run concurrently without locks: they see the log end
 * offset and segment sizes published through volatile fields after the bytes and index entries
 * are written, and hold a reference on the segment they read so it cannot be closed under them.
 *
 * <p><b>Design note.</b> Reads copy the stored bytes once, from the page cache into a heap buffer
 * that the broker hands to the network as is (no record objects). A read never spans two
 * segments, as in Kafka; the caller asks again from {@link LogReadResult#nextOffset()}.
 */
public final class Log implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(Log.class);

    private final Path dir;
    private final LogEnvironment env;
    private volatile LogConfig config;
    private final ConcurrentSkipListMap<Long, LogSegment> segments = new ConcurrentSkipListMap<>();
    private final ReentrantLock writeLock = new ReentrantLock();

    private volatile long logStartOffset;
    private volatile long logEndOffset;
    /** Every offset below it is known to be on disk. */
    private volatile long recoveryPoint;
    private volatile LogFailedException failure;
    private volatile boolean closed;
    private long lastCheckpointMs;
    /** Bytes appended since the checkpoint was last written. Writer only. */
    private long bytesSinceCheckpoint;
    /** Bumped by every truncation, so a compaction pass planned before one commits nothing more. Written under the write lock. */
    private volatile long truncations;
    /** The cleaner checkpoint as last read or written; -1 until first needed. Guarded by the write lock. */
    private long cleanerCheckpoint = -1;

    private Log(Path dir, LogConfig config, LogEnvironment env) {
        this.dir = dir;
        this.config = config;
        this.env = env;
    }

    /** Opens (creating if needed) the log in {@code dir} with the system clock and plain files. */
    public static Log open(Path dir, LogConfig config) throws IOException {
        return open(dir, config, LogEnvironment.defaults());
    }

    /**
     * Opens (creating if needed) the log in {@code dir}, recovering it if it was not closed
     * cleanly.
     *
     * @throws IOException when the directory cannot be read or written
     */
    public static Log open(Path dir, LogConfig config, LogEnvironment env) throws IOException {
        Log log = new Log(dir, config, env);
        try {
            log.load();
        } catch (IOException | RuntimeException e) {
            log.releaseSegments();
            throw e;
        }
        return log;
    }

    // ================================================================ loading and recovery

    private void load() throws IOException {
        long started = System.nanoTime();
        Files.createDirectories(dir);
        completeOrDiscardInterruptedOperations();
        TreeSet<Long> bases = listSegmentBaseOffsets();

        Optional<CheckpointFile.Checkpoint> checkpoint = Optional.empty();
        try {
            checkpoint = CheckpointFile.read(dir);
        } catch (IOException e) {
            LOG.warn("Ignoring unreadable checkpoint in {} ({}); recovering the whole log", dir, e.getMessage());
        }
        long cpLogStart = checkpoint.map(CheckpointFile.Checkpoint::logStartOffset).orElse(0L);
        long cpRecovery = checkpoint.map(CheckpointFile.Checkpoint::recoveryPoint).orElse(0L);
        long now = env.clockMs().getAsLong();

        if (bases.isEmpty()) {
            LogSegment seg = newSegment(cpLogStart, now);
            segments.put(cpLogStart, seg);
        } else {
            // Segments from the one holding the recovery point onwards are rescanned (and opened writable).
            Long floor = bases.floor(cpRecovery);
            long recoveryStartBase = floor == null ? bases.first() : floor;
            long last = bases.last();
            boolean truncatedTail = false;
            for (long base : bases) {
                if (truncatedTail) {
                    deleteSegmentFiles(base, "it follows a damaged segment that was truncated");
                    continue;
                }
                boolean isLast = base == last;
                boolean needsScan = base >= recoveryStartBase;
                LogSegment seg = openSegment(base, needsScan || isLast, now);
                segments.put(base, seg);
                if (needsScan) {
                    truncatedTail = recoverSegment(seg, Math.max(cpRecovery, base), isLast);
                    if (!isLast && !truncatedTail) {
                        seg.onBecomeInactive();
                    }
                } else {
                    truncatedTail = loadTrustedSegment(seg);
                }
            }
            if (truncatedTail) {
                // The last kept segment becomes active again: it may have been a rolled one.
                LogSegment tail = segments.lastEntry().getValue();
                if (!tail.isActiveCapable()) {
                    reopenActive(tail, now);
                }
            }
        }
        LogSegment active = activeSegment();
        logEndOffset = active.nextOffset();
        logStartOffset = Math.min(Math.max(cpLogStart, segments.firstKey()), logEndOffset);
        // Everything that survived recovery is forced once, so the recovery point can move to the end.
        for (LogSegment seg : segments.tailMap(recoveryStartKey(cpRecovery), true).values()) {
            seg.flush();
        }
        recoveryPoint = logEndOffset;
        writeCheckpoint();
        LOG.info("Opened log {}: {} segments, offsets [{}, {}), {} bytes, in {} ms", dir, segments.size(),
                logStartOffset, logEndOffset, sizeInBytes(), (System.nanoTime() - started) / 1_000_000);
    }

    private long recoveryStartKey(long recoveryPointOffset) {
        Long floor = segments.floorKey(recoveryPointOffset);
        return floor == null ? segments.firstKey() : floor;
    }

    private LogSegment newSegment(long baseOffset, long now) throws IOException {
        LogConfig c = config;
        return LogSegment.create(dir, baseOffset, c.segmentIndexBytes(), c.indexIntervalBytes(), env.channels(), now);
    }

    private LogSegment openSegment(long base, boolean writable, long now) throws IOException {
        LogConfig c = config;
        try {
            return LogSegment.open(dir, base, c.segmentIndexBytes(), c.indexIntervalBytes(), env.channels(),
                    writable, now);
        } catch (IOException | RuntimeException e) {
            // Only the indexes can fail to map; they are derived data.
            if (!Files.exists(LogFiles.logFile(dir, base))) {
                throw e;
            }
            LOG.warn("Cannot open the indexes of segment {} in {} ({}); rebuilding them", base, dir, e.toString());
            Files.deleteIfExists(LogFiles.offsetIndexFile(dir, base));
            Files.deleteIfExists(LogFiles.timeIndexFile(dir, base));
            return LogSegment.open(dir, base, c.segmentIndexBytes(), c.indexIntervalBytes(), env.channels(), true,
                    now);
        }
    }

    /**
     * A segment wholly below the recovery point: trusted, only its tail walked.
     *
     * @return true when rebuilding its indexes found damage and cut it (later segments must then go,
     *     or the log would have a hole in its offsets)
     */
    private boolean loadTrustedSegment(LogSegment seg) throws IOException {
        boolean indexesSane = indexesSane(seg);
        if (indexesSane && seg.loadTail() && seg.finalTimeIndexEntryMatches()) {
            return false;
        }
        // A damaged index (or a tail that does not parse): rebuild everything for this segment.
        LOG.warn("Indexes of {} are missing or damaged; rebuilding them from the log", seg.logFile());
        long base = seg.baseOffset();
        segments.remove(base);
        seg.closeAsOwner();
        Files.deleteIfExists(LogFiles.offsetIndexFile(dir, base));
        Files.deleteIfExists(LogFiles.timeIndexFile(dir, base));
        LogSegment rebuilt = openSegment(base, true, env.clockMs().getAsLong());
        segments.put(base, rebuilt);
        LogSegment.RecoveryResult r = rebuilt.recover(base);
        if (r.truncatedBytes() > 0) {
            // Below the recovery point: this data was acknowledged as flushed. Say so loudly.
            LOG.error("Segment {} is damaged below the recovery point: {} at position {}; {} bytes after it and"
                    + " every later segment were dropped and must be restored from a replica", rebuilt.logFile(),
                    r.problem(), r.validBytes(), r.truncatedBytes());
        }
        rebuilt.onBecomeInactive();
        return r.truncatedBytes() > 0;
    }

    private static boolean indexesSane(LogSegment seg) throws IOException {
        try {
            long logSize = Files.size(seg.logFile());
            seg.offsetIndex().sanityCheck(logSize);
            seg.timeIndex().sanityCheck(logSize);
            return true;
        } catch (IllegalStateException e) {
            LOG.warn("Index check failed: {}", e.getMessage());
            return false;
        }
    }

    /**
     * Rescans a segment from {@code fromOffset}.
     *
     * @return true when data was cut from it (later segments must then go)
     */
    private boolean recoverSegment(LogSegment seg, long fromOffset, boolean isLast) throws IOException {
        if (!indexesSane(seg)) {
            seg.offsetIndex().reset();
            seg.timeIndex().reset();
            fromOffset = seg.baseOffset();
        }
        LogSegment.RecoveryResult r = seg.recover(fromOffset);
        if (r.truncatedBytes() == 0) {
            return false;
        }
        if (r.tornTail() && isLast) {
            LOG.warn("Truncated a torn write at the end of {}: {} bytes from position {} ({})", seg.logFile(),
                    r.truncatedBytes(), r.validBytes(), r.problem());
        } else {
            LOG.error("Corrupt data in {} at position {} ({}): truncated {} bytes{}", seg.logFile(), r.validBytes(),
                    r.problem(), r.truncatedBytes(), isLast ? "" : " and every later segment");
        }
        return !isLast;
    }

    private void reopenActive(LogSegment seg, long now) throws IOException {
        long base = seg.baseOffset();
        LogSegment writable = openSegment(base, true, now);
        if (!writable.loadTail()) {
            writable.recover(base);
        }
        writable.timeIndex().truncateToOffset(writable.nextOffset());
        segments.put(base, writable);
        seg.closeAsOwner();
    }

    private void deleteSegmentFiles(long base, String why) throws IOException {
        LOG.error("Deleting segment {} of {}: {}", base, dir, why);
        Files.deleteIfExists(LogFiles.logFile(dir, base));
        Files.deleteIfExists(LogFiles.offsetIndexFile(dir, base));
        Files.deleteIfExists(LogFiles.timeIndexFile(dir, base));
    }

    /**
     * Leftovers of operations a crash interrupted: {@code .deleted} and {@code .cleaned} files go;
     * a complete {@code .swap} (its {@code .log.swap} exists) replaces the segment it was made from.
     */
    private void completeOrDiscardInterruptedOperations() throws IOException {
        List<Path> swaps = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (name.endsWith(LogFiles.DELETED_SUFFIX) || name.endsWith(LogFiles.CLEANED_SUFFIX)
                        || name.endsWith(".tmp")) {
                    Files.deleteIfExists(p);
                } else if (name.endsWith(LogFiles.LOG_SUFFIX + LogFiles.SWAP_SUFFIX)) {
                    swaps.add(p);
                }
            }
        }
        for (Path swapLog : swaps) {
            long base = LogFiles.baseOffsetOf(swapLog.getFileName().toString());
            LOG.info("Completing an interrupted compaction swap of segment {} in {}", base, dir);
            Files.move(swapLog, LogFiles.logFile(dir, base), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            for (Path idx : List.of(LogFiles.offsetIndexFile(dir, base), LogFiles.timeIndexFile(dir, base))) {
                Path swapIdx = LogFiles.withSuffix(idx, LogFiles.SWAP_SUFFIX);
                if (Files.exists(swapIdx)) {
                    Files.move(swapIdx, idx, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                } else {
                    Files.deleteIfExists(idx); // rebuilt at load
                }
            }
        }
        // Index .swap files without their .log.swap belong to a swap that never completed.
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*" + LogFiles.SWAP_SUFFIX)) {
            for (Path p : ds) {
                Files.deleteIfExists(p);
            }
        }
    }

    private TreeSet<Long> listSegmentBaseOffsets() throws IOException {
        TreeSet<Long> bases = new TreeSet<>();
        List<Path> orphans = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                long base = LogFiles.baseOffsetOf(name);
                if (base < 0) {
                    continue;
                }
                if (name.endsWith(LogFiles.LOG_SUFFIX)) {
                    bases.add(base);
                } else if (name.endsWith(LogFiles.INDEX_SUFFIX) || name.endsWith(LogFiles.TIME_INDEX_SUFFIX)) {
                    orphans.add(p);
                }
            }
        }
        for (Path p : orphans) {
            if (!bases.contains(LogFiles.baseOffsetOf(p.getFileName().toString()))) {
                LOG.warn("Deleting index {} whose segment is gone", p);
                Files.deleteIfExists(p);
            }
        }
        return bases;
    }

    // ================================================================ appends

    /**
     * Appends a producer's batches: checks them, assigns offsets from the log end offset, stamps
     * each batch's base offset and {@code leaderEpoch} (and the broker time for
     * {@code LogAppendTime} logs) into the buffer in place, and writes the bytes as they are.
     *
     * @param records one or more record batches back to back, from position to limit; modified in place
     * @param leaderEpoch the Raft term of the leader that accepted them
     * @throws InvalidAppendException when the input is not acceptable; nothing is written
     * @throws LogFailedException when the log has failed or fails now
     */
    public LogAppendInfo append(ByteBuffer records, int leaderEpoch) {
        List<RecordBatch> batches = analyze(records, true);
        writeLock.lock();
        try {
            checkWritable();
            long next = logEndOffset;
            long appendTime = config.logAppendTime() ? env.clockMs().getAsLong() : RecordBatchFormat.NO_TIMESTAMP;
            List<LogSegment.BatchInfo> infos = new ArrayList<>(batches.size());
            for (RecordBatch b : batches) {
                b.setBaseOffset(next);
                b.setPartitionLeaderEpoch(leaderEpoch);
                if (appendTime != RecordBatchFormat.NO_TIMESTAMP) {
                    b.setLogAppendTime(appendTime);
                }
                next = b.nextOffset();
            }
            return appendLocked(records, batches, infos, appendTime);
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Appends batches whose offsets were assigned elsewhere (a replica copying its leader). Each
     * batch must start at or after the log end offset and after the previous batch.
     *
     * @throws InvalidAppendException when the input is not acceptable; nothing is written
     * @throws LogFailedException when the log has failed or fails now
     */
    public LogAppendInfo appendAsFollower(ByteBuffer records) {
        List<RecordBatch> batches = analyze(records, false);
        writeLock.lock();
        try {
            checkWritable();
            long expected = logEndOffset;
            for (RecordBatch b : batches) {
                if (b.baseOffset() < expected) {
                    throw new InvalidAppendException(InvalidAppendException.Reason.OFFSET_NOT_MONOTONIC,
                            "batch base offset " + b.baseOffset() + " is below the expected offset " + expected
                                    + " (log " + dir + ")");
                }
                expected = b.nextOffset();
            }
            return appendLocked(records, batches, new ArrayList<>(batches.size()), RecordBatchFormat.NO_TIMESTAMP);
        } finally {
            writeLock.unlock();
        }
    }

    /** Splits and validates the batches of an append; no lock held. */
    private List<RecordBatch> analyze(ByteBuffer records, boolean denseOffsets) {
        if (records == null || !records.hasRemaining()) {
            throw new InvalidAppendException(InvalidAppendException.Reason.EMPTY, "no record batch to append");
        }
        int maxBytes = config.maxMessageBytes();
        List<RecordBatch> batches = new ArrayList<>();
        int position = records.position();
        int limit = records.limit();
        while (position < limit) {
            int size;
            try {
                size = RecordBatch.sizeInBytes(records, position);
            } catch (InvalidRecordBatchException e) {
                throw new InvalidAppendException(InvalidAppendException.Reason.CORRUPT_BATCH,
                        "batch " + batches.size() + " at byte " + (position - records.position()) + ": "
                                + e.getMessage(), e);
            }
            if (size > maxBytes) {
                throw new InvalidAppendException(InvalidAppendException.Reason.BATCH_TOO_LARGE,
                        "batch " + batches.size() + " is " + size + " bytes, larger than "
                                + LogConfig.MAX_MESSAGE_BYTES + "=" + maxBytes);
            }
            if (size < RecordBatchFormat.RECORD_BATCH_OVERHEAD || (long) position + size > limit) {
                throw new InvalidAppendException(InvalidAppendException.Reason.CORRUPT_BATCH,
                        "batch " + batches.size() + " at byte " + (position - records.position()) + " declares "
                                + size + " bytes but " + (limit - position) + " remain");
            }
            ByteBuffer view = records.duplicate();
            view.position(position).limit(position + size);
            RecordBatch batch = RecordBatch.wrap(view);
            try {
                batch.validate();
            } catch (InvalidRecordBatchException e) {
                throw new InvalidAppendException(InvalidAppendException.Reason.CORRUPT_BATCH,
                        "batch " + batches.size() + ": " + e.getMessage(), e);
            }
            if (batch.recordCount() <= 0) {
                throw new InvalidAppendException(InvalidAppendException.Reason.EMPTY,
                        "batch " + batches.size() + " has no records");
            }
            if (denseOffsets && batch.lastOffsetDelta() != batch.recordCount() - 1) {
                throw new InvalidAppendException(InvalidAppendException.Reason.CORRUPT_BATCH,
                        "batch " + batches.size() + " has last offset delta " + batch.lastOffsetDelta() + " but "
                                + batch.recordCount() + " records");
            }
            batches.add(batch);
            position += size;
        }
        return batches;
    }

    private LogAppendInfo appendLocked(ByteBuffer records, List<RecordBatch> batches,
                                       List<LogSegment.BatchInfo> infos, long appendTime) {
        int start = records.position();
        long maxTs = RecordBatchFormat.NO_TIMESTAMP;
        int recordCount = 0;
        int relative = 0;
        for (RecordBatch b : batches) {
            infos.add(new LogSegment.BatchInfo(relative, b.sizeInBytes(), b.baseOffset(), b.lastOffset(),
                    b.maxTimestamp()));
            relative += b.sizeInBytes();
            maxTs = Math.max(maxTs, b.maxTimestamp());
            recordCount += b.recordCount();
        }
        LogSegment.BatchInfo first = infos.get(0);
        LogSegment.BatchInfo last = infos.get(infos.size() - 1);
        ByteBuffer bytes = records.duplicate();
        bytes.position(start);
        try {
            LogSegment seg = maybeRoll(bytes.remaining(), first.baseOffset(), last.lastOffset(), infos.size());
            seg.append(bytes, infos);
            bytesSinceCheckpoint += bytes.remaining();
        } catch (IOException e) {
            throw fail("append", e);
        }
        logEndOffset = last.lastOffset() + 1;
        return new LogAppendInfo(first.baseOffset(), last.lastOffset(), maxTs, appendTime, infos.size(),
                recordCount, bytes.remaining());
    }

    private LogSegment maybeRoll(int bytes, long firstOffset, long lastOffset, int batchCount) throws IOException {
        LogSegment active = activeSegment();
        LogConfig c = config;
        long now = env.clockMs().getAsLong();
        if (active.isEmpty()) {
            if (lastOffset - active.baseOffset() > Integer.MAX_VALUE || firstOffset != active.baseOffset()) {
                // An empty segment named for an offset the append skips: name it for the first batch instead.
                segments.remove(active.baseOffset());
                active.markDeletedAndRelease();
                LogSegment seg = newSegment(firstOffset, now);
                segments.put(firstOffset, seg);
                return seg;
            }
            return active;
        }
        String reason = null;
        if ((long) active.size() + bytes > c.segmentBytes()) {
            reason = "size " + active.size() + " + " + bytes + " > " + LogConfig.SEGMENT_BYTES + "=" + c.segmentBytes();
        } else if (now - active.createdMs() > c.segmentMs()) {
            reason = "age " + (now - active.createdMs()) + " ms > " + LogConfig.SEGMENT_MS + "=" + c.segmentMs();
        } else if (!active.indexesHaveRoomFor(batchCount)) {
            reason = "index full";
        } else if (lastOffset - active.baseOffset() > Integer.MAX_VALUE) {
            reason = "relative offsets would overflow";
        }
        if (reason == null) {
            return active;
        }
        return roll(firstOffset, reason, now);
    }

    private LogSegment roll(long newBase, String reason, long now) throws IOException {
        LogSegment old = activeSegment();
        old.onBecomeInactive(); // forces the segment and its indexes
        recoveryPoint = Math.max(recoveryPoint, old.nextOffset());
        LogSegment seg = newSegment(newBase, now);
        segments.put(newBase, seg);
        LOG.debug("Rolled log {} at offset {} ({})", dir, newBase, reason);
        writeCheckpoint();
        return seg;
    }

    /** Rolls the active segment now if it holds any data (for tests and operators). */
    public void roll() {
        writeLock.lock();
        try {
            checkWritable();
            LogSegment active = activeSegment();
            if (!active.isEmpty()) {
                roll(logEndOffset, "requested", env.clockMs().getAsLong());
            }
        } catch (IOException e) {
            throw fail("roll", e);
        } finally {
            writeLock.unlock();
        }
    }

    // ================================================================ reads

    /**
     * Reads whole batches from the one holding {@code startOffset}: at most {@code maxBytes}, except
     * that a first batch larger than that is returned whole so a reader always progresses; only
     * batches that end below {@code maxOffset} (exclusive; typically the high watermark) are
     * returned. Reads from one segment at most.
     *
     * @throws OffsetOutOfRangeException when {@code startOffset} is below the log start offset or
     *     above {@code min(maxOffset, log end offset)}
     * @throws CorruptLogException when a stored batch fails its CRC (with {@code log.read.verify.crc})
     */
    public LogReadResult read(long startOffset, int maxBytes, long maxOffset) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes " + maxBytes + " is negative");
        }
        checkOpen();
        for (int attempt = 0; ; attempt++) {
            long lso = logStartOffset;
            long leo = logEndOffset;
            long bound = Math.min(maxOffset, leo);
            if (startOffset < lso || startOffset > bound) {
                throw new OffsetOutOfRangeException(startOffset, lso, Math.max(lso, bound));
            }
            if (startOffset == bound) {
                return new LogReadResult(ByteBuffer.allocate(0), startOffset, startOffset, lso, leo);
            }
            Map.Entry<Long, LogSegment> entry = segments.floorEntry(startOffset);
            if (entry == null) {
                entry = segments.firstEntry();
            }
            boolean raced = false;
            while (entry != null) {
                LogSegment seg = entry.getValue();
                if (!seg.tryRetain()) {
                    raced = true; // replaced or deleted under us: look again
                    break;
                }
                ByteBuffer buf;
                try {
                    buf = seg.read(startOffset, maxBytes, bound, true, config.readVerifyCrc());
                } catch (java.io.EOFException e) {
                    // The segment was cut back (truncation) while we read: look again.
                    raced = true;
                    break;
                } catch (IOException e) {
                    // A read error does not fail the log for writes: the data already written is
                    // not at risk from it, and the caller gets a storage error for this read.
                    throw new LogException("read of offset " + startOffset + " from " + seg.logFile()
                            + " failed: " + e, e);
                } finally {
                    seg.release();
                }
                if (buf != null) {
                    long lsoNow = logStartOffset;
                    if (startOffset < lsoNow) {
                        // Retention deleted the segment holding startOffset since the check above, and this
                        // read went on to a later segment: serving it would skip records silently.
                        throw new OffsetOutOfRangeException(startOffset, lsoNow, Math.max(lsoNow, bound));
                    }
                    long first = buf.hasRemaining() ? buf.getLong(RecordBatchFormat.BASE_OFFSET_OFFSET) : startOffset;
                    long next = buf.hasRemaining() ? lastBatchNextOffset(buf) : startOffset;
                    return new LogReadResult(buf, first, next, lso, leo);
                }
                entry = segments.higherEntry(entry.getKey());
            }
            if (!raced && config.cleanupPolicy().compacts()) {
                // No batch at or after startOffset below the bound: compaction removed every record
                // from there on. The reader may skip to the bound.
                return new LogReadResult(ByteBuffer.allocate(0), startOffset, bound, lso, leo);
            }
            // A log that is never compacted has a batch for every offset below its end: finding none
            // means the segments changed under this read (retention, truncation). Never let a reader
            // skip offsets because of a race: look again.
            if (attempt > 100) {
                throw new LogException("read of offset " + startOffset + " in " + dir
                        + " kept racing with segment changes");
            }
        }
    }

    private static long lastBatchNextOffset(ByteBuffer buf) {
        int position = 0;
        long next = -1;
        while (position < buf.limit()) {
            long base = buf.getLong(position + RecordBatchFormat.BASE_OFFSET_OFFSET);
            int delta = buf.getInt(position + RecordBatchFormat.LAST_OFFSET_DELTA_OFFSET);
            next = base + delta + 1;
            position += buf.getInt(position + RecordBatchFormat.LENGTH_OFFSET) + RecordBatchFormat.LOG_OVERHEAD;
        }
        return next;
    }

    /**
     * The first record whose timestamp is at or after {@code timestamp}, or empty when no record
     * reaches it.
     */
    public Optional<TimestampOffset> offsetForTimestamp(long timestamp) {
        checkOpen();
        for (int attempt = 0; ; attempt++) {
            long lso = logStartOffset;
            boolean raced = false;
            for (LogSegment seg : segments.values()) {
                if (seg.maxTimestamp() < timestamp || seg.nextOffset() <= lso) {
                    continue;
                }
                if (!seg.tryRetain()) {
                    // Replaced (compaction) or deleted under us: skipping it could skip the answer.
                    raced = true;
                    break;
                }
                try {
                    long[] found = seg.findOffsetByTimestamp(timestamp, lso);
                    if (found != null) {
                        return Optional.of(new TimestampOffset(found[1], found[0]));
                    }
                } catch (IOException e) {
                    throw fail("timestamp lookup in " + seg.logFile(), e);
                } finally {
                    seg.release();
                }
            }
            if (!raced) {
                return Optional.empty();
            }
            if (attempt > 100) {
                throw new LogException("timestamp lookup in " + dir + " kept racing with segment changes");
            }
        }
    }

    // ================================================================ truncation and retention

    /**
     * Removes every batch whose last offset is at or after {@code offset} (a replica dropping what
     * its new leader does not have). Batches are not split: the log end offset becomes the start of
     * the batch holding {@code offset}, which may be below it.
     *
     * @return the new log end offset
     */
    public long truncateTo(long offset) {
        writeLock.lock();
        try {
            checkWritable();
            if (offset >= logEndOffset) {
                return logEndOffset;
            }
            if (offset <= logStartOffset) {
                truncateFullyAndStartAt(offset < 0 ? 0 : offset);
                return logEndOffset;
            }
            long now = env.clockMs().getAsLong();
            // Whole segments at or after the offset go.
            for (LogSegment seg : new ArrayList<>(segments.tailMap(offset, true).values())) {
                segments.remove(seg.baseOffset());
                seg.markDeletedAndRelease();
            }
            LogSegment target = activeSegment();
            if (!target.isActiveCapable()) {
                reopenActive(target, now);
                target = activeSegment();
            }
            long newEnd = target.truncateTo(offset);
            logEndOffset = newEnd;
            // Batches are not split: when the log start offset lies inside the batch that went, the end
            // falls below it. The log is then empty at the new end (as Kafka: min(target, log start)).
            logStartOffset = Math.min(logStartOffset, newEnd);
            recoveryPoint = Math.min(recoveryPoint, newEnd);
            onTruncated(newEnd);
            writeCheckpoint();
            LOG.info("Truncated log {} to offset {}", dir, newEnd);
            return newEnd;
        } catch (IOException e) {
            throw fail("truncate", e);
        } finally {
            writeLock.unlock();
        }
    }

    /** Deletes every segment and restarts the log empty at {@code offset} (a replica catching up from a snapshot). */
    public void truncateFullyAndStartAt(long offset) {
        if (offset < 0) {
            throw new IllegalArgumentException("offset " + offset + " is negative");
        }
        writeLock.lock();
        try {
            checkWritable();
            long now = env.clockMs().getAsLong();
            for (LogSegment seg : new ArrayList<>(segments.values())) {
                segments.remove(seg.baseOffset());
                seg.markDeletedAndRelease();
            }
            segments.put(offset, newSegment(offset, now));
            logStartOffset = offset;
            logEndOffset = offset;
            recoveryPoint = offset;
            onTruncated(offset);
            writeCheckpoint();
            LOG.info("Log {} restarted empty at offset {}", dir, offset);
        } catch (IOException e) {
            throw fail("truncate fully", e);
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Moves the log start offset forward (records below it become unreadable; whole segments
     * below it are deleted by the next {@link #enforceRetention()}).
     */
    public void advanceLogStartOffset(long offset) {
        writeLock.lock();
        try {
            checkWritable();
            if (offset > logEndOffset) {
                throw new OffsetOutOfRangeException(offset, logStartOffset, logEndOffset);
            }
            if (offset > logStartOffset) {
                logStartOffset = offset;
                writeCheckpoint();
            }
        } catch (IOException e) {
            throw fail("advance log start offset", e);
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Deletes the oldest whole segments that break {@code retention.ms} (their newest record is
     * older), {@code retention.bytes} (the log is larger without them), or lie below the log start
     * offset; never the active segment. Advances the log start offset.
     *
     * @return the number of segments deleted
     */
    public int enforceRetention() {
        writeLock.lock();
        try {
            checkWritable();
            LogConfig c = config;
            long now = env.clockMs().getAsLong();
            boolean bySize = c.cleanupPolicy().deletes() && c.retentionBytes() >= 0;
            long excess = bySize ? sizeInBytes() - c.retentionBytes() : 0;
            int deleted = 0;
            for (LogSegment seg : new ArrayList<>(segments.values())) {
                if (seg == activeSegment()) {
                    break;
                }
                String why = null;
                if (seg.nextOffset() <= logStartOffset) {
                    why = "below the log start offset " + logStartOffset;
                } else if (c.cleanupPolicy().deletes() && c.retentionMs() >= 0
                        && now - segmentTimestamp(seg) > c.retentionMs()) {
                    why = "newest record older than " + LogConfig.RETENTION_MS + "=" + c.retentionMs();
                } else if (bySize && excess >= seg.size()) {
                    why = "log larger than " + LogConfig.RETENTION_BYTES + "=" + c.retentionBytes();
                }
                if (why == null) {
                    break;
                }
                excess -= seg.size();
                // The log start offset moves first: a reader that no longer finds the segment then sees it
                // (Log.read checks it again after its lookup) instead of reading on from the next segment.
                logStartOffset = Math.max(logStartOffset, segments.higherKey(seg.baseOffset()));
                segments.remove(seg.baseOffset());
                seg.markDeletedAndRelease();
                deleted++;
                LOG.info("Deleted segment {} of {} ({}); log start offset is now {}", seg.baseOffset(), dir, why,
                        logStartOffset);
            }
            if (deleted > 0) {
                writeCheckpoint();
            }
            return deleted;
        } catch (IOException e) {
            throw fail("retention", e);
        } finally {
            writeLock.unlock();
        }
    }

    private static long segmentTimestamp(LogSegment seg) throws IOException {
        long ts = seg.maxTimestamp();
        return ts >= 0 ? ts : Files.getLastModifiedTime(seg.logFile()).toMillis();
    }

    // ================================================================ flush, checkpoint, close

    /**
     * Forces everything appended so far to disk and moves the recovery point to the log end
     * offset. The checkpoint file is rewritten at most every {@code log.checkpoint.interval.ms}
     * (a stale checkpoint only means a longer rescan after a crash).
     */
    public void flush() {
        writeLock.lock();
        try {
            checkWritable();
            long end = logEndOffset;
            if (end > recoveryPoint) {
                activeSegment().flush();
                recoveryPoint = end;
            }
            long now = env.clockMs().getAsLong();
            if (now - lastCheckpointMs >= config.checkpointIntervalMs()
                    || bytesSinceCheckpoint >= config.checkpointIntervalBytes()) {
                writeCheckpoint();
            }
        } catch (IOException e) {
            throw fail("flush", e);
        } finally {
            writeLock.unlock();
        }
    }

    /** Writes the checkpoint now. */
    public void checkpoint() {
        writeLock.lock();
        try {
            checkWritable();
            writeCheckpoint();
        } catch (IOException e) {
            throw fail("checkpoint", e);
        } finally {
            writeLock.unlock();
        }
    }

    private void writeCheckpoint() throws IOException {
        CheckpointFile.write(dir, new CheckpointFile.Checkpoint(logStartOffset, recoveryPoint));
        lastCheckpointMs = env.clockMs().getAsLong();
        bytesSinceCheckpoint = 0;
    }

    /**
     * Flushes, writes the checkpoint (so the next open scans nothing), and releases every file and
     * mapping. A failed log is closed without flushing. Idempotent.
     */
    @Override
    public void close() {
        writeLock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            if (failure == null) {
                try {
                    activeSegment().flush();
                    recoveryPoint = logEndOffset;
                    writeCheckpoint();
                } catch (IOException e) {
                    LOG.error("Failed to flush log {} at close; it will be recovered at the next open", dir, e);
                }
            }
            releaseSegments();
            LOG.info("Closed log {} at offsets [{}, {})", dir, logStartOffset, logEndOffset);
        } finally {
            writeLock.unlock();
        }
    }

    private void releaseSegments() {
        for (LogSegment seg : segments.values()) {
            seg.closeAsOwner();
        }
        segments.clear();
    }

    private LogFailedException fail(String operation, IOException e) {
        LogFailedException f = new LogFailedException("log " + dir + " failed during " + operation + ": " + e
                + "; it refuses writes until it is reopened", e);
        if (failure == null) {
            failure = f;
            LOG.error("Log {} failed during {}; refusing further writes", dir, operation, e);
        }
        return f;
    }

    private void checkOpen() {
        if (closed) {
            throw new LogException("log " + dir + " is closed");
        }
    }

    private void checkWritable() {
        checkOpen();
        LogFailedException f = failure;
        if (f != null) {
            throw new LogFailedException("log " + dir + " failed earlier and refuses writes: "
                    + f.getCause(), f.getCause());
        }
    }

    // ================================================================ compaction (LogCleaner only)

    /** How {@link #replaceSegment} ended. */
    enum SwapOutcome {
        /** The cleaned copy took the segment's place. */
        SWAPPED,
        /** The segment is no longer in the log (retention deleted it); nothing changed. */
        SEGMENT_GONE,
        /** The log was truncated, closed or failed since the pass began; the pass must stop. */
        LOG_CHANGED
    }

    /**
     * What a compaction pass starts from (see {@link CleaningView}), or null when the log is
     * closed or failed. The first dirty offset is the cleaner checkpoint, reset to the log start
     * offset when missing, unreadable, below it, or beyond the log end offset.
     */
    CleaningView beginCleaning() {
        writeLock.lock();
        try {
            if (closed || failure != null) {
                return null;
            }
            long lso = logStartOffset;
            long leo = logEndOffset;
            long firstDirty = cleanerCheckpoint();
            if (firstDirty > leo) {
                LOG.warn("Cleaner checkpoint {} of {} is beyond the log end offset {}; cleaning from the log start"
                        + " offset {}", firstDirty, dir, leo, lso);
                firstDirty = lso;
            } else if (firstDirty < lso) {
                firstDirty = lso;
            }
            LogSegment active = activeSegment();
            List<LogSegment> closedSegments = new ArrayList<>();
            for (LogSegment seg : segments.headMap(active.baseOffset(), false).values()) {
                if (seg.tryRetain()) { // always: the log holds a reference to each of its segments
                    closedSegments.add(seg);
                }
            }
            return new CleaningView(closedSegments, lso, active.baseOffset(), firstDirty, truncations);
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Swaps a closed segment for its compacted copy (same base and end offset). Takes ownership of
     * {@code cleaned}: when the swap does not happen, its files are deleted.
     *
     * <p>Under the write lock, after checking that the log was not truncated since the pass began
     * and that {@code old} is still the segment at its base offset: the copy's {@code .cleaned}
     * files become {@code .swap} (indexes first, the {@code .log.swap} last: from then on a crash
     * completes the swap at the next open), the copy replaces {@code old} in the segment map,
     * {@code old} is renamed {@code .deleted} and released (readers holding it finish on its
     * files), and the copy takes the canonical names. Renames only; the data was forced before.
     *
     * <p>Why the {@code .swap} rename is under the lock: a {@code .swap} on disk is completed by
     * the next open unconditionally, so it must never exist for a segment that a truncation or
     * retention has since removed or cut.
     */
    SwapOutcome replaceSegment(LogSegment old, LogSegment cleaned, long truncationsSeen) {
        boolean discardCleaned = true;
        writeLock.lock();
        try {
            if (closed || failure != null || truncations != truncationsSeen) {
                return SwapOutcome.LOG_CHANGED;
            }
            long base = old.baseOffset();
            if (segments.get(base) != old) {
                return SwapOutcome.SEGMENT_GONE;
            }
            if (old == activeSegment() || cleaned.baseOffset() != base || cleaned.nextOffset() != old.nextOffset()) {
                throw new IllegalArgumentException("cannot replace segment " + old + " of " + dir + " with " + cleaned);
            }
            cleaned.renameTo(LogFiles.SWAP_SUFFIX);
            segments.put(base, cleaned);
            discardCleaned = false;
            old.markDeletedAndRelease();
            cleaned.renameTo("");
            return SwapOutcome.SWAPPED;
        } catch (IOException e) {
            throw fail("compaction swap of segment " + old.baseOffset(), e);
        } finally {
            writeLock.unlock();
            if (discardCleaned) {
                cleaned.releaseAndDeleteFiles();
            }
        }
    }

    /**
     * Persists the cleaner checkpoint at the end of a pass, unless the log was truncated, closed or
     * failed since the pass began.
     *
     * @return whether it was written
     */
    boolean commitCleanerCheckpoint(long firstDirtyOffset, long truncationsSeen) {
        writeLock.lock();
        try {
            if (closed || failure != null || truncations != truncationsSeen) {
                return false;
            }
            CleanerCheckpointFile.write(dir, firstDirtyOffset);
            cleanerCheckpoint = firstDirtyOffset;
            return true;
        } catch (IOException e) {
            throw fail("cleaner checkpoint", e);
        } finally {
            writeLock.unlock();
        }
    }

    /** How many truncations the log has had since it was opened. */
    long truncations() {
        return truncations;
    }

    /** The cleaner checkpoint (0 when there is none). Under the write lock. */
    private long cleanerCheckpoint() {
        if (cleanerCheckpoint < 0) {
            try {
                cleanerCheckpoint = CleanerCheckpointFile.read(dir).orElse(0L);
            } catch (IOException e) {
                LOG.warn("Ignoring unreadable cleaner checkpoint in {} ({}); the whole log counts as dirty", dir,
                        e.getMessage());
                cleanerCheckpoint = 0;
            }
        }
        return cleanerCheckpoint;
    }

    /**
     * After a truncation to {@code newEnd}, under the write lock: a compaction pass planned before
     * it must not commit, and the cleaner checkpoint must not stay above the new end (the offsets
     * above it will hold new, uncleaned records).
     */
    private void onTruncated(long newEnd) throws IOException {
        truncations++;
        if (cleanerCheckpoint() > newEnd) {
            CleanerCheckpointFile.write(dir, newEnd);
            cleanerCheckpoint = newEnd;
        }
    }

    // ================================================================ state

    private LogSegment activeSegment() {
        return segments.lastEntry().getValue();
    }

    public Path dir() {
        return dir;
    }

    public LogConfig config() {
        return config;
    }

    /** Applies new settings (an altered topic config); they take effect from the next operation. */
    public void updateConfig(LogConfig newConfig) {
        config = newConfig;
    }

    /** The first offset still readable. */
    public long logStartOffset() {
        return logStartOffset;
    }

    /** The offset the next appended record gets. */
    public long logEndOffset() {
        return logEndOffset;
    }

    /** Every offset below it is known to be on disk. */
    public long recoveryPoint() {
        return recoveryPoint;
    }

    /** Whether an I/O error has failed the log. */
    public boolean isFailed() {
        return failure != null;
    }

    public long sizeInBytes() {
        long total = 0;
        for (LogSegment seg : segments.values()) {
            total += seg.size();
        }
        return total;
    }

    public int numberOfSegments() {
        return segments.size();
    }

    /** The segments' base offsets, oldest first. */
    public List<Long> segmentBaseOffsets() {
        return new ArrayList<>(segments.keySet());
    }

    /** For the cleaner: a view of the segments, oldest first. Internal. */
    Collection<LogSegment> segmentsView() {
        return segments.values();
    }

    @Override
    public String toString() {
        return "Log(" + dir + ", [" + logStartOffset + ", " + logEndOffset + "))";
    }
}
