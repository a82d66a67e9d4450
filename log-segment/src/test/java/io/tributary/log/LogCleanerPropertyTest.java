package io.tributary.log;

import io.tributary.log.LogCleanerTest.KV;
import io.tributary.log.LogCleanerTest.Rec;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.openhft.chronicle.core.io.AbstractReferenceCounted;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static io.tributary.log.LogCleanerTest.batch;
import static io.tributary.log.LogCleanerTest.kv;
import static io.tributary.log.LogCleanerTest.readAll;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Random sequences of keyed appends (with tombstones and unkeyed records), rolls, clock steps,
 * commits (the high watermark moves to the end), truncations above the high watermark, cleaning
 * passes bounded by the high watermark with a small offset map, and reopens, checked after every
 * step against the history of what was written:
 * <ul>
 *   <li>every record read was written at that offset, with that key and value, and offsets
 *       strictly increase;</li>
 *   <li>the newest record of every key is present, unless it is a tombstone older than
 *       {@code delete.retention.ms}; and then no record of that key is (nothing resurrects);</li>
 *   <li>unkeyed records, and everything at or after the furthest offset a pass reached (less
 *       any truncation below it), are present;</li>
 *   <li>after a completed pass, no key appears twice below the offset it cleaned up to;</li>
 *   <li>a reopened log reads exactly as it did before.</li>
 * </ul>
 */
class LogCleanerPropertyTest {
    static final long T0 = 1_700_000_000_000L;
    static final long DELETE_RETENTION_MS = 1_000;

    @BeforeContainer
    static void trace() {
        AbstractReferenceCounted.enableReferenceTracing();
    }

    @AfterContainer
    static void released() {
        AbstractReferenceCounted.assertReferencesReleased();
    }

    sealed interface Op permits Append, Roll, Tick, Commit, Truncate, Clean, Reopen {
    }

    record Append(List<KV> records) implements Op {
    }

    record Roll() implements Op {
    }

    record Tick(long ms) implements Op {
    }

    /** The high watermark moves to the log end offset. */
    record Commit() implements Op {
    }

    /** Truncate to this fraction of the way from the high watermark to the log end offset. */
    record Truncate(double fraction) implements Op {
    }

    record Clean() implements Op {
    }

    record Reopen() implements Op {
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<String> keys = Arbitraries.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j");
        Arbitrary<KV> record = Combinators.combine(keys, Arbitraries.integers().between(0, 99))
                .as((key, dice) -> dice < 8 ? kv(null, "u" + dice) : dice < 22 ? kv(key, null) : kv(key, "v" + dice));
        Arbitrary<Op> append = record.list().ofMinSize(1).ofMaxSize(4).map(Append::new);
        Arbitrary<Op> op = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(10, append),
                net.jqwik.api.Tuple.of(2, Arbitraries.just(new Roll())),
                net.jqwik.api.Tuple.of(2, Arbitraries.longs().between(1, 2 * DELETE_RETENTION_MS).map(Tick::new)),
                net.jqwik.api.Tuple.of(3, Arbitraries.just(new Commit())),
                net.jqwik.api.Tuple.of(1, Arbitraries.doubles().between(0.0, 1.0).map(Truncate::new)),
                net.jqwik.api.Tuple.of(3, Arbitraries.just(new Clean())),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(new Reopen())));
        return op.list().ofMinSize(5).ofMaxSize(60);
    }

    @Property(tries = 60, shrinking = ShrinkingMode.BOUNDED)
    void compactionKeepsTheNewestOfEveryKeyAndNeverResurrects(@ForAll("ops") List<Op> ops,
                                                             @ForAll @IntRange(min = 1, max = 6) int mapKiB)
            throws Exception {
        Path dir = Files.createTempDirectory("cleaner-property");
        AtomicLong clock = new AtomicLong(T0);
        LogEnvironment env = LogEnvironment.defaults().withClock(clock::get);
        LogConfig config = LogConfig.builder().segmentBytes(1024).maxMessageBytes(1024).indexIntervalBytes(64)
                .segmentIndexBytes(4096).cleanupPolicy(LogConfig.CleanupPolicy.COMPACT).retentionMs(-1)
                .deleteRetentionMs(DELETE_RETENTION_MS).build();
        LogCleaner cleaner = new LogCleaner(LogCleanerConfig.builder().dedupeBufferBytes(mapKiB * 1024L)
                .ioBufferBytes(1024).build(), env);
        Log log = Log.open(dir, config, env);
        AtomicLong highWatermark = new AtomicLong();
        cleaner.register(log, highWatermark::get);
        // Offset -> what was written there (with its timestamp), for every record not truncated away.
        Map<Long, Written> history = new LinkedHashMap<>();
        // No pass has touched anything at or after this offset (the cleaner checkpoint's high mark).
        long untouchedFrom = 0;
        try {
            for (Op op : ops) {
                if (op instanceof Append a) {
                    long offset = log.logEndOffset();
                    log.append(batch(clock.get(), a.records().toArray(new KV[0])), 0);
                    for (KV kv : a.records()) {
                        history.put(offset++, new Written(kv.key(), kv.value(), clock.get()));
                    }
                } else if (op instanceof Roll) {
                    log.roll();
                } else if (op instanceof Tick t) {
                    clock.addAndGet(t.ms());
                } else if (op instanceof Commit) {
                    highWatermark.set(log.logEndOffset());
                } else if (op instanceof Truncate t) {
                    long hw = highWatermark.get();
                    long newEnd = log.truncateTo(hw + (long) ((log.logEndOffset() - hw) * t.fraction()));
                    assertThat(newEnd).isGreaterThanOrEqualTo(hw);
                    history.keySet().removeIf(offset -> offset >= newEnd);
                    untouchedFrom = Math.min(untouchedFrom, newEnd);
                } else if (op instanceof Clean) {
                    LogCleaner.CleaningResult r = cleaner.cleanNow(log);
                    if (r.status() == LogCleaner.Status.CLEANED) {
                        untouchedFrom = Math.max(untouchedFrom, r.cleanedUpTo());
                        Set<String> seen = new HashSet<>();
                        for (Rec rec : readAll(log)) {
                            if (rec.key() != null && rec.offset() < r.cleanedUpTo()) {
                                assertThat(seen.add(rec.key())).as("key %s twice below %d", rec.key(),
                                        r.cleanedUpTo()).isTrue();
                            }
                        }
                    }
                } else if (op instanceof Reopen) {
                    List<Rec> before = readAll(log);
                    cleaner.unregister(log);
                    log.close();
                    log = Log.open(dir, config, env);
                    cleaner.register(log, highWatermark::get);
                    assertThat(readAll(log)).isEqualTo(before);
                }
                check(log, history, clock.get(), untouchedFrom);
            }
        } finally {
            cleaner.close();
            log.close();
            deleteRecursively(dir);
        }
    }

    record Written(String key, String value, long timestamp) {
    }

    private static void check(Log log, Map<Long, Written> history, long now, long untouchedFrom) {
        List<Rec> read = readAll(log);
        Map<Long, Rec> present = new HashMap<>();
        long previous = -1;
        for (Rec rec : read) {
            assertThat(rec.offset()).isGreaterThan(previous);
            previous = rec.offset();
            Written w = history.get(rec.offset());
            assertThat(w).as("record at %d was never written (or was truncated)", rec.offset()).isNotNull();
            assertThat(new Rec(rec.offset(), w.key(), w.value())).isEqualTo(rec);
            present.put(rec.offset(), rec);
        }
        long activeBase = log.segmentBaseOffsets().get(log.numberOfSegments() - 1);
        assertThat(untouchedFrom).isLessThanOrEqualTo(Math.max(activeBase, log.logEndOffset()));
        Map<String, Long> newest = new HashMap<>();
        history.forEach((offset, w) -> {
            if (w.key() == null || offset >= untouchedFrom) {
                assertThat(present).as("unkeyed or never cleaned record at %d", offset).containsKey(offset);
            }
            if (w.key() != null) {
                newest.merge(w.key(), offset, Math::max);
            }
        });
        for (Map.Entry<String, Long> e : newest.entrySet()) {
            Written w = history.get(e.getValue());
            if (present.containsKey(e.getValue())) {
                continue;
            }
            assertThat(w.value()).as("newest record of %s at %d is gone", e.getKey(), e.getValue()).isNull();
            assertThat(now - w.timestamp()).as("tombstone of %s dropped early", e.getKey())
                    .isGreaterThan(DELETE_RETENTION_MS);
            assertThat(read).as("%s resurrected after its tombstone went", e.getKey())
                    .noneMatch(rec -> Objects.equals(rec.key(), e.getKey()));
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
