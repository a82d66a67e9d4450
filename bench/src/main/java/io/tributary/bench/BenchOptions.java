package io.tributary.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The storage benchmark's settings, parsed from {@code --key value} flags. Sizes are in MiB or
 * KiB as the flag names say.
 *
 * <p>Thread-safety: immutable.
 */
record BenchOptions(
        Path dir,
        Set<Phase> phases,
        List<Integer> recordBytes,
        List<Integer> batchKiB,
        long appendMiB,
        int rounds,
        long flushEveryMiB,
        boolean rawHeap,
        long poolMiB,
        long readMiB,
        int readRounds,
        int readRecordBytes,
        int readBatchKiB,
        long reopenMiB,
        List<Integer> reopenSegmentMiB,
        int reopenOpens,
        long reopenUnflushedMiB,
        boolean reopenCheckpointAfterFlush,
        boolean dropCaches,
        String childJvmOpts,
        boolean keep) {

    /** The parts of the benchmark. */
    enum Phase { APPEND, READ, REOPEN }

    static final String USAGE = String.join("\n",
            "usage: scripts/bench/storage [--no-build] [options]",
            "  --dir PATH                 where data goes (default ./data/bench); removed afterwards",
            "  --only append,read,reopen  run only these phases (default all)",
            "  --append-mib N             bytes written per measured append run (default 1024)",
            "  --rounds N                 interleaved raw/log rounds per append combination (default 5)",
            "  --records 100,1024         record value sizes in bytes (default 100,1024)",
            "  --batch-kib 16,1024        batch size limits in KiB (default 16,1024)",
            "  --flush-every-mib N        also run raw and log with an fsync every N MiB (default 64; 0 = off)",
            "  --raw-heap true|false      also run the raw baseline from heap buffers (default true)",
            "  --pool-mib N               distinct pre-built batch bytes cycled through (default 64)",
            "  --read-mib N               size of the log read back (default 1024)",
            "  --read-rounds N            cold+warm read rounds (default 3)",
            "  --read-record-bytes N      record size of the read log (default 1024)",
            "  --read-batch-kib N         batch size of the read log (default 16)",
            "  --reopen-mib N             log size left by the unclean stop (default 2048)",
            "  --reopen-segment-mib 1024,128  segment.bytes configs to reopen (default 1024,128)",
            "  --reopen-opens N           opens per kind (default 3)",
            "  --reopen-unflushed-mib N   appended after the last flush before the crash (default 32)",
            "  --reopen-checkpoint-after-flush true|false  the crashing writer also writes the recovery",
            "                             checkpoint after its flush (a what-if for a flush policy; default false)",
            "  --drop-caches true|false   drop the page cache for cold reads and opens (default true; needs root)",
            "  --child-jvm-opts 'OPTS'    extra JVM options for the reopen phase's child JVMs (e.g. a JFR recording)",
            "  --keep true|false          keep the data directory (default false)",
            "  --help");

    static BenchOptions defaults() {
        return new Builder().build();
    }

    /**
     * Parses flags over the defaults.
     *
     * @throws IllegalArgumentException naming the flag and value that are not valid
     * @throws HelpRequested for {@code --help}
     */
    static BenchOptions parse(String[] args) {
        Builder b = new Builder();
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (flag.equals("--help") || flag.equals("-h")) {
                throw new HelpRequested();
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(flag + " needs a value");
            }
            b.set(flag, args[++i]);
        }
        return b.build();
    }

    /** Mutable flag values; {@link #build()} validates. Not thread-safe. */
    private static final class Builder {
        Path dir = Path.of("data", "bench");
        Set<Phase> phases = EnumSet.allOf(Phase.class);
        List<Integer> recordBytes = List.of(100, 1024);
        List<Integer> batchKiB = List.of(16, 1024);
        long appendMiB = 1024;
        int rounds = 5;
        long flushEveryMiB = 64;
        boolean rawHeap = true;
        long poolMiB = 64;
        long readMiB = 1024;
        int readRounds = 3;
        int readRecordBytes = 1024;
        int readBatchKiB = 16;
        long reopenMiB = 2048;
        List<Integer> reopenSegmentMiB = List.of(1024, 128);
        int reopenOpens = 3;
        long reopenUnflushedMiB = 32;
        boolean reopenCheckpointAfterFlush;
        boolean dropCaches = true;
        String childJvmOpts = "";
        boolean keep;

        void set(String flag, String v) {
            switch (flag) {
                case "--dir" -> dir = Path.of(v);
                case "--only" -> phases = phases(v);
                case "--records" -> recordBytes = ints(flag, v);
                case "--batch-kib" -> batchKiB = ints(flag, v);
                case "--append-mib" -> appendMiB = positive(flag, v);
                case "--rounds" -> rounds = (int) positive(flag, v);
                case "--flush-every-mib" -> flushEveryMiB = atLeastZero(flag, v);
                case "--raw-heap" -> rawHeap = bool(flag, v);
                case "--pool-mib" -> poolMiB = positive(flag, v);
                case "--read-mib" -> readMiB = positive(flag, v);
                case "--read-rounds" -> readRounds = (int) positive(flag, v);
                case "--read-record-bytes" -> readRecordBytes = (int) positive(flag, v);
                case "--read-batch-kib" -> readBatchKiB = (int) positive(flag, v);
                case "--reopen-mib" -> reopenMiB = positive(flag, v);
                case "--reopen-segment-mib" -> reopenSegmentMiB = ints(flag, v);
                case "--reopen-opens" -> reopenOpens = (int) positive(flag, v);
                case "--reopen-unflushed-mib" -> reopenUnflushedMiB = atLeastZero(flag, v);
                case "--reopen-checkpoint-after-flush" -> reopenCheckpointAfterFlush = bool(flag, v);
                case "--drop-caches" -> dropCaches = bool(flag, v);
                case "--child-jvm-opts" -> childJvmOpts = v;
                case "--keep" -> keep = bool(flag, v);
                default -> throw new IllegalArgumentException("unknown flag " + flag + " (see --help)");
            }
        }

        BenchOptions build() {
            for (int kib : batchKiB) {
                if (kib > 1024) {
                    throw new IllegalArgumentException("--batch-kib " + kib + ": the log's default max.message.bytes"
                            + " takes batches up to 1 MiB");
                }
            }
            if (readBatchKiB > 1024) {
                throw new IllegalArgumentException("--read-batch-kib " + readBatchKiB + ": at most 1024");
            }
            for (int mib : reopenSegmentMiB) {
                if (mib > 2047) {
                    throw new IllegalArgumentException("--reopen-segment-mib " + mib + ": segment.bytes is an int");
                }
            }
            if (reopenUnflushedMiB >= reopenMiB) {
                throw new IllegalArgumentException("--reopen-unflushed-mib " + reopenUnflushedMiB
                        + " must be below --reopen-mib " + reopenMiB);
            }
            return new BenchOptions(dir, phases, recordBytes, batchKiB, appendMiB, rounds, flushEveryMiB, rawHeap,
                    poolMiB, readMiB, readRounds, readRecordBytes, readBatchKiB, reopenMiB, reopenSegmentMiB,
                    reopenOpens, reopenUnflushedMiB, reopenCheckpointAfterFlush, dropCaches, childJvmOpts, keep);
        }

        private static Set<Phase> phases(String v) {
            Set<Phase> ps = EnumSet.noneOf(Phase.class);
            for (String p : v.split(",")) {
                try {
                    ps.add(Phase.valueOf(p.trim().toUpperCase(Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("--only " + v + ": unknown phase " + p
                            + " (use append, read, reopen)");
                }
            }
            return ps;
        }
    }

    private static List<Integer> ints(String flag, String v) {
        List<Integer> out = new ArrayList<>();
        for (String s : v.split(",")) {
            out.add((int) positive(flag, s.trim()));
        }
        return List.copyOf(out);
    }

    private static long positive(String flag, String v) {
        long n = atLeastZero(flag, v);
        if (n == 0) {
            throw new IllegalArgumentException(flag + " " + v + ": expected a positive number");
        }
        return n;
    }

    private static long atLeastZero(String flag, String v) {
        try {
            long n = Long.parseLong(v.trim());
            if (n < 0) {
                throw new IllegalArgumentException(flag + " " + v + ": expected at least 0");
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " " + v + ": expected a number");
        }
    }

    private static boolean bool(String flag, String v) {
        if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(v);
        }
        throw new IllegalArgumentException(flag + " " + v + ": expected true or false");
    }

    /** Thrown by {@link #parse} for {@code --help}. */
    static final class HelpRequested extends RuntimeException {
        private static final long serialVersionUID = 1L;

        HelpRequested() {
            super("help", null, false, false);
        }
    }
}
