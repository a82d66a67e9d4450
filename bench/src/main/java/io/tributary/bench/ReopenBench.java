package io.tributary.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Time to {@link io.tributary.log.Log#open} a large log after an unclean stop, in a fresh JVM.
 *
 * <p>Per {@code segment.bytes} configuration: a child JVM ({@link CrashWriter}) appends about
 * {@code reopenMiB} of 1 KiB records in 16 KiB batches, flushes, appends
 * {@code reopenUnflushedMiB} more, tears a last batch in half and halts without closing. The log
 * stops 1 MiB short of {@code reopenMiB}, so its active segment is nearly full in every
 * configuration: the most that recovery may have to rescan, which covers the segments after the
 * checkpointed recovery point (the log rewrites its checkpoint on roll, and on flush by time and
 * by bytes, see {@code LogConfig}). Each crash open is compared with {@link ScanProbe} reading
 * the whole active segment.
 *
 * <p>Then a fresh JVM ({@link OpenProbe}) opens the log, for each kind of open, {@code opens}
 * times: after the crash with the page cache kept (a process crash; the crash state is restored
 * from {@link UncleanState} before each open but the first), after the crash with the page cache
 * dropped (closer to a machine restart), and clean reopens (after a close) warm and cold.
 *
 * <p>Thread-safety: not thread-safe; runs on the caller's thread.
 */
final class ReopenBench {

    private static final long MIB = 1 << 20;
    private static final int RECORD_BYTES = 1024;
    private static final int BATCH_BYTES = 16 * 1024;

    /** The state the log is opened from. */
    enum Kind {
        CRASH_WARM("crash, warm", "after the unclean stop, page cache kept (a process crash)"),
        CRASH_COLD("crash, cold", "after the unclean stop, page cache dropped (closer to a machine restart)"),
        CLEAN_WARM("clean, warm", "after a clean close, page cache kept"),
        CLEAN_COLD("clean, cold", "after a clean close, page cache dropped");

        final String label;
        final String description;

        Kind(String label, String description) {
            this.label = label;
            this.description = description;
        }

        boolean cold() {
            return this == CRASH_COLD || this == CLEAN_COLD;
        }
    }

    /**
     * One open.
     *
     * @param openMs {@code Log.open} in the fresh JVM, after a scratch open loaded the classes
     * @param scratchOpenMs the scratch open: class loading and Chronicle start-up
     * @param jvmMs the child JVM from start to exit (start-up, both opens, close)
     * @param scanMs the baseline for a crash open: {@link ScanProbe} of the active segment in a fresh
     *     JVM, same cache state (NaN for clean opens, which rescan nothing)
     */
    record Sample(int segmentMiB, Kind kind, int index, double openMs, double scratchOpenMs, double jvmMs,
                  int segments, long bytes, double scanMs) {
    }

    /**
     * What one configuration's crash left.
     *
     * @param activeSegmentBytes size of the active (last) segment: the most recovery rescans
     */
    record Crash(int segmentMiB, long logBytes, int segments, long activeSegmentBytes, long tornBytes, double writerS) {
    }

    record Outcome(List<Sample> samples, List<Crash> crashes, boolean cacheDropped) {
    }

    private final BenchOptions options;
    private final Path workDir;
    private final PrintStream out;
    private final List<String> childJvmOpts;

    ReopenBench(BenchOptions options, Path workDir, PrintStream out) {
        this.options = options;
        this.workDir = workDir;
        this.out = out;
        this.childJvmOpts = options.childJvmOpts().isBlank() ? List.of()
                : List.of(options.childJvmOpts().trim().split("\\s+"));
    }

    Outcome run() throws IOException, InterruptedException {
        List<Sample> samples = new ArrayList<>();
        List<Crash> crashes = new ArrayList<>();
        boolean canDrop = options.dropCaches() && Machine.dropPageCache();
        if (!canDrop) {
            out.println("reopen: " + (options.dropCaches() ? "cannot drop the page cache (needs root)"
                    : "--drop-caches false") + "; cold opens are skipped");
        }
        for (int segmentMiB : options.reopenSegmentMiB()) {
            Path base = workDir.resolve("segment-" + segmentMiB + "MiB");
            Path dir = base.resolve("log");
            Files.createDirectories(dir);
            try {
                long total = Math.max(options.reopenMiB() * MIB - MIB, options.reopenUnflushedMiB() * MIB + MIB);
                int segmentBytes = (int) Math.min(Integer.MAX_VALUE, segmentMiB * MIB);
                long t0 = System.nanoTime();
                Map<String, String> w = runChild(base, "2g", CrashWriter.args(dir, segmentBytes, total,
                        options.reopenUnflushedMiB() * MIB, RECORD_BYTES, BATCH_BYTES, true,
                        options.reopenCheckpointAfterFlush()), "CRASH_WRITER");
                double writerS = (System.nanoTime() - t0) / 1e9;
                UncleanState state = UncleanState.capture(dir, base.resolve("unclean"));
                Crash crash = new Crash(segmentMiB, Long.parseLong(w.get("bytes")),
                        Integer.parseInt(w.get("segments")), state.lastSegmentBytes(),
                        Long.parseLong(w.get("tornBytes")), writerS);
                crashes.add(crash);
                out.printf(Locale.ROOT, "reopen, segment.bytes=%d MiB: wrote %d MiB in %d segments in %.1f s (child"
                                + " JVM), halted with %d MiB unflushed and a torn %d-byte tail; active segment %d MiB%s%n",
                        segmentMiB, crash.logBytes() >> 20, crash.segments(), writerS,
                        options.reopenUnflushedMiB(), crash.tornBytes(), crash.activeSegmentBytes() >> 20,
                        options.reopenCheckpointAfterFlush() ? "; checkpoint written after the flush" : "");
                for (Kind kind : Kind.values()) {
                    if (kind.cold() && !canDrop) {
                        continue;
                    }
                    StringBuilder line = new StringBuilder();
                    for (int i = 0; i < options.reopenOpens(); i++) {
                        boolean crashKind = kind == Kind.CRASH_WARM || kind == Kind.CRASH_COLD;
                        if (crashKind && !(kind == Kind.CRASH_WARM && i == 0)) {
                            state.restore();
                        }
                        if (kind.cold()) {
                            Machine.dropPageCache();
                        }
                        long p0 = System.nanoTime();
                        Map<String, String> r = runChild(base, "1g", OpenProbe.args(dir, segmentBytes), "OPEN_PROBE");
                        double jvmMs = (System.nanoTime() - p0) / 1e6;
                        double scanMs = Double.NaN;
                        if (crashKind) {
                            if (kind.cold()) {
                                Machine.dropPageCache();
                            }
                            Map<String, String> scan = runChild(base, "1g", ScanProbe.args(state.lastSegmentFile()),
                                    "SCAN_PROBE");
                            scanMs = Double.parseDouble(scan.get("scanMs"));
                        }
                        Sample s = new Sample(segmentMiB, kind, i, Double.parseDouble(r.get("openMs")),
                                Double.parseDouble(r.get("scratchOpenMs")), jvmMs, Integer.parseInt(r.get("segments")),
                                Long.parseLong(r.get("bytes")), scanMs);
                        if (Long.parseLong(r.get("end")) != Long.parseLong(w.get("records"))) {
                            throw new IllegalStateException("reopened log ends at " + r.get("end") + ", expected "
                                    + w.get("records") + " (the flushed and unflushed appends, not the torn batch)");
                        }
                        samples.add(s);
                        line.append(String.format(Locale.ROOT, " %.0f", s.openMs()));
                        if (crashKind) {
                            line.append(String.format(Locale.ROOT, " (scan %.0f)", s.scanMs()));
                        }
                    }
                    out.printf(Locale.ROOT, "  %-12s Log.open ms:%s%n", kind.label, line);
                }
            } finally {
                StorageBench.deleteRecursively(base);
            }
        }
        return new Outcome(samples, crashes, canDrop);
    }

    /**
     * Runs {@link StorageBench} in a child JVM and returns the {@code key=value} pairs of the line
     * it prints starting with {@code prefix}.
     */
    private Map<String, String> runChild(Path workDir, String heap, List<String> args, String prefix)
            throws IOException, InterruptedException {
        Path stderr = workDir.resolve("child-stderr.txt");
        Process p = new ProcessBuilder(Machine.childJvm(heap, childJvmOpts, args))
                .redirectError(stderr.toFile())
                .start();
        p.getOutputStream().close();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IOException("child JVM " + args.get(0) + " did not finish in 10 minutes");
        }
        for (String line : stdout.split("\n")) {
            if (line.startsWith(prefix + " ") && p.exitValue() == 0) {
                Map<String, String> kv = new HashMap<>();
                for (String field : line.substring(prefix.length()).trim().split("\\s+")) {
                    int eq = field.indexOf('=');
                    kv.put(field.substring(0, eq), field.substring(eq + 1));
                }
                return kv;
            }
        }
        String err = Files.exists(stderr) ? Files.readString(stderr) : "";
        throw new IOException("child JVM " + args.get(0) + " exited with " + p.exitValue() + " without a " + prefix
                + " line; stdout:\n" + stdout + "\nstderr:\n" + err);
    }
}
