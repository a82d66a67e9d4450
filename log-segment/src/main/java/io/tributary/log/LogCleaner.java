package io.tributary.log;

import io.tributary.log.internal.CleanerStats;
import io.tributary.log.internal.LogSegment;
import io.tributary.log.internal.OffsetMap;
import io.tributary.log.internal.SegmentCleaner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * Key compaction for logs whose {@code cleanup.policy} is {@code compact} or
 * {@code compact,delete}: keeps the newest record of every key, keeps offsets, and drops
 * tombstones once they are older than {@code delete.retention.ms} (Kafka's log cleaner).
 *
 * <h2>How a log is chosen</h2>
 * Logs {@link #register register} with the cleaner, a replicated log with the offset below which
 * it may be compacted (committed, and no longer read as Raft entries). The worker thread
 * ({@value #THREAD_NAME}) wakes every {@code log.cleaner.backoff.ms} (or on {@link #wakeup()}),
 * applies retention to the {@code compact,delete} logs, and cleans the registered log with the
 * highest dirty ratio, if that is at least its {@code min.cleanable.dirty.ratio} (or if a
 * tombstone it kept last time has since expired). It goes again at once after a pass that made
 * progress, so a backlog drains without waiting.
 *
 * <h2>One pass</h2>
 * <ol>
 *   <li>The log gives a consistent view ({@code Log.beginCleaning}): its closed segments, the
 *       cleaner checkpoint (the first dirty offset) and its truncation count.</li>
 *   <li>The cleanable range ends at the active segment, or earlier at the first dirty segment whose
 *       newest timestamp is within {@code min.compaction.lag.ms} of now, or at the first segment
 *       reaching the bound the log was registered with. The dirty ratio is the size of the
 *       segments from the checkpoint to that end over the size of all segments up to it.</li>
 *   <li>The keys of the dirty section go into a bounded {@link OffsetMap} (key → newest offset),
 *       batch by batch until it is full; the pass covers only as far as the map reaches.</li>
 *   <li>Each closed segment below that point is rewritten ({@link SegmentCleaner}) to a forced
 *       {@code .cleaned} copy, unless nothing in it changes, and the log swaps the copy in under its
 *       write lock (renames only).</li>
 *   <li>The checkpoint moves to where the map reached.</li>
 * </ol>
 * Appends and reads go on meanwhile: the cleaner reads closed segments through references it
 * holds, writes files of its own, and takes the write lock only for the renames of a swap and the
 * checkpoint. A truncation, a close, {@link #unregister} or {@link #close()} stops a pass between
 * two reads; the segments already swapped stay (each is a valid compaction of its original).
 *
 * <p>A crash at any point leaves a log that opens correctly: {@code .cleaned} files are deleted at
 * open and a {@code .log.swap} is completed (see {@code Log.replaceSegment}).
 *
 * <h2>Threads</h2>
 * Thread-safe. One pass at a time runs, on the worker thread or in {@link #cleanNow}; the offset
 * map is shared by passes. The worker is never interrupted: an interrupt during a file read would
 * close the segment's channel for every reader of the log. Scheduling uses wall-clock time;
 * decisions (compaction lag, tombstone age) use the {@link LogEnvironment} clock.
 *
 * <p><b>Design note.</b> Each segment is cleaned into a copy of its own (Kafka merges small
 * neighbours into one). Merging needs recovery to delete the other originals of a completed
 * {@code .swap} (Kafka's {@code LogLoader} does, by the copy's offset range), which the log's
 * recovery does not do yet; so heavily compacted logs keep one small segment per original.
 */
public final class LogCleaner implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LogCleaner.class);

    /** The worker thread's name. */
    public static final String THREAD_NAME = "tributary-log-cleaner";
    private static final long CLOSE_TIMEOUT_MS = 60_000;

    private final LogCleanerConfig config;
    private final LogEnvironment env;
    private final ConcurrentHashMap<Log, Registration> logs = new ConcurrentHashMap<>();
    /** One pass at a time; guards {@link #offsetMap}. */
    private final ReentrantLock passLock = new ReentrantLock();
    private final ReentrantLock sleepLock = new ReentrantLock();
    private final Condition wakeupCondition = sleepLock.newCondition();
    /** Guarded by {@link #sleepLock}. */
    private boolean wakeupRequested;
    private volatile boolean closed;
    private Thread worker;
    private OffsetMap offsetMap;
    private final AtomicLong completedPasses = new AtomicLong();

    /** Creates a cleaner; {@link #start()} starts its thread ({@link #cleanNow} works without it). */
    public LogCleaner(LogCleanerConfig config, LogEnvironment env) {
        this.config = Objects.requireNonNull(config, "config");
        this.env = Objects.requireNonNull(env, "env");
    }

    /** Starts the worker thread. */
    public synchronized LogCleaner start() {
        if (closed) {
            throw new IllegalStateException("log cleaner is closed");
        }
        if (worker == null) {
            LOG.info("Starting the log cleaner with {}", config);
            worker = new Thread(this::runWorker, THREAD_NAME);
            worker.setDaemon(true); // a crash-safe job: never hold up the JVM's exit
            worker.setUncaughtExceptionHandler((t, e) -> LOG.error("The log cleaner thread died", e));
            worker.start();
        }
        return this;
    }

    /**
     * Makes a log eligible for background cleaning, up to its active segment (ignored for a log
     * already registered). For a replicated log use {@link #register(Log, LongSupplier)}.
     */
    public void register(Log log) {
        register(log, () -> Long.MAX_VALUE);
    }

    /**
     * Makes a log eligible for background cleaning, never at or beyond the offset
     * {@code cleanableUpTo} gives when a pass begins (ignored for a log already registered).
     *
     * <p>A replicated log must bound the cleaner: records above the high watermark may still be
     * truncated, and compacting older records against them would lose the older ones for good
     * (Kafka stops at the last stable offset for the same reason). Where followers are served Raft
     * entries from the log, the bound is also the offset of the last snapshot, below which no
     * entry is read again.
     *
     * @param cleanableUpTo an exclusive offset bound; only whole segments below it are cleaned
     */
    public void register(Log log, LongSupplier cleanableUpTo) {
        Objects.requireNonNull(log, "log");
        Objects.requireNonNull(cleanableUpTo, "cleanableUpTo");
        logs.computeIfAbsent(log, l -> new Registration(l, cleanableUpTo));
    }

    /**
     * Removes a log from background cleaning; a pass running on it stops, and this returns when it
     * has (so the caller may then close or delete the log).
     */
    public void unregister(Log log) {
        Registration reg = logs.remove(log);
        if (reg != null) {
            reg.abortAndAwaitIdle();
        }
    }

    /** Makes the worker look for a log to clean now instead of at the end of its back-off. */
    public void wakeup() {
        sleepLock.lock();
        try {
            wakeupRequested = true;
            wakeupCondition.signalAll();
        } finally {
            sleepLock.unlock();
        }
    }

    /**
     * Cleans a log now on the calling thread, whatever its dirty ratio (compaction lag, the active
     * segment, the bound it was registered with and the offset map's reach still apply; for
     * {@code compact,delete} retention runs first). Waits for a pass running on another thread.
     *
     * @throws LogException when the pass fails (corrupt data, an I/O error, a map too small for one batch)
     */
    public CleaningResult cleanNow(Log log) {
        Objects.requireNonNull(log, "log");
        if (closed) {
            throw new IllegalStateException("log cleaner is closed");
        }
        Registration reg = logs.getOrDefault(log, new Registration(log, () -> Long.MAX_VALUE));
        if (log.config().cleanupPolicy() == LogConfig.CleanupPolicy.COMPACT_DELETE) {
            log.enforceRetention();
        }
        passLock.lock();
        try {
            return runPass(reg, true);
        } finally {
            passLock.unlock();
        }
    }

    /** Passes that ran to the end ({@link Status#CLEANED}), in the background or in {@link #cleanNow}. */
    public long completedPasses() {
        return completedPasses.get();
    }

    /** Stops the worker (a running pass stops between two reads) and waits for it. Idempotent. */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            t = worker;
        }
        wakeup();
        if (t != null) {
            try {
                t.join(CLOSE_TIMEOUT_MS);
                if (t.isAlive()) {
                    LOG.warn("The log cleaner thread did not stop within {} ms", CLOSE_TIMEOUT_MS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        passLock.lock();
        try {
            offsetMap = null;
        } finally {
            passLock.unlock();
        }
        LOG.info("Stopped the log cleaner");
    }

    // ================================================================ results

    /** How a pass ended. */
    public enum Status {
        /** The pass ran to the end and moved the cleaner checkpoint. */
        CLEANED,
        /** Nothing was due: no closed segment in the cleanable range, or a dirty ratio below the minimum. */
        NOTHING_TO_CLEAN,
        /** The log does not compact, or is closed or failed. */
        NOT_COMPACTED,
        /** Stopped by a truncation, a close, an unregister or the cleaner closing. */
        ABORTED
    }

    /**
     * The outcome of one pass.
     *
     * @param status how it ended
     * @param firstDirtyOffset the cleaner checkpoint the pass started from
     * @param cleanedUpTo the offset the pass covered up to (exclusive), the new checkpoint when
     *     {@code CLEANED}
     * @param dirtyRatio the log's dirty ratio when the pass began
     * @param stats what it read, wrote and dropped
     */
    public record CleaningResult(Status status, long firstDirtyOffset, long cleanedUpTo, double dirtyRatio,
                                 CleanerStats stats) {
    }

    // ================================================================ the worker

    private void runWorker() {
        while (!closed) {
            boolean progressed = false;
            try {
                progressed = cleanFilthiestLog();
            } catch (RuntimeException e) {
                LOG.error("Log cleaner cycle failed", e);
            }
            if (!progressed) {
                awaitWakeup();
            }
        }
    }

    private void awaitWakeup() {
        sleepLock.lock();
        try {
            long remainingNs = TimeUnit.MILLISECONDS.toNanos(config.backoffMs());
            while (!wakeupRequested && !closed && remainingNs > 0) {
                remainingNs = wakeupCondition.awaitNanos(remainingNs);
            }
            wakeupRequested = false;
        } catch (InterruptedException e) {
            // Not expected (close() never interrupts); keep the flag for whoever owns the thread.
            Thread.currentThread().interrupt();
            closed = true;
        } finally {
            sleepLock.unlock();
        }
    }

    /** @return whether a pass moved some log's checkpoint (there may be more to do at once) */
    private boolean cleanFilthiestLog() {
        for (Registration reg : logs.values()) {
            if (closed) {
                return false;
            }
            if (reg.log.config().cleanupPolicy() == LogConfig.CleanupPolicy.COMPACT_DELETE && !reg.aborted) {
                try {
                    reg.log.enforceRetention();
                } catch (LogException e) {
                    LOG.debug("Skipping retention of {}: {}", reg.log, e.getMessage());
                }
            }
        }
        long now = env.clockMs().getAsLong();
        Registration best = null;
        double bestRatio = -1;
        for (Registration reg : logs.values()) {
            if (closed) {
                return false;
            }
            if (reg.uncleanable != null || reg.aborted || !reg.log.config().cleanupPolicy().compacts()) {
                continue;
            }
            CleaningView view = reg.log.beginCleaning();
            if (view == null) {
                continue;
            }
            try {
                Plan plan = plan(view, reg.log.config(), now, reg.cleanableUpTo.getAsLong());
                if (isDue(reg, plan, now) && plan.dirtyRatio() > bestRatio) {
                    best = reg;
                    bestRatio = plan.dirtyRatio();
                }
            } finally {
                view.release();
            }
        }
        if (best == null) {
            return false;
        }
        passLock.lock();
        try {
            if (closed || best.aborted) {
                return false;
            }
            CleaningResult r = runPass(best, false);
            return r.status() == Status.CLEANED && r.cleanedUpTo() > r.firstDirtyOffset();
        } catch (RuntimeException e) {
            best.uncleanable = e.toString();
            LOG.error("Cannot clean log {}; it is skipped until it is registered again", best.log, e);
            return false;
        } finally {
            passLock.unlock();
        }
    }

    private static boolean isDue(Registration reg, Plan plan, long now) {
        boolean dirtyEnough = plan.dirtyBytes() > 0
                && plan.dirtyRatio() >= reg.log.config().minCleanableDirtyRatio();
        return dirtyEnough || now >= reg.tombstonesDueMs;
    }

    // ================================================================ a pass

    /** Runs one pass over the registration's log; the caller holds {@link #passLock}. */
    private CleaningResult runPass(Registration reg, boolean force) {
        Log log = reg.log;
        LogConfig c = log.config();
        CleanerStats stats = new CleanerStats();
        if (!c.cleanupPolicy().compacts()) {
            return new CleaningResult(Status.NOT_COMPACTED, -1, -1, 0, stats);
        }
        if (!reg.enterPass()) {
            return aborted(log, null, stats, "unregistered");
        }
        CleaningView view = log.beginCleaning();
        if (view == null) {
            reg.exitPass();
            return new CleaningResult(Status.NOT_COMPACTED, -1, -1, 0, stats);
        }
        long started = System.nanoTime();
        BooleanSupplier stop = () -> closed || reg.aborted || log.truncations() != view.truncations();
        Plan plan = null;
        try {
            long now = env.clockMs().getAsLong();
            plan = plan(view, c, now, reg.cleanableUpTo.getAsLong());
            List<LogSegment> cleanable = new ArrayList<>();
            for (LogSegment seg : view.closedSegments()) {
                if (seg.baseOffset() < plan.firstUncleanableOffset()) {
                    cleanable.add(seg);
                }
            }
            if (cleanable.isEmpty() || (!force && !isDue(reg, plan, now))) {
                return new CleaningResult(Status.NOTHING_TO_CLEAN, plan.firstDirtyOffset(), plan.firstDirtyOffset(),
                        plan.dirtyRatio(), stats);
            }
            OffsetMap map = offsetMap();
            map.clear();
            SegmentCleaner cleaner = new SegmentCleaner(log.dir(), config.ioBufferBytes(), c.segmentIndexBytes(),
                    c.indexIntervalBytes(), env.channels(), stop, stats);
            long endOffset = cleaner.buildOffsetMap(cleanable, plan.firstDirtyOffset(),
                    plan.firstUncleanableOffset(), map);
            for (LogSegment seg : cleanable) {
                if (seg.baseOffset() >= endOffset) {
                    break;
                }
                SegmentCleaner.Outcome outcome = cleaner.clean(seg, map, endOffset, now, c.deleteRetentionMs());
                if (!outcome.changed()) {
                    continue;
                }
                Log.SwapOutcome swap = log.replaceSegment(seg, outcome.cleaned(), view.truncations());
                if (swap == Log.SwapOutcome.LOG_CHANGED) {
                    return aborted(log, plan, stats, "the log changed");
                }
                if (swap == Log.SwapOutcome.SWAPPED) {
                    stats.recordSwap();
                }
            }
            if (!log.commitCleanerCheckpoint(endOffset, view.truncations())) {
                return aborted(log, plan, stats, "the log changed");
            }
            reg.tombstonesDueMs = stats.earliestTombstoneMs() == Long.MAX_VALUE ? Long.MAX_VALUE
                    : saturatedAdd(stats.earliestTombstoneMs(), saturatedAdd(c.deleteRetentionMs(), 1));
            LOG.info("Cleaned log {}: offsets [{}, {}) at dirty ratio {}: {}, in {} ms", log.dir(),
                    plan.firstDirtyOffset(), endOffset, String.format("%.3f", plan.dirtyRatio()), stats,
                    (System.nanoTime() - started) / 1_000_000);
            completedPasses.incrementAndGet();
            return new CleaningResult(Status.CLEANED, plan.firstDirtyOffset(), endOffset, plan.dirtyRatio(), stats);
        } catch (CancellationException e) {
            return aborted(log, plan, stats, e.getMessage());
        } catch (IOException | RuntimeException e) {
            if (stop.getAsBoolean() && !(e instanceof LogFailedException)) {
                // A truncation or close under the pass shows as reads that fail; not a cleaning error.
                return aborted(log, plan, stats, e.toString());
            }
            if (e instanceof LogException) {
                throw (LogException) e;
            }
            throw new LogException("cleaning of log " + log.dir() + " failed: " + e, e);
        } finally {
            view.release();
            reg.exitPass();
        }
    }

    private static CleaningResult aborted(Log log, Plan plan, CleanerStats stats, String why) {
        LOG.info("Stopped cleaning log {}: {}", log.dir(), why);
        long firstDirty = plan == null ? -1 : plan.firstDirtyOffset();
        return new CleaningResult(Status.ABORTED, firstDirty, firstDirty, plan == null ? 0 : plan.dirtyRatio(), stats);
    }

    private OffsetMap offsetMap() {
        if (offsetMap == null) {
            offsetMap = new OffsetMap(config.dedupeBufferBytes());
        }
        return offsetMap;
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }

    // ================================================================ planning (no I/O but file times)

    /**
     * Where a pass would work.
     *
     * @param firstDirtyOffset where the dirty section starts (the cleaner checkpoint)
     * @param firstUncleanableOffset where the cleanable range ends: the active segment's base, or
     *     the base of the first dirty segment still within {@code min.compaction.lag.ms}, or of the
     *     first segment reaching the owner's bound, whichever is lowest
     * @param cleanBytes size of the segments below the first dirty offset
     * @param dirtyBytes size of the segments from the first dirty offset to the end of the range
     */
    record Plan(long firstDirtyOffset, long firstUncleanableOffset, long cleanBytes, long dirtyBytes) {
        double dirtyRatio() {
            long total = cleanBytes + dirtyBytes;
            return total == 0 ? 0 : (double) dirtyBytes / total;
        }
    }

    static Plan plan(CleaningView view, LogConfig config, long nowMs, long cleanableUpTo) {
        long firstDirty = view.firstDirtyOffset();
        long firstUncleanable = view.activeBaseOffset();
        for (LogSegment seg : view.closedSegments()) {
            if (seg.nextOffset() > cleanableUpTo) {
                firstUncleanable = Math.min(firstUncleanable, seg.baseOffset());
                break;
            }
        }
        long lagMs = config.minCompactionLagMs();
        if (lagMs > 0) {
            for (LogSegment seg : view.closedSegments()) {
                if (seg.nextOffset() > firstDirty && nowMs - segmentTimestamp(seg, nowMs) < lagMs) {
                    firstUncleanable = Math.min(firstUncleanable, seg.baseOffset());
                    break;
                }
            }
        }
        long clean = 0;
        long dirty = 0;
        for (LogSegment seg : view.closedSegments()) {
            if (seg.baseOffset() >= firstUncleanable) {
                break;
            }
            if (seg.baseOffset() < firstDirty) {
                clean += seg.size();
            }
            if (seg.nextOffset() > firstDirty) {
                dirty += seg.size();
            }
        }
        return new Plan(firstDirty, firstUncleanable, clean, dirty);
    }

    /** The newest record timestamp of a segment, or its file's modification time when it has none. */
    private static long segmentTimestamp(LogSegment seg, long nowMs) {
        long ts = seg.maxTimestamp();
        if (ts >= 0) {
            return ts;
        }
        try {
            Path file = seg.logFile();
            return Files.getLastModifiedTime(file).toMillis();
        } catch (IOException e) {
            return nowMs; // renamed or gone under us: too new to clean this time
        }
    }

    // ================================================================ registrations

    /** A log's cleaning state. */
    private static final class Registration {
        final Log log;
        /** The owner's exclusive bound (high watermark, snapshot offset); read when a pass plans. */
        final LongSupplier cleanableUpTo;
        /** Set by unregister: a pass on this log stops. */
        volatile boolean aborted;
        /** Why the last background pass failed; the worker skips the log while set. */
        volatile String uncleanable;
        /** When the oldest tombstone the last pass kept may be dropped. */
        volatile long tombstonesDueMs = Long.MAX_VALUE;
        /** Guarded by this. */
        private boolean inPass;

        Registration(Log log, LongSupplier cleanableUpTo) {
            this.log = log;
            this.cleanableUpTo = cleanableUpTo;
        }

        /** @return false when unregistered (no pass may start) */
        synchronized boolean enterPass() {
            if (aborted) {
                return false;
            }
            inPass = true;
            return true;
        }

        synchronized void exitPass() {
            inPass = false;
            notifyAll();
        }

        synchronized void abortAndAwaitIdle() {
            aborted = true;
            boolean interrupted = false;
            while (inPass) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
