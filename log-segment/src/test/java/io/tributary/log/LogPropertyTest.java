package io.tributary.log;

import io.tributary.log.LogTestSupport.FileBatch;
import io.tributary.log.internal.LogFiles;
import io.tributary.log.internal.LogSegment;
import io.tributary.record.RecordBatches;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;
import net.openhft.chronicle.core.io.AbstractReferenceCounted;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static io.tributary.log.LogTestSupport.batchOf;
import static io.tributary.log.LogTestSupport.batchesIn;
import static io.tributary.log.LogTestSupport.concat;
import static io.tributary.log.LogTestSupport.offsetOf;
import static io.tributary.log.LogTestSupport.offsetsAndValues;
import static io.tributary.log.LogTestSupport.readAll;
import static io.tributary.log.LogTestSupport.segmentBases;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Random sequences of append, roll, flush, truncation, log-start advance, size retention, crash
 * and clean reopen, checked after every step against an in-memory model of the log (STYLE.md §7,
 * Kafka's {@code RaftEventSimulationTest}): reads from every offset return exactly the model's
 * records, offsets are dense, and the log start and end offsets are the model's.
 *
 * <p>A crash is simulated honestly for a process or machine crash: the directory is copied while
 * the log is open, and the copy's active {@code .log} is cut back to a random length no shorter
 * than what the log had flushed (its recovery point; rolled segments were forced at the roll),
 * which may tear a batch. The copy is then opened. The model accepts losing exactly the unflushed
 * batches the cut removed: the recovered end offset lies between the recovery point and the end
 * before the crash, and the survivors are a prefix of the model.
 *
 * <p>jqwik has no per-property timeout, so the class keeps its own time budget: tries that would
 * start after it are skipped, and counted in the statistics.
 */
class LogPropertyTest {
    private static final long BUDGET_NS = TimeUnit.SECONDS.toNanos(120);
    private static long startedNs;

    @BeforeContainer
    static void start() {
        AbstractReferenceCounted.enableReferenceTracing();
        startedNs = System.nanoTime();
    }

    // ================================================================ operations

    sealed interface Op permits Append, Roll, Flush, TruncateTo, AdvanceStart, Retention, TruncateFully, Crash,
            Reopen {
    }

    /** One batch: {@code records} records with values padded to {@code valueBytes}, timestamp step {@code tsStep}. */
    record BatchSpec(int records, int valueBytes, int tsStep) {
    }

    record Append(List<BatchSpec> batches) implements Op {
    }

    record Roll() implements Op {
    }

    record Flush() implements Op {
    }

    /** Truncate to the offset at this fraction of [log start, log end]. */
    record TruncateTo(double at) implements Op {
    }

    record AdvanceStart(double at) implements Op {
    }

    record Retention(int retentionBytes) implements Op {
    }

    /** Restart empty at the log end offset plus {@code ahead}. */
    record TruncateFully(int ahead) implements Op {
    }

    /**
     * Crash, cutting the active segment at this fraction of its unflushed bytes; with
     * {@code loseCheckpoint}, the checkpoint file is gone too (never written before the crash).
     */
    record Crash(double cutAt, boolean loseCheckpoint) implements Op {
    }

    record Reopen() implements Op {
    }

    record Settings(int segmentBytes, int indexIntervalBytes, long segmentMs, long checkpointIntervalMs) {
        LogConfig config() {
            return LogConfig.builder().segmentBytes(segmentBytes).maxMessageBytes(segmentBytes)
                    .indexIntervalBytes(indexIntervalBytes).segmentIndexBytes(4096).segmentMs(segmentMs)
                    .retentionMs(-1).retentionBytes(-1).checkpointIntervalMs(checkpointIntervalMs).build();
        }
    }

    @Provide
    Arbitrary<Settings> settings() {
        return Combinators.combine(
                Arbitraries.of(1024, 2048, 8192),
                Arbitraries.of(0, 100, 512, 4096),
                Arbitraries.of(400L, 1_000_000L),
                Arbitraries.of(0L, 60_000L)).as(Settings::new);
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<BatchSpec> batch = Combinators.combine(
                Arbitraries.integers().between(1, 5),
                Arbitraries.integers().between(0, 150),
                Arbitraries.integers().between(0, 20)).as(BatchSpec::new);
        Arbitrary<Op> append = batch.list().ofMinSize(1).ofMaxSize(3).map(Append::new);
        Arbitrary<Double> fraction = Arbitraries.doubles().between(0, 1);
        return Arbitraries.frequencyOf(
                Tuple.of(12, append),
                Tuple.of(3, Arbitraries.just(new Flush())),
                Tuple.of(2, Arbitraries.just(new Roll())),
                Tuple.of(2, fraction.map(TruncateTo::new)),
                Tuple.of(1, fraction.map(AdvanceStart::new)),
                Tuple.of(2, Arbitraries.integers().between(0, 12_000).map(Retention::new)),
                Tuple.of(1, Arbitraries.integers().between(0, 3).map(TruncateFully::new)),
                Tuple.of(3, Combinators.combine(fraction, Arbitraries.of(false, false, true)).as(Crash::new)),
                Tuple.of(2, Arbitraries.just(new Reopen()))).list().ofMinSize(10).ofMaxSize(50);
    }

    @Property(tries = 200, shrinking = ShrinkingMode.BOUNDED)
    void logMatchesTheModelAfterEveryStep(@ForAll("settings") Settings settings, @ForAll("ops") List<Op> ops)
            throws IOException {
        boolean overBudget = System.nanoTime() - startedNs > BUDGET_NS;
        Statistics.label("tries skipped: over the time budget").collect(overBudget);
        if (overBudget) {
            return; // a loaded machine: keep the class bounded; the statistics show how many tries ran
        }
        Path root = Files.createTempDirectory(ScratchSpace.root(), "log-property");
        Run run = new Run(root, settings.config());
        try {
            run.verify();
            for (Op op : ops) {
                Statistics.label("op").collect(op.getClass().getSimpleName());
                run.apply(op);
                run.verify();
            }
            run.log.close();
        } finally {
            run.closeQuietly();
            LogTestSupport.deleteRecursively(root);
        }
        AbstractReferenceCounted.assertReferencesReleased();
    }

    // ================================================================ the model

    /**
     * The log as it should be: dense records from {@code start} to {@code end}, grouped in batches.
     * Batches below {@code start} stay until retention deletes their segment: they are still in the
     * files (and come back if the checkpoint holding the start offset is lost).
     */
    static final class Model {
        record Batch(long base, List<String> values, long timestamp) {
            long last() {
                return base + values.size() - 1;
            }
        }

        long start;
        long end;
        final TreeMap<Long, Batch> batches = new TreeMap<>();

        void append(Batch b) {
            if (b.base() != end) {
                throw new AssertionError("model append at " + b.base() + ", end is " + end);
            }
            batches.put(b.base(), b);
            end = b.last() + 1;
        }

        /** Drops every batch at or after {@code newEnd} (a batch boundary). */
        void cutTo(long newEnd) {
            batches.tailMap(newEnd, true).clear();
            Map.Entry<Long, Batch> last = batches.lastEntry();
            if (last != null && last.getValue().last() >= newEnd) {
                throw new AssertionError("model cut at " + newEnd + " splits " + last.getValue());
            }
            end = newEnd;
            start = Math.min(start, newEnd);
        }

        /** The base of the batch holding {@code offset}, or -1. */
        long batchBaseOf(long offset) {
            Map.Entry<Long, Batch> e = batches.floorEntry(offset);
            return e != null && e.getValue().last() >= offset ? e.getKey() : -1;
        }

        void restartAt(long offset) {
            batches.clear();
            start = offset;
            end = offset;
        }

        void advanceStart(long offset) {
            start = Math.max(start, offset);
        }

        /** Retention deleted every segment below {@code firstBase}. */
        void segmentsDeletedBelow(long firstBase) {
            batches.headMap(firstBase, false).clear();
        }

        /** The records from {@code from} on, as "offset:value". */
        List<String> recordsFrom(long from) {
            List<String> out = new ArrayList<>();
            for (Batch b : batches.tailMap(batches.floorKey(from) == null ? from : batches.floorKey(from), true)
                    .values()) {
                for (int i = 0; i < b.values().size(); i++) {
                    long offset = b.base() + i;
                    if (offset >= from) {
                        out.add(offset + ":" + b.values().get(i));
                    }
                }
            }
            return out;
        }

        /** The first record at or after the log start with a timestamp at or after {@code t}. */
        Optional<TimestampOffset> offsetForTimestamp(long t) {
            for (Batch b : batches.values()) {
                if (b.timestamp() >= t && b.last() >= start) {
                    return Optional.of(new TimestampOffset(b.timestamp(), Math.max(b.base(), start)));
                }
            }
            return Optional.empty();
        }
    }

    // ================================================================ one run

    /** One log under test, its model, and the directory it currently lives in. */
    static final class Run {
        final Path root;
        final LogConfig config;
        final AtomicLong clock = new AtomicLong(1_000_000);
        final Model model = new Model();
        final List<Log> toClose = new ArrayList<>();
        Path dir;
        int generation;
        Log log;
        long uid;

        Run(Path root, LogConfig config) throws IOException {
            this.root = root;
            this.config = config;
            this.dir = root.resolve("gen0");
            this.log = open();
        }

        Log open() throws IOException {
            Log l = Log.open(dir, config, LogEnvironment.defaults().withClock(clock::get));
            toClose.add(l);
            return l;
        }

        void closeQuietly() {
            for (Log l : toClose) {
                try {
                    l.close();
                } catch (RuntimeException ignored) {
                    // the property already failed
                }
            }
        }

        long offsetAt(double fraction) {
            return model.start + Math.round(fraction * (model.end - model.start));
        }

        void apply(Op op) throws IOException {
            clock.addAndGet(150); // lets segment.ms=400 roll now and then
            if (op instanceof Append a) {
                append(a);
            } else if (op instanceof Roll) {
                log.roll();
            } else if (op instanceof Flush) {
                log.flush();
                assertThat(log.recoveryPoint()).isEqualTo(model.end);
            } else if (op instanceof TruncateTo t) {
                truncateTo(offsetAt(t.at()));
            } else if (op instanceof AdvanceStart a) {
                long offset = offsetAt(a.at());
                log.advanceLogStartOffset(offset);
                model.advanceStart(offset);
            } else if (op instanceof Retention r) {
                retention(r.retentionBytes());
            } else if (op instanceof TruncateFully t) {
                long offset = model.end + t.ahead();
                log.truncateFullyAndStartAt(offset);
                model.restartAt(offset);
            } else if (op instanceof Crash c) {
                crash(c.cutAt(), c.loseCheckpoint());
            } else if (op instanceof Reopen) {
                log.close();
                log = open();
            } else {
                throw new AssertionError("unknown op " + op);
            }
        }

        void append(Append a) {
            List<java.nio.ByteBuffer> buffers = new ArrayList<>();
            List<Model.Batch> batches = new ArrayList<>();
            long next = model.end;
            for (BatchSpec spec : a.batches()) {
                List<String> values = new ArrayList<>();
                for (int i = 0; i < spec.records(); i++) {
                    values.add("o" + (next + i) + "#" + (uid++));
                }
                long ts = 10_000 + 100L * spec.tsStep();
                buffers.add(batchOf(values, spec.valueBytes(), ts));
                batches.add(new Model.Batch(next, values, ts));
                next += spec.records();
            }
            LogAppendInfo info = log.append(concat(buffers), 1);
            assertThat(info.firstOffset()).isEqualTo(model.end);
            assertThat(info.lastOffset()).isEqualTo(next - 1);
            batches.forEach(model::append);
        }

        void truncateTo(long offset) {
            long before = model.end;
            long newEnd = log.truncateTo(offset);
            if (offset >= before) {
                assertThat(newEnd).isEqualTo(before);
            } else if (offset <= model.start) {
                model.restartAt(offset);
                assertThat(newEnd).isEqualTo(offset);
            } else {
                long base = model.batchBaseOf(offset);
                assertThat(base).as("a batch holds offset %d", offset).isNotNegative();
                assertThat(newEnd).isEqualTo(base);
                model.cutTo(base);
            }
        }

        void retention(int retentionBytes) {
            long startBefore = model.start;
            log.updateConfig(config.toBuilder().retentionBytes(retentionBytes).build());
            int deleted;
            try {
                deleted = log.enforceRetention();
            } finally {
                log.updateConfig(config);
            }
            long start = log.logStartOffset();
            if (deleted == 0) {
                assertThat(start).isEqualTo(startBefore);
            } else {
                assertThat(start).isEqualTo(Math.max(startBefore, log.segmentBaseOffsets().get(0)));
                assertThat(start == startBefore || start == model.end || model.batches.containsKey(start))
                        .as("log start %d after retention is a batch boundary", start).isTrue();
            }
            // The rule: drop the oldest closed segments while they lie below the log start offset or
            // the log stays at least retention.bytes without them.
            List<LogSegment> left = new ArrayList<>(log.segmentsView());
            LogSegment oldest = left.get(0);
            assertThat(left.size() == 1 || (oldest.nextOffset() > start
                    && log.sizeInBytes() - retentionBytes < oldest.size()))
                    .as("retention stopped at the right segment (size %d, oldest %s)", log.sizeInBytes(), oldest)
                    .isTrue();
            model.advanceStart(start);
            model.segmentsDeletedBelow(log.segmentBaseOffsets().get(0));
        }

        void crash(double cutAt, boolean loseCheckpoint) throws IOException {
            long recoveryPoint = log.recoveryPoint();
            long endBefore = model.end;
            Path copy = root.resolve("gen" + (++generation));
            LogTestSupport.copyDirectory(dir, copy);
            List<Long> bases = segmentBases(copy);
            long activeBase = bases.get(bases.size() - 1);
            Path active = LogFiles.logFile(copy, activeBase);
            long size = Files.size(active);
            long flushed = 0;
            for (FileBatch b : batchesIn(active)) {
                if (b.baseOffset() < recoveryPoint) {
                    flushed = b.end();
                }
            }
            long cut = flushed + Math.round(cutAt * (size - flushed));
            LogTestSupport.truncateFile(active, cut);
            long expectedEnd = activeBase;
            for (FileBatch b : batchesIn(active)) {
                expectedEnd = b.nextOffset();
            }
            Statistics.label("crash lost batches").collect(expectedEnd < endBefore);
            if (loseCheckpoint) {
                Files.delete(copy.resolve(LogFiles.CHECKPOINT_FILE));
            }

            log.close(); // the crashed process's files are the copy; this closes the original's handles
            dir = copy;
            log = open();

            assertThat(log.logEndOffset()).as("end offset after a crash cut at %d of %d bytes", cut, size)
                    .isEqualTo(expectedEnd)
                    .isBetween(Math.min(recoveryPoint, endBefore), endBefore);
            model.cutTo(expectedEnd);
            if (loseCheckpoint) {
                // Without a checkpoint the whole log is rescanned, and the log start offset falls back
                // to the first segment's base: an advance of it that only the checkpoint knew is lost.
                model.start = Math.min(bases.get(0), expectedEnd);
            }
        }

        /** Everything the log serves is exactly the model. */
        void verify() {
            assertThat(log.logStartOffset()).as("log start offset").isEqualTo(model.start);
            assertThat(log.logEndOffset()).as("log end offset").isEqualTo(model.end);
            assertThat(log.isFailed()).isFalse();
            for (long offset = model.start; offset < model.end; offset++) {
                int maxBytes = offset % 2 == 0 ? 1 : 1 << 20;
                LogReadResult r = log.read(offset, maxBytes, Long.MAX_VALUE);
                assertThat(RecordBatches.validateAll(r.records().duplicate())).as("batches read at %d", offset)
                        .isPositive();
                long from = offset;
                List<String> got = offsetsAndValues(r.records()).stream().filter(s -> offsetOf(s) >= from).toList();
                List<String> expected = model.recordsFrom(offset);
                assertThat(got).as("read from offset %d (max %d bytes)", offset, maxBytes).isNotEmpty()
                        .containsExactlyElementsOf(expected.subList(0, Math.min(got.size(), expected.size())));
                assertThat(r.nextOffset()).isEqualTo(offsetOf(got.get(got.size() - 1)) + 1);
            }
            assertThat(readAll(log)).as("all records").containsExactlyElementsOf(model.recordsFrom(model.start));
            assertThat(log.read(model.end, 1000, Long.MAX_VALUE).isEmpty()).isTrue();
            assertThatThrownBy(() -> log.read(model.end + 1, 1000, Long.MAX_VALUE))
                    .isInstanceOf(OffsetOutOfRangeException.class);
            if (model.start > 0) {
                assertThatThrownBy(() -> log.read(model.start - 1, 1000, Long.MAX_VALUE))
                        .isInstanceOf(OffsetOutOfRangeException.class);
            }
            TreeSet<Long> times = new TreeSet<>();
            model.batches.values().forEach(b -> times.add(b.timestamp()));
            times.add(times.isEmpty() ? 0 : times.last() + 1);
            for (long t : times) {
                assertThat(log.offsetForTimestamp(t)).as("offset for timestamp %d", t)
                        .isEqualTo(model.offsetForTimestamp(t));
            }
        }
    }
}
