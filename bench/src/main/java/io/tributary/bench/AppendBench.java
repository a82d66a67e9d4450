package io.tributary.bench;

import io.tributary.log.Log;
import io.tributary.log.LogAppendInfo;
import io.tributary.log.LogConfig;
import io.tributary.log.LogReadResult;
import io.tributary.record.RecordBatch;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Append throughput of {@link Log#append} next to plain {@code FileChannel} writes of the same
 * bytes to the same directory, measured side by side.
 *
 * <p>For each (record size, batch size) combination: one untimed warm-up per writer (JIT), then
 * {@code rounds} rounds; each round runs every writer once, in an order that alternates between
 * rounds, each on a fresh file or log directory with {@code appendMiB} of pre-built batches and an
 * fsync at the end (and, as separate writers, an fsync every {@code flushEveryMiB}). The time
 * covers the appends and the fsyncs, not opening, closing or deleting, nor the moments between
 * passes over the batch pool when its timestamps are moved forward ({@link BatchPool}). The
 * ratio log/raw is taken per round (same conditions) and its median reported.
 *
 * <p>Thread-safety: not thread-safe; runs on the caller's thread.
 */
final class AppendBench {

    private static final long MIB = 1 << 20;

    /** Who writes the bytes. */
    enum Writer {
        RAW("raw", "FileChannel.write of direct buffers"),
        RAW_HEAP("raw-heap", "FileChannel.write of heap buffers (the JDK copies them to a temporary direct buffer)"),
        LOG("log", "Log.append (checks the batch, stamps offsets, writes, indexes)");

        final String label;
        final String description;

        Writer(String label, String description) {
            this.label = label;
            this.description = description;
        }
    }

    /** A writer and its flush policy: an fsync at the end only ({@code flushEveryBytes == 0}) or every so many bytes. */
    record Contender(Writer writer, long flushEveryBytes) {
        String label() {
            return writer.label + (flushEveryBytes == 0 ? "" : " +fsync/" + (flushEveryBytes / MIB) + "MiB");
        }
    }

    /**
     * One measured run.
     *
     * @param bytes bytes written
     * @param records records written
     * @param batches batches (write calls) issued
     * @param interval time and CPU, appends and fsyncs included
     */
    record Sample(int recordBytes, int batchLimitBytes, Contender contender, int round, long bytes, long records,
                  long batches, Machine.Interval interval) {

        double mibPerS() {
            return bytes / (double) MIB / interval.seconds();
        }

        double recordsPerS() {
            return records / interval.seconds();
        }

        /** CPU seconds this JVM spent per GiB written. */
        double cpuSPerGiB() {
            return interval.processCpuS() / (bytes / (double) (1L << 30));
        }

        /** Share of the machine's CPUs others used during the run, 0..1. */
        double otherCpuShare(int cpus) {
            return interval.otherCpuS() / (interval.seconds() * cpus);
        }
    }

    private final BenchOptions options;
    private final Path workDir;
    private final PrintStream out;
    private int runId;

    AppendBench(BenchOptions options, Path workDir, PrintStream out) {
        this.options = options;
        this.workDir = workDir;
        this.out = out;
    }

    /** The writers each round runs, in the order of even rounds. */
    List<Contender> contenders() {
        List<Contender> cs = new ArrayList<>();
        cs.add(new Contender(Writer.RAW, 0));
        cs.add(new Contender(Writer.LOG, 0));
        if (options.rawHeap()) {
            cs.add(new Contender(Writer.RAW_HEAP, 0));
        }
        if (options.flushEveryMiB() > 0) {
            cs.add(new Contender(Writer.RAW, options.flushEveryMiB() * MIB));
            cs.add(new Contender(Writer.LOG, options.flushEveryMiB() * MIB));
        }
        return cs;
    }

    List<Sample> run() throws IOException {
        Files.createDirectories(workDir);
        List<Sample> samples = new ArrayList<>();
        long volume = options.appendMiB() * MIB;
        List<Contender> contenders = contenders();
        for (int recordBytes : options.recordBytes()) {
            for (int batchKiB : options.batchKiB()) {
                BatchPool pool = BatchPool.build(recordBytes, batchKiB * 1024, options.poolMiB() * MIB,
                        31L * recordBytes + batchKiB);
                out.printf(Locale.ROOT, "append %s: pool of %d batches, %d records each, %d bytes each%n",
                        combo(recordBytes, batchKiB), pool.size(), pool.recordCount(0), pool.meanBatchBytes());
                long warmup = Math.min(volume, Math.max(pool.totalBytes(), 64 * MIB));
                for (Contender c : contenders) {
                    measure(pool, c, warmup, 0);
                }
                for (int round = 1; round <= options.rounds(); round++) {
                    List<Contender> order = new ArrayList<>(contenders);
                    if (round % 2 == 0) {
                        java.util.Collections.reverse(order);
                    }
                    StringBuilder line = new StringBuilder();
                    for (Contender c : order) {
                        Sample s = measure(pool, c, volume, round);
                        samples.add(s);
                        line.append(String.format(Locale.ROOT, "  %s %.0f", c.label(), s.mibPerS()));
                    }
                    out.printf(Locale.ROOT, "  round %d MiB/s:%s%n", round, line);
                }
            }
        }
        return samples;
    }

    static String combo(int recordBytes, int batchKiB) {
        return recordBytes + " B records, " + (batchKiB >= 1024 ? batchKiB / 1024 + " MiB" : batchKiB + " KiB")
                + " batches";
    }

    private Sample measure(BatchPool pool, Contender c, long volume, int round) throws IOException {
        Machine.sync(); // no writeback left over from an earlier run
        Path target = workDir.resolve(c.writer().label + "-" + (++runId));
        try {
            return c.writer() == Writer.LOG
                    ? appendToLog(pool, c, volume, round, target)
                    : writeRaw(pool, c, volume, round, target);
        } finally {
            StorageBench.deleteRecursively(target);
        }
    }

    private Sample writeRaw(BatchPool pool, Contender c, long volume, int round, Path file) throws IOException {
        boolean direct = c.writer() == Writer.RAW;
        long flushEvery = c.flushEveryBytes();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            long bytes = 0;
            long records = 0;
            long batches = 0;
            long sinceFlush = 0;
            Machine.Interval interval = Machine.Interval.ZERO;
            for (int pass = 0; bytes < volume; pass++) {
                pool.shiftTimestamps(pass); // untimed, as in the log run
                Machine.CpuSnapshot start = Machine.CpuSnapshot.now();
                for (int i = 0; i < pool.size() && bytes < volume; i++) {
                    ByteBuffer b = (direct ? pool.direct(i) : pool.heap(i)).duplicate();
                    int n = b.remaining();
                    while (b.hasRemaining()) {
                        ch.write(b);
                    }
                    bytes += n;
                    records += pool.recordCount(i);
                    batches++;
                    sinceFlush += n;
                    if (flushEvery > 0 && sinceFlush >= flushEvery) {
                        ch.force(false);
                        sinceFlush = 0;
                    }
                }
                if (bytes >= volume) {
                    ch.force(false);
                }
                interval = interval.plus(start.until(Machine.CpuSnapshot.now()));
            }
            return new Sample(pool.recordBytes(), pool.batchLimitBytes(), c, round, bytes, records, batches, interval);
        }
    }

    private Sample appendToLog(BatchPool pool, Contender c, long volume, int round, Path dir) throws IOException {
        long flushEvery = c.flushEveryBytes();
        try (Log log = Log.open(dir, LogConfig.defaults())) {
            long bytes = 0;
            long records = 0;
            long batches = 0;
            long sinceFlush = 0;
            Machine.Interval interval = Machine.Interval.ZERO;
            for (int pass = 0; bytes < volume; pass++) {
                pool.shiftTimestamps(pass); // untimed: the producer's work
                Machine.CpuSnapshot start = Machine.CpuSnapshot.now();
                for (int i = 0; i < pool.size() && bytes < volume; i++) {
                    // The same buffer goes in again and again: append restamps its base offset and epoch.
                    LogAppendInfo info = log.append(pool.heap(i), 1);
                    bytes += info.sizeInBytes();
                    records += info.recordCount();
                    batches++;
                    sinceFlush += info.sizeInBytes();
                    if (flushEvery > 0 && sinceFlush >= flushEvery) {
                        log.flush();
                        sinceFlush = 0;
                    }
                }
                if (bytes >= volume) {
                    log.flush();
                }
                interval = interval.plus(start.until(Machine.CpuSnapshot.now()));
            }
            verify(log, records, bytes);
            return new Sample(pool.recordBytes(), pool.batchLimitBytes(), c, round, bytes, records, batches, interval);
        }
    }

    /** Outside the timing: the log holds what was appended, and reused buffers came out as valid batches. */
    static void verify(Log log, long records, long bytes) {
        if (log.logEndOffset() != records || log.sizeInBytes() != bytes) {
            throw new IllegalStateException("log " + log.dir() + " ends at offset " + log.logEndOffset() + " with "
                    + log.sizeInBytes() + " bytes; appended " + records + " records, " + bytes + " bytes");
        }
        for (long offset : new long[] {0, records / 2, records - 1}) {
            LogReadResult r = log.read(offset, 1, records); // CRC-checked by the log
            RecordBatch batch = RecordBatch.wrap(r.records());
            batch.validate();
            if (batch.baseOffset() > offset || batch.lastOffset() < offset) {
                throw new IllegalStateException("read of offset " + offset + " returned batch [" + batch.baseOffset()
                        + ", " + batch.lastOffset() + "]");
            }
        }
    }
}
