package io.tributary.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The storage benchmark ({@code scripts/bench/storage}): append throughput of the log next to raw
 * sequential writes of the same directory, cold and warm read throughput, and reopen time after an
 * unclean stop. Prints the machine it ran on, progress, one table per phase and one JSON line
 * ({@code BENCH_JSON {...}}).
 *
 * <p>Performance is measured here and printed, never asserted: the machine is shared and noisy,
 * so every comparison is a ratio of runs taken side by side in one invocation, and tables give
 * medians with their range.
 *
 * <p>The same main also serves the child JVMs of the reopen phase ({@link CrashWriter},
 * {@link OpenProbe}), selected by the first argument.
 *
 * <p>Thread-safety: a process entry point; everything runs on the main thread.
 */
public final class StorageBench {

    private static final long MIB = 1 << 20;
    private static final double TARGET_APPEND_RATIO = 0.70;
    private static final double TARGET_REOPEN_MS = 2000;

    private final BenchOptions options;
    private final PrintStream out;
    private final int cpus = Runtime.getRuntime().availableProcessors();

    StorageBench(BenchOptions options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals(CrashWriter.COMMAND)) {
            CrashWriter.run(keyValues(args));
            return;
        }
        if (args.length > 0 && args[0].equals(OpenProbe.COMMAND)) {
            OpenProbe.run(keyValues(args));
            return;
        }
        if (args.length > 0 && args[0].equals(ScanProbe.COMMAND)) {
            ScanProbe.run(keyValues(args));
            return;
        }
        BenchOptions options;
        try {
            options = BenchOptions.parse(args);
        } catch (BenchOptions.HelpRequested e) {
            System.out.println(BenchOptions.USAGE);
            return;
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println(BenchOptions.USAGE);
            System.exit(2);
            return;
        }
        new StorageBench(options, System.out).run();
    }

    private static Map<String, String> keyValues(String[] args) {
        Map<String, String> kv = new HashMap<>();
        for (String a : Arrays.asList(args).subList(1, args.length)) {
            int eq = a.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("expected key=value, got " + a);
            }
            kv.put(a.substring(0, eq), a.substring(eq + 1));
        }
        return kv;
    }

    /** Runs the selected phases and prints the report; returns the JSON result. */
    Map<String, Object> run() throws IOException, InterruptedException {
        boolean createdRoot = !Files.exists(options.dir());
        Files.createDirectories(options.dir());
        Path work = options.dir().resolve("storage-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-"
                + ProcessHandle.current().pid());
        Files.createDirectories(work);
        Thread cleanup = new Thread(() -> {
            ProcessHandle.current().descendants().forEach(ProcessHandle::destroyForcibly);
            if (!options.keep()) {
                deleteQuietly(work);
            }
        }, "storage-bench-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);

        Map<String, Object> json = Json.object();
        json.put("bench", "storage");
        json.put("started", LocalDateTime.now().toString());
        List<String> env = Machine.describe(work);
        out.println("== Tributary storage benchmark ==");
        env.forEach(l -> out.println("  " + l));
        out.println("  data: " + work.toAbsolutePath() + (options.keep() ? " (kept)" : " (removed afterwards)"));
        out.println("  options: " + options);
        json.put("env", env);
        json.put("options", optionsJson());

        long t0 = System.nanoTime();
        List<AppendBench.Sample> appends = List.of();
        ReadBench.Outcome reads = null;
        ReopenBench.Outcome reopens = null;
        AppendBench appendBench = new AppendBench(options, work.resolve("append"), out);
        if (options.phases().contains(BenchOptions.Phase.APPEND)) {
            appends = appendBench.run();
        }
        if (options.phases().contains(BenchOptions.Phase.READ)) {
            reads = new ReadBench(options, work.resolve("read"), out).run();
        }
        if (options.phases().contains(BenchOptions.Phase.REOPEN)) {
            reopens = new ReopenBench(options, work.resolve("reopen"), out).run();
        }
        double elapsedS = (System.nanoTime() - t0) / 1e9;

        out.println();
        List<String> builds = Machine.otherJvmBuilds();
        if (!appends.isEmpty()) {
            json.put("append", appendReport(appends, appendBench.contenders()));
        }
        if (reads != null) {
            json.put("read", readReport(reads));
        }
        if (reopens != null) {
            json.put("reopen", reopenReport(reopens));
        }
        String loadavg = Machine.loadAverage();
        out.printf(Locale.ROOT, "finished in %.0f s; other maven builds running at the end: %d; loadavg %s%n", elapsedS,
                builds.size(), loadavg);
        json.put("loadavg_at_end", loadavg);
        json.put("elapsed_s", elapsedS);
        json.put("other_builds_at_end", builds.size());
        out.println("BENCH_JSON " + Json.write(json));

        if (!options.keep()) {
            deleteRecursively(work);
            if (createdRoot) {
                try (Stream<Path> left = Files.list(options.dir())) {
                    if (left.findAny().isEmpty()) {
                        Files.delete(options.dir());
                    }
                }
            }
        }
        Runtime.getRuntime().removeShutdownHook(cleanup);
        return json;
    }

    // ---------------------------------------------------------------- append table

    private List<Object> appendReport(List<AppendBench.Sample> samples, List<AppendBench.Contender> contenders) {
        out.printf(Locale.ROOT, "== Append: Log.append vs raw FileChannel writes to the same directory ==%n");
        out.printf(Locale.ROOT, "   %d MiB per run on a fresh file / log directory, fsync included; %d rounds, writers"
                + " alternating; medians.%n", options.appendMiB(), options.rounds());
        out.printf(Locale.ROOT, "   ratio = MiB/s of the writer / MiB/s of 'raw' with the same fsync policy in the same"
                + " round (median, min-max).%n");
        out.printf(Locale.ROOT, "   CPU = CPU seconds of the benchmark JVM per GiB; other = share of the %d CPUs used"
                + " by everything else (other tenants, kernel writeback).%n", cpus);
        for (AppendBench.Writer w : AppendBench.Writer.values()) {
            out.printf(Locale.ROOT, "   %-9s %s%n", w.label, w.description);
        }
        out.printf(Locale.ROOT, "%-8s %-7s %-22s %9s %12s %9s %7s  %s%n", "records", "batch", "writer", "MiB/s",
                "records/s", "CPU s/GiB", "other", "ratio (min-max)");
        List<Object> rows = new ArrayList<>();
        List<String> verdicts = new ArrayList<>();
        Map<String, List<AppendBench.Sample>> byCombo = samples.stream().collect(Collectors.groupingBy(
                s -> s.recordBytes() + "/" + s.batchLimitBytes(), LinkedHashMap::new, Collectors.toList()));
        for (List<AppendBench.Sample> combo : byCombo.values()) {
            int recordBytes = combo.get(0).recordBytes();
            int batchBytes = combo.get(0).batchLimitBytes();
            boolean first = true;
            for (AppendBench.Contender c : contenders) {
                List<AppendBench.Sample> mine = combo.stream().filter(s -> s.contender().equals(c)).toList();
                if (mine.isEmpty()) {
                    continue;
                }
                AppendBench.Contender base = new AppendBench.Contender(AppendBench.Writer.RAW, c.flushEveryBytes());
                List<Double> ratios = new ArrayList<>();
                if (!c.equals(base)) {
                    for (AppendBench.Sample s : mine) {
                        combo.stream().filter(b -> b.contender().equals(base) && b.round() == s.round()).findFirst()
                                .ifPresent(b -> ratios.add(s.mibPerS() / b.mibPerS()));
                    }
                }
                double mibs = Stats.median(map(mine, AppendBench.Sample::mibPerS));
                double recs = Stats.median(map(mine, AppendBench.Sample::recordsPerS));
                double cpu = Stats.median(map(mine, AppendBench.Sample::cpuSPerGiB));
                double other = Stats.median(map(mine, s -> s.otherCpuShare(cpus)));
                String ratio = ratios.isEmpty() ? "" : String.format(Locale.ROOT, "%.2f (%.2f-%.2f)",
                        Stats.median(ratios), Stats.min(ratios), Stats.max(ratios));
                out.printf(Locale.ROOT, "%-8s %-7s %-22s %9.0f %12s %9.2f %6.0f%%  %s%n",
                        first ? recordBytes + " B" : "", first ? size(batchBytes) : "", c.label(), mibs,
                        thousands(recs), cpu, other * 100, ratio);
                first = false;
                Map<String, Object> row = Json.object();
                row.put("record_bytes", recordBytes);
                row.put("batch_limit_bytes", batchBytes);
                row.put("writer", c.writer().label);
                row.put("fsync_every_bytes", c.flushEveryBytes());
                row.put("mib_per_s", mibs);
                row.put("records_per_s", recs);
                row.put("cpu_s_per_gib", cpu);
                row.put("other_cpu_share", other);
                if (!ratios.isEmpty()) {
                    row.put("ratio_to_raw", Stats.median(ratios));
                    row.put("ratio_to_raw_min", Stats.min(ratios));
                    row.put("ratio_to_raw_max", Stats.max(ratios));
                }
                row.put("runs_mib_per_s", map(mine, AppendBench.Sample::mibPerS));
                rows.add(row);
                if (c.writer() == AppendBench.Writer.LOG && c.flushEveryBytes() == 0 && batchBytes >= (1 << 20)
                        && !ratios.isEmpty()) {
                    double r = Stats.median(ratios);
                    verdicts.add(String.format(Locale.ROOT, "%d B records: %.0f%% %s", recordBytes, r * 100,
                            r >= TARGET_APPEND_RATIO ? "(met)" : "(MISSED)"));
                }
            }
        }
        if (!verdicts.isEmpty()) {
            out.println("   target: log with 1 MiB batches >= 70% of raw bandwidth: " + String.join("; ", verdicts));
        }
        out.println();
        return rows;
    }

    // ---------------------------------------------------------------- read table

    private Map<String, Object> readReport(ReadBench.Outcome o) {
        out.printf(Locale.ROOT, "== Read: the whole log (%d MiB, %d B records in %d KiB batches, %d segment(s))"
                + " in 1 MiB steps ==%n", o.logBytes() >> 20, options.readRecordBytes(), options.readBatchKiB(),
                o.segments());
        out.printf(Locale.ROOT, "   %d rounds, readers alternating, medians; cold = %s%n", options.readRounds(),
                o.note());
        for (ReadBench.Reader r : ReadBench.Reader.values()) {
            out.printf(Locale.ROOT, "   %-9s %s%n", r.label, r.description);
        }
        out.printf(Locale.ROOT, "%-10s %-5s %9s %12s %9s %7s  %s%n", "reader", "cache", "MiB/s", "records/s",
                "CPU s/GiB", "other", "ratio to raw (min-max)");
        List<Object> rows = new ArrayList<>();
        for (boolean cold : new boolean[] {true, false}) {
            for (ReadBench.Reader reader : ReadBench.Reader.values()) {
                List<ReadBench.Sample> mine = o.samples().stream()
                        .filter(s -> s.reader() == reader && s.cold() == cold).toList();
                if (mine.isEmpty()) {
                    continue;
                }
                List<Double> ratios = new ArrayList<>();
                if (reader != ReadBench.Reader.RAW) {
                    for (ReadBench.Sample s : mine) {
                        o.samples().stream().filter(b -> b.reader() == ReadBench.Reader.RAW && b.cold() == cold
                                && b.round() == s.round()).findFirst()
                                .ifPresent(b -> ratios.add(s.mibPerS() / b.mibPerS()));
                    }
                }
                double mibs = Stats.median(map(mine, ReadBench.Sample::mibPerS));
                double recs = Stats.median(map(mine, ReadBench.Sample::recordsPerS));
                double cpu = Stats.median(map(mine, s -> s.interval().processCpuS() / (s.bytes() / (double) (1L << 30))));
                double other = Stats.median(map(mine, s -> s.interval().otherCpuS() / (s.interval().seconds() * cpus)));
                String ratio = ratios.isEmpty() ? "" : String.format(Locale.ROOT, "%.2f (%.2f-%.2f)",
                        Stats.median(ratios), Stats.min(ratios), Stats.max(ratios));
                out.printf(Locale.ROOT, "%-10s %-5s %9.0f %12s %9.2f %6.0f%%  %s%n", reader.label,
                        cold ? (o.cacheDropped() ? "cold" : "cold?") : "warm", mibs, thousands(recs), cpu, other * 100,
                        ratio);
                Map<String, Object> row = Json.object();
                row.put("reader", reader.label);
                row.put("cold", cold);
                row.put("mib_per_s", mibs);
                row.put("records_per_s", recs);
                row.put("cpu_s_per_gib", cpu);
                row.put("other_cpu_share", other);
                if (!ratios.isEmpty()) {
                    row.put("ratio_to_raw", Stats.median(ratios));
                }
                row.put("runs_mib_per_s", map(mine, ReadBench.Sample::mibPerS));
                rows.add(row);
            }
        }
        out.println();
        Map<String, Object> json = Json.object();
        json.put("log_bytes", o.logBytes());
        json.put("cache_dropped", o.cacheDropped());
        json.put("rows", rows);
        return json;
    }

    // ---------------------------------------------------------------- reopen table

    private Map<String, Object> reopenReport(ReopenBench.Outcome o) {
        out.printf(Locale.ROOT, "== Reopen after an unclean stop: Log.open in a fresh JVM ==%n");
        out.printf(Locale.ROOT, "   writer JVM: appends, flushes, %sappends %d MiB more, tears a batch, halts; median of %d"
                + " opens (min-max)%n", options.reopenCheckpointAfterFlush() ? "writes the checkpoint, " : "",
                options.reopenUnflushedMiB(), options.reopenOpens());
        for (ReopenBench.Kind k : ReopenBench.Kind.values()) {
            out.printf(Locale.ROOT, "   %-12s %s%n", k.label, k.description);
        }
        out.printf(Locale.ROOT, "   open ms = Log.open after a scratch open loaded the classes; first ms = that scratch"
                + " open (class loading, Chronicle start-up); JVM ms = whole child process%n");
        out.printf(Locale.ROOT, "   active = the last segment at the crash: the most recovery rescans (the checkpoint the"
                + " log writes on flush can bound it lower)%n");
        out.printf(Locale.ROOT, "   scan ms = baseline for crash opens: a fresh JVM reads the whole active segment in 1 MiB"
                + " chunks and checks every batch CRC, same cache state; ratio = open / scan%n");
        out.printf(Locale.ROOT, "%-10s %8s %5s %9s  %-12s %8s %15s %8s %8s %8s %6s%n", "segment", "log MiB", "segs",
                "active", "kind", "open ms", "(min-max)", "first ms", "JVM ms", "scan ms", "ratio");
        List<Object> rows = new ArrayList<>();
        List<String> verdicts = new ArrayList<>();
        for (ReopenBench.Crash crash : o.crashes()) {
            boolean first = true;
            for (ReopenBench.Kind kind : ReopenBench.Kind.values()) {
                List<ReopenBench.Sample> mine = o.samples().stream()
                        .filter(s -> s.segmentMiB() == crash.segmentMiB() && s.kind() == kind).toList();
                if (mine.isEmpty()) {
                    continue;
                }
                List<Double> opens = map(mine, ReopenBench.Sample::openMs);
                double median = Stats.median(opens);
                double scratch = Stats.median(map(mine, ReopenBench.Sample::scratchOpenMs));
                double jvm = Stats.median(map(mine, ReopenBench.Sample::jvmMs));
                double scan = Stats.median(map(mine, ReopenBench.Sample::scanMs));
                double ratio = Stats.median(map(mine, s -> s.openMs() / s.scanMs()));
                out.printf(Locale.ROOT, "%-10s %8s %5s %9s  %-12s %8.0f %15s %8.0f %8.0f %8s %6s%n",
                        first ? crash.segmentMiB() + " MiB" : "", first ? Long.toString(crash.logBytes() >> 20) : "",
                        first ? Integer.toString(crash.segments()) : "",
                        first ? (crash.activeSegmentBytes() >> 20) + " MiB" : "", kind.label, median,
                        String.format(Locale.ROOT, "(%.0f-%.0f)", Stats.min(opens), Stats.max(opens)), scratch, jvm,
                        Double.isNaN(scan) ? "" : String.format(Locale.ROOT, "%.0f", scan),
                        Double.isNaN(ratio) ? "" : String.format(Locale.ROOT, "%.1f", ratio));
                first = false;
                Map<String, Object> row = Json.object();
                row.put("segment_bytes", crash.segmentMiB() * MIB);
                row.put("log_bytes", crash.logBytes());
                row.put("segments", crash.segments());
                row.put("active_segment_bytes", crash.activeSegmentBytes());
                row.put("kind", kind.name().toLowerCase(Locale.ROOT));
                row.put("open_ms", median);
                row.put("open_ms_min", Stats.min(opens));
                row.put("open_ms_max", Stats.max(opens));
                row.put("first_open_ms", scratch);
                row.put("jvm_ms", jvm);
                row.put("scan_ms", scan);
                row.put("open_to_scan_ratio", ratio);
                row.put("runs_open_ms", opens);
                rows.add(row);
                if (kind == ReopenBench.Kind.CRASH_WARM || kind == ReopenBench.Kind.CRASH_COLD) {
                    verdicts.add(String.format(Locale.ROOT, "%d MiB segments %s: %.0f ms %s", crash.segmentMiB(),
                            kind.label, median, median < TARGET_REOPEN_MS ? "(met)" : "(MISSED)"));
                }
            }
        }
        if (!verdicts.isEmpty()) {
            out.println("   target: open after an unclean stop < 2 s: " + String.join("; ", verdicts));
        }
        out.println();
        Map<String, Object> json = Json.object();
        json.put("cache_dropped", o.cacheDropped());
        json.put("rows", rows);
        return json;
    }

    // ---------------------------------------------------------------- helpers

    private Map<String, Object> optionsJson() {
        Map<String, Object> m = Json.object();
        m.put("append_mib", options.appendMiB());
        m.put("rounds", options.rounds());
        m.put("record_bytes", options.recordBytes());
        m.put("batch_kib", options.batchKiB());
        m.put("flush_every_mib", options.flushEveryMiB());
        m.put("pool_mib", options.poolMiB());
        m.put("read_mib", options.readMiB());
        m.put("read_rounds", options.readRounds());
        m.put("reopen_mib", options.reopenMiB());
        m.put("reopen_segment_mib", options.reopenSegmentMiB());
        m.put("reopen_opens", options.reopenOpens());
        m.put("reopen_checkpoint_after_flush", options.reopenCheckpointAfterFlush());
        m.put("phases", options.phases().stream().map(p -> p.name().toLowerCase(Locale.ROOT)).toList());
        return m;
    }

    private static <T> List<Double> map(List<T> xs, Function<T, Double> f) {
        return xs.stream().map(f).filter(Objects::nonNull).toList();
    }

    private static String size(int bytes) {
        return bytes >= (1 << 20) ? bytes / (1 << 20) + " MiB" : bytes / 1024 + " KiB";
    }

    private static String thousands(double v) {
        return String.format(Locale.ROOT, "%,.0f", v);
    }

    /** Deletes a file or a directory tree; nothing if it does not exist. */
    static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static void deleteQuietly(Path path) {
        try {
            deleteRecursively(path);
        } catch (IOException | RuntimeException e) {
            System.err.println("could not remove " + path + ": " + e);
        }
    }
}
