package io.tributary.log;

import io.tributary.log.internal.LogFiles;
import io.tributary.log.internal.LogSegment;
import io.tributary.record.Compression;
import io.tributary.record.Record;
import io.tributary.record.RecordBatch;
import io.tributary.record.RecordBatchBuilder;
import io.tributary.record.RecordBatches;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static io.tributary.log.LogTestSupport.batch;
import static io.tributary.log.LogTestSupport.offsetsAndValues;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * One writer and several lock-free readers on one log (STYLE.md §5): the writer appends batches of
 * varied size over small rolling segments and publishes a high watermark after each append, as the
 * replication layer does; readers read from random and from sequential offsets below it and must
 * only ever see whole, CRC-valid batches, in order, with dense offsets and the values the writer
 * wrote at those offsets. A second test runs retention under the readers, and a third holds a
 * segment while retention deletes it; every test checks that Chronicle's mappings are released.
 */
@Timeout(180)
class LogConcurrencyTest {
    private static final int READERS = 4;

    /** tmpfs when there is one: these tests are about threads, not fsync, and a roll forces three times. */
    @TempDir(factory = ScratchSpace.class)
    Path dir;

    final List<Log> opened = new ArrayList<>();
    ExecutorService threads;

    @BeforeAll
    static void trace() {
        AbstractReferenceCounted.enableReferenceTracing();
    }

    @AfterEach
    void closeAll() throws InterruptedException {
        if (threads != null) {
            threads.shutdownNow();
            assertThat(threads.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }
        opened.forEach(Log::close);
        AbstractReferenceCounted.assertReferencesReleased();
    }

    Log open(LogConfig config) throws IOException {
        Log log = Log.open(dir, config);
        opened.add(log);
        return log;
    }

    static LogConfig smallRollingSegments() {
        return LogConfig.builder().segmentBytes(64 * 1024).maxMessageBytes(64 * 1024).segmentIndexBytes(4096)
                .indexIntervalBytes(1024).retentionMs(-1).retentionBytes(-1).build();
    }

    void startThreads() {
        AtomicInteger n = new AtomicInteger();
        threads = Executors.newFixedThreadPool(READERS + 1, r -> {
            Thread t = new Thread(r, n.getAndIncrement() == 0 ? "log-writer" : "log-reader-" + (n.get() - 1));
            t.setDaemon(true);
            return t;
        });
    }

    // ================================================================ what the writer writes

    /** The value of the record at {@code offset}: its offset in text, then bytes derived from it, 8-400 bytes. */
    static byte[] valueFor(long offset) {
        int size = 8 + (int) (offset * 7919 % 393);
        byte[] v = new byte[size];
        byte[] text = ("v" + offset + "|").getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < size; i++) {
            v[i] = i < text.length ? text[i] : (byte) (offset * 31 + i);
        }
        return v;
    }

    /** A batch of {@code count} records whose values are those of offsets {@code first}... */
    static ByteBuffer batchFor(long first, int count, Compression compression) {
        RecordBatchBuilder b = new RecordBatchBuilder(compression, Integer.MAX_VALUE);
        for (int i = 0; i < count; i++) {
            b.append(first + i, ByteBuffer.wrap(("k" + (first + i)).getBytes(StandardCharsets.UTF_8)),
                    ByteBuffer.wrap(valueFor(first + i)));
        }
        return b.build().buffer();
    }

    /** Appends {@code appends} batches of 1-16 records, publishing the high watermark after each. */
    static void write(Log log, int appends, AtomicLong highWatermark, Runnable afterEach) {
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < appends; i++) {
            long first = log.logEndOffset();
            int count = 1 + random.nextInt(random.nextInt(10) == 0 ? 16 : 4);
            Compression compression = random.nextInt(8) == 0 ? Compression.LZ4 : Compression.NONE;
            LogAppendInfo info = log.append(batchFor(first, count, compression), 1);
            assertThat(info.firstOffset()).isEqualTo(first);
            highWatermark.set(info.lastOffset() + 1);
            afterEach.run();
        }
    }

    // ================================================================ what readers check

    /**
     * Checks a read from {@code requested} bounded by {@code highWatermark}: whole CRC-valid
     * batches, the first holding the requested offset, dense, below the bound, with the writer's
     * values.
     *
     * @return the next offset to read
     */
    static long check(LogReadResult r, long requested, long highWatermark) {
        ByteBuffer records = r.records();
        assertThat(records.hasRemaining()).as("read at %d below high watermark %d", requested, highWatermark)
                .isTrue();
        long expectedBase = -1;
        for (RecordBatch batch : RecordBatches.iterate(records)) {
            batch.validate(); // CRC, length, magic
            if (expectedBase < 0) {
                assertThat(batch.baseOffset()).as("first batch of a read at %d", requested)
                        .isLessThanOrEqualTo(requested);
                assertThat(batch.lastOffset()).isGreaterThanOrEqualTo(requested);
            } else {
                assertThat(batch.baseOffset()).as("batches follow each other").isEqualTo(expectedBase);
            }
            assertThat(batch.lastOffset()).as("batch below the high watermark %d", highWatermark)
                    .isLessThan(highWatermark);
            long offset = batch.baseOffset();
            for (Iterator<Record> it = batch.records(); it.hasNext(); offset++) {
                Record record = it.next();
                assertThat(record.offset()).isEqualTo(offset);
                ByteBuffer value = record.value();
                byte[] bytes = new byte[value.remaining()];
                value.duplicate().get(bytes);
                if (!Arrays.equals(bytes, valueFor(offset))) {
                    throw new AssertionError("value at offset " + offset + " is not what the writer wrote: "
                            + new String(bytes, 0, Math.min(bytes.length, 16), StandardCharsets.UTF_8));
                }
            }
            assertThat(offset).isEqualTo(batch.nextOffset());
            expectedBase = batch.nextOffset();
        }
        assertThat(r.nextOffset()).isEqualTo(expectedBase);
        return expectedBase;
    }

    // ================================================================ tests

    @Test
    void readersSeeOnlyWholeValidBatchesBelowTheHighWatermarkWhileTheWriterRolls() throws Exception {
        int appends = 20_000;
        Log log = open(smallRollingSegments());
        AtomicLong highWatermark = new AtomicLong();
        AtomicBoolean writerDone = new AtomicBoolean();
        AtomicLong reads = new AtomicLong();
        startThreads();

        Future<?> writer = threads.submit(() -> {
            write(log, appends, highWatermark, () -> { });
            writerDone.set(true);
        });
        List<Future<?>> readers = new ArrayList<>();
        for (int i = 0; i < READERS; i++) {
            boolean sequential = i % 2 == 0;
            long seed = i;
            readers.add(threads.submit(() -> {
                SplittableRandom random = new SplittableRandom(seed);
                long next = 0;
                while (true) {
                    long hw = highWatermark.get();
                    boolean finished = writerDone.get() && hw == highWatermark.get();
                    if (sequential ? next >= hw : hw == 0) {
                        if (finished) {
                            return;
                        }
                        Thread.yield(); // caught up: let the writer run (two cores)
                        continue;
                    }
                    long offset = sequential ? next : random.nextLong(hw);
                    int maxBytes = switch (random.nextInt(3)) {
                        case 0 -> 1;
                        case 1 -> 4096;
                        default -> 16 * 1024;
                    };
                    next = check(log.read(offset, maxBytes, hw), offset, hw);
                    reads.incrementAndGet();
                    if (!sequential && finished) {
                        return;
                    }
                }
            }));
        }

        writer.get(150, TimeUnit.SECONDS);
        for (Future<?> reader : readers) {
            reader.get(60, TimeUnit.SECONDS);
        }
        assertThat(log.numberOfSegments()).as("the writer rolled").isGreaterThan(100);
        // How many reads overlap the writer depends on scheduling (a quiet machine appends 20k batches in
        // about a second); what matters is that readers ran concurrently and every read they made passed check().
        assertThat(reads.get()).as("reads made while the writer appended").isPositive();
        // The sequential readers read everything; a last check from offset 0 in one go per segment.
        long offset = 0;
        while (offset < log.logEndOffset()) {
            offset = check(log.read(offset, 1 << 20, log.logEndOffset()), offset, log.logEndOffset());
        }
    }

    @Test
    void readersSurviveRetentionDeletingSegmentsUnderThem() throws Exception {
        int appends = 6_000;
        Log log = open(smallRollingSegments().toBuilder().retentionBytes(256 * 1024).build());
        AtomicLong highWatermark = new AtomicLong();
        AtomicBoolean writerDone = new AtomicBoolean();
        AtomicLong outOfRange = new AtomicLong();
        AtomicLong reads = new AtomicLong();
        AtomicLong deleted = new AtomicLong();
        startThreads();

        SplittableRandom retentionEvery = new SplittableRandom(3);
        Future<?> writer = threads.submit(() -> {
            write(log, appends, highWatermark, () -> {
                if (retentionEvery.nextInt(50) == 0) {
                    deleted.addAndGet(log.enforceRetention());
                }
            });
            writerDone.set(true);
        });
        List<Future<?>> readers = new ArrayList<>();
        for (int i = 0; i < READERS; i++) {
            long seed = i;
            readers.add(threads.submit(() -> {
                SplittableRandom random = new SplittableRandom(seed);
                while (!writerDone.get()) {
                    long hw = highWatermark.get();
                    long start = log.logStartOffset();
                    if (hw <= start) {
                        Thread.yield();
                        continue;
                    }
                    // Lean towards the oldest segments, the ones retention is about to delete.
                    long offset = start + random.nextLong(Math.min(hw - start, 2_000));
                    try {
                        check(log.read(offset, 4096, hw), offset, hw);
                        reads.incrementAndGet();
                    } catch (OffsetOutOfRangeException e) {
                        // Retention moved the log start past the offset between the two reads of it.
                        assertThat(log.logStartOffset()).isGreaterThan(offset);
                        outOfRange.incrementAndGet();
                    }
                }
            }));
        }

        writer.get(150, TimeUnit.SECONDS);
        for (Future<?> reader : readers) {
            reader.get(60, TimeUnit.SECONDS);
        }
        assertThat(deleted.get()).as("retention deleted segments under the readers").isGreaterThan(20);
        assertThat(reads.get()).isPositive();
        assertThat(log.logStartOffset()).isEqualTo(log.segmentBaseOffsets().get(0));
        // Every deleted segment's files are gone once no reader holds them.
        await().atMost(10, TimeUnit.SECONDS).until(() -> LogTestSupport.fileNames(dir).stream()
                .noneMatch(n -> n.endsWith(LogFiles.DELETED_SUFFIX)));
    }

    @Test
    void shouldKeepASegmentReadableForAReaderWhileRetentionDeletesIt() throws Exception {
        Log log = open(LogConfig.builder().segmentBytes(4096).maxMessageBytes(4096).segmentIndexBytes(4096)
                .indexIntervalBytes(256).retentionMs(-1).build());
        for (int i = 0; i < 40; i++) {
            log.append(batch(3, 100, 1000, "r" + i + "-"), 1);
        }
        LogSegment oldest = log.segmentsView().iterator().next();
        assertThat(oldest.tryRetain()).isTrue(); // a reader in the middle of a read
        Path logFile = oldest.logFile();
        try {
            log.updateConfig(log.config().toBuilder().retentionBytes(1).build());
            assertThat(log.enforceRetention()).isPositive();
            assertThat(log.logStartOffset()).isPositive();

            // Renamed .deleted, still open and mapped for the reader.
            Path deletedFile = LogFiles.withSuffix(logFile, LogFiles.DELETED_SUFFIX);
            assertThat(logFile).doesNotExist();
            assertThat(deletedFile).exists();
            assertThat(oldest.logFile()).isEqualTo(deletedFile);
            ByteBuffer buf = oldest.read(0, 1 << 20, Long.MAX_VALUE, true, true);
            assertThat(offsetsAndValues(buf)).startsWith("0:r0-0", "1:r0-1", "2:r0-2");
            assertThat(oldest.offsetIndex().entries()).isPositive();
            assertThat(oldest.offsetIndex().lookup(5).offset()).isEqualTo(3);
            assertThat(oldest.tryRetain()).as("another reader can still join").isTrue();
            oldest.release();
        } finally {
            oldest.release(); // the last reference: files closed, unmapped and deleted
        }
        assertThat(oldest.tryRetain()).isFalse();
        assertThat(LogTestSupport.fileNames(dir)).noneMatch(n -> n.endsWith(LogFiles.DELETED_SUFFIX));
        assertThat(Files.exists(LogFiles.offsetIndexFile(dir, 0))).isFalse();
    }
}
