package io.tributary.bench;

import io.tributary.log.Log;
import io.tributary.log.LogConfig;
import io.tributary.log.LogReadResult;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * Sequential read throughput of {@link Log#read} in 1 MiB steps from the first offset to the end,
 * cold (page cache dropped just before) and warm (the same read again right after), next to plain
 * {@code FileChannel} reads of the segment files in 1 MiB chunks.
 *
 * <p>The log is written once, closed and reopened, and stays open for the whole phase as a broker
 * keeps it; its indexes are mapped, so dropping the page cache leaves them warm and the log data
 * cold. Readers run in an order that alternates between rounds.
 *
 * <p>Thread-safety: not thread-safe; runs on the caller's thread.
 */
final class ReadBench {

    static final int STEP_BYTES = 1 << 20;
    private static final long MIB = 1 << 20;

    /** Who reads. */
    enum Reader {
        RAW("raw", "FileChannel.read of the segment files into one reused direct 1 MiB buffer, channels kept open"),
        LOG("log", "Log.read(offset, 1 MiB) with log.read.verify.crc=true (the default)"),
        LOG_NO_CRC("log-nocrc", "Log.read(offset, 1 MiB) with log.read.verify.crc=false");

        final String label;
        final String description;

        Reader(String label, String description) {
            this.label = label;
            this.description = description;
        }
    }

    /** One read of the whole log. */
    record Sample(Reader reader, boolean cold, int round, long bytes, long records, Machine.Interval interval) {
        double mibPerS() {
            return bytes / (double) MIB / interval.seconds();
        }

        double recordsPerS() {
            return records / interval.seconds();
        }
    }

    /** What the phase found out besides the samples. */
    record Outcome(List<Sample> samples, boolean cacheDropped, String note, long logBytes, int segments) {
    }

    private final BenchOptions options;
    private final Path workDir;
    private final PrintStream out;
    private final List<FileChannel> rawChannels = new ArrayList<>();
    private final ByteBuffer rawBuffer = ByteBuffer.allocateDirect(STEP_BYTES);

    ReadBench(BenchOptions options, Path workDir, PrintStream out) {
        this.options = options;
        this.workDir = workDir;
        this.out = out;
    }

    Outcome run() throws IOException {
        Path dir = workDir.resolve("log");
        Files.createDirectories(dir);
        LogConfig config = LogConfig.defaults();
        long records = write(dir, config);
        List<Sample> samples = new ArrayList<>();
        boolean dropped;
        String note;
        try (Log log = Log.open(dir, config)) {
            long logBytes = log.sizeInBytes();
            dropped = options.dropCaches() && Machine.dropPageCache();
            long cachedAfterDrop = Machine.pageCacheBytes();
            if (!options.dropCaches()) {
                note = "--drop-caches false: 'cold' reads below are NOT cold";
            } else if (!dropped) {
                note = "could not write /proc/sys/vm/drop_caches (needs root): 'cold' reads below are NOT cold";
            } else if (cachedAfterDrop >= 0 && cachedAfterDrop > logBytes) {
                note = "drop_caches was accepted but " + (cachedAfterDrop >> 20) + " MiB stay cached (more than the"
                        + " log): 'cold' may be partly warm";
            } else {
                note = "page cache dropped before each cold read (echo 1 > /proc/sys/vm/drop_caches; "
                        + (cachedAfterDrop >> 20) + " MiB cached machine-wide after the first drop)";
            }
            out.println("read: " + (logBytes >> 20) + " MiB in " + log.numberOfSegments() + " segment(s); " + note);
            // The raw reader keeps its channels open for the phase, as the log does: a fresh open
            // starts the kernel's readahead from scratch.
            List<Path> files = new ArrayList<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.log")) {
                ds.forEach(files::add);
            }
            Collections.sort(files);
            for (Path f : files) {
                rawChannels.add(FileChannel.open(f, StandardOpenOption.READ));
            }
            List<Reader> readers = List.of(Reader.RAW, Reader.LOG, Reader.LOG_NO_CRC);
            for (int round = 1; round <= options.readRounds(); round++) {
                List<Reader> order = new ArrayList<>(readers);
                if (round % 2 == 0) {
                    Collections.reverse(order);
                }
                StringBuilder line = new StringBuilder();
                for (Reader reader : order) {
                    if (dropped) {
                        Machine.dropPageCache();
                    }
                    Sample cold = read(log, config, reader, true, round, records);
                    Sample warm = read(log, config, reader, false, round, records);
                    samples.add(cold);
                    samples.add(warm);
                    line.append(String.format(Locale.ROOT, "  %s cold %.0f warm %.0f", reader.label, cold.mibPerS(),
                            warm.mibPerS()));
                }
                out.printf(Locale.ROOT, "  round %d MiB/s:%s%n", round, line);
            }
            return new Outcome(samples, dropped, note, logBytes, log.numberOfSegments());
        } finally {
            for (FileChannel ch : rawChannels) {
                ch.close();
            }
            rawChannels.clear();
            StorageBench.deleteRecursively(dir);
        }
    }

    private long write(Path dir, LogConfig config) throws IOException {
        BatchPool pool = BatchPool.build(options.readRecordBytes(), options.readBatchKiB() * 1024,
                Math.min(options.poolMiB(), options.readMiB()) * MIB, 7);
        long volume = options.readMiB() * MIB;
        try (Log log = Log.open(dir, config)) {
            long bytes = 0;
            for (int pass = 0; bytes < volume; pass++) {
                pool.shiftTimestamps(pass);
                for (int i = 0; i < pool.size() && bytes < volume; i++) {
                    bytes += log.append(pool.heap(i), 1).sizeInBytes();
                }
            }
            log.flush();
            return log.logEndOffset();
        }
    }

    private Sample read(Log log, LogConfig config, Reader reader, boolean cold, int round, long records)
            throws IOException {
        return switch (reader) {
            case RAW -> readRaw(cold, round, records);
            case LOG -> readLog(log, config, reader, cold, round);
            case LOG_NO_CRC -> {
                log.updateConfig(config.toBuilder().readVerifyCrc(false).build());
                try {
                    yield readLog(log, config, reader, cold, round);
                } finally {
                    log.updateConfig(config);
                }
            }
        };
    }

    private static Sample readLog(Log log, LogConfig config, Reader reader, boolean cold, int round) {
        long start = log.logStartOffset();
        long end = log.logEndOffset();
        long offset = start;
        long bytes = 0;
        Machine.CpuSnapshot t0 = Machine.CpuSnapshot.now();
        while (offset < end) {
            LogReadResult r = log.read(offset, STEP_BYTES, end);
            if (r.isEmpty()) {
                throw new IllegalStateException("empty read at offset " + offset + " of [" + start + ", " + end + ")");
            }
            bytes += r.sizeInBytes();
            offset = r.nextOffset();
        }
        Machine.Interval interval = t0.until(Machine.CpuSnapshot.now());
        return new Sample(reader, cold, round, bytes, end - start, interval);
    }

    private Sample readRaw(boolean cold, int round, long records) throws IOException {
        ByteBuffer buf = rawBuffer;
        long bytes = 0;
        Machine.CpuSnapshot t0 = Machine.CpuSnapshot.now();
        for (FileChannel ch : rawChannels) {
            long position = 0;
            while (true) {
                buf.clear();
                int n = ch.read(buf, position);
                if (n < 0) {
                    break;
                }
                position += n;
            }
            bytes += position;
        }
        Machine.Interval interval = t0.until(Machine.CpuSnapshot.now());
        return new Sample(Reader.RAW, cold, round, bytes, records, interval);
    }
}
