package io.tributary.bench;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What the benchmark asks of the machine it runs on: CPU accounting (this process and the whole
 * machine, so a run can say how much of the machine others used), the page cache (sync, drop),
 * facts for the report header, and child JVMs.
 *
 * <p>Linux only where it reads {@code /proc}; every probe degrades to "unknown" elsewhere.
 *
 * <p>Thread-safety: stateless, safe for any use.
 */
final class Machine {

    /** {@code /proc/stat} counts in USER_HZ, 100 on every Linux this runs on. */
    private static final double TICKS_PER_SECOND = 100.0;
    private static final Path DROP_CACHES = Path.of("/proc/sys/vm/drop_caches");

    private Machine() {
    }

    /**
     * A point-in-time reading of the clocks a run is measured with.
     *
     * @param wallNs {@link System#nanoTime()}
     * @param processCpuNs CPU time of this JVM, user plus system, all threads
     * @param machineBusyTicks busy ticks of all CPUs (user, nice, system, irq, softirq, steal)
     */
    record CpuSnapshot(long wallNs, long processCpuNs, long machineBusyTicks) {

        static CpuSnapshot now() {
            return new CpuSnapshot(System.nanoTime(), Machine.processCpuNs(), Machine.machineBusyTicks());
        }

        /** The interval from this reading to {@code later}. */
        Interval until(CpuSnapshot later) {
            double processCpuS = (later.processCpuNs - processCpuNs) / 1e9;
            double machineBusyS = machineBusyTicks < 0 || later.machineBusyTicks < 0 ? Double.NaN
                    : (later.machineBusyTicks - machineBusyTicks) / TICKS_PER_SECOND;
            return new Interval(later.wallNs - wallNs, processCpuS, machineBusyS);
        }
    }

    /**
     * One measured interval.
     *
     * @param wallNs elapsed time
     * @param processCpuS CPU seconds this JVM used
     * @param machineBusyS CPU seconds the whole machine was busy (NaN when unknown)
     */
    record Interval(long wallNs, double processCpuS, double machineBusyS) {

        /**
         * CPU seconds the rest of the machine used: other processes, but also kernel threads
         * working for us (background writeback), so it is an upper bound on interference.
         */
        double otherCpuS() {
            return Double.isNaN(machineBusyS) ? Double.NaN : Math.max(0, machineBusyS - processCpuS);
        }

        double seconds() {
            return wallNs / 1e9;
        }

        /** Both intervals together (a measurement paused in between). */
        Interval plus(Interval other) {
            return new Interval(wallNs + other.wallNs, processCpuS + other.processCpuS,
                    machineBusyS + other.machineBusyS);
        }

        static final Interval ZERO = new Interval(0, 0, 0);
    }

    static long processCpuNs() {
        var os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getProcessCpuTime();
        }
        return 0;
    }

    private static long machineBusyTicks() {
        try {
            String first = Files.readAllLines(Path.of("/proc/stat")).get(0);
            String[] f = first.trim().split("\\s+");
            // cpu user nice system idle iowait irq softirq steal ...
            long busy = 0;
            for (int i : new int[] {1, 2, 3, 6, 7, 8}) {
                busy += Long.parseLong(f[i]);
            }
            return busy;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    // ---------------------------------------------------------------- page cache

    /** Writes every dirty page of the machine back ({@code sync(1)}); best effort. */
    static void sync() {
        run(60, "sync");
    }

    /**
     * Syncs, then drops the clean page cache ({@code echo 1 > /proc/sys/vm/drop_caches}, needs
     * root). Java has no {@code posix_fadvise(DONTNEED)}, so this is machine-wide: other
     * processes re-read their files too.
     *
     * @return false when the kernel refused (not root, read-only /proc)
     */
    static boolean dropPageCache() {
        sync();
        try {
            Files.writeString(DROP_CACHES, "1");
            return true;
        } catch (IOException | SecurityException e) {
            return false;
        }
    }

    /** Bytes of file pages in the page cache ({@code Cached} in {@code /proc/meminfo}), or -1. */
    static long pageCacheBytes() {
        return meminfoBytes("Cached:");
    }

    static long meminfoBytes(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith(key)) {
                    String[] f = line.substring(key.length()).trim().split("\\s+");
                    return Long.parseLong(f[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // unknown
        }
        return -1;
    }

    // ---------------------------------------------------------------- report header

    /** Lines describing the JVM, the OS, the CPUs and the file system holding {@code dir}. */
    static List<String> describe(Path dir) {
        List<String> lines = new ArrayList<>();
        Runtime rt = Runtime.getRuntime();
        lines.add("jvm: " + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
                + " (" + System.getProperty("java.vm.vendor") + "), max heap " + (rt.maxMemory() >> 20) + " MiB");
        lines.add("jvm args: " + String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()));
        lines.add("os: " + System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch") + ", nproc " + firstLine(run(10, "nproc"))
                + ", memory " + (meminfoBytes("MemTotal:") >> 20) + " MiB");
        lines.add("cpu: " + cpuModel() + ", loadavg " + loadAverage());
        String df = run(10, "df", "-hT", dir.toString());
        if (df != null) {
            for (String l : df.strip().split("\n")) {
                lines.add("df: " + l);
            }
        }
        String mount = run(10, "findmnt", "-no", "SOURCE,FSTYPE,OPTIONS", "-T", dir.toString());
        if (mount != null) {
            lines.add("mount: " + mount.strip());
        }
        lines.add("vm: dirty_background_ratio=" + firstLine(read("/proc/sys/vm/dirty_background_ratio"))
                + " dirty_ratio=" + firstLine(read("/proc/sys/vm/dirty_ratio"))
                + " dirty_expire_centisecs=" + firstLine(read("/proc/sys/vm/dirty_expire_centisecs")));
        List<String> builds = otherJvmBuilds();
        lines.add("other maven/java builds running now: " + builds.size()
                + (builds.isEmpty() ? "" : " (their CPU shows in the 'other CPU' figures)"));
        return lines;
    }

    /** The 1, 5 and 15 minute load averages, or "unknown". */
    static String loadAverage() {
        String l = read("/proc/loadavg");
        if (l == null) {
            return "unknown";
        }
        String[] f = l.strip().split("\\s+");
        return f.length >= 3 ? f[0] + " " + f[1] + " " + f[2] : "unknown";
    }

    private static String cpuModel() {
        String info = read("/proc/cpuinfo");
        if (info != null) {
            for (String l : info.split("\n")) {
                if (l.startsWith("model name")) {
                    return l.substring(l.indexOf(':') + 1).strip();
                }
            }
        }
        return "unknown";
    }

    /** Command lines of other running Maven builds (a sign the numbers are contended). */
    static List<String> otherJvmBuilds() {
        List<String> found = new ArrayList<>();
        long self = ProcessHandle.current().pid();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path p : ds) {
                if (Long.parseLong(p.getFileName().toString()) == self) {
                    continue;
                }
                try {
                    byte[] raw = Files.readAllBytes(p.resolve("cmdline"));
                    String cmd = new String(raw, StandardCharsets.UTF_8).replace('\0', ' ').strip();
                    if (cmd.contains("plexus-classworlds")) {
                        found.add(cmd);
                    }
                } catch (IOException | RuntimeException e) {
                    // gone meanwhile
                }
            }
        } catch (IOException | RuntimeException e) {
            // no /proc
        }
        return found;
    }

    private static String read(String file) {
        // Not Files.readString: procfs files report size 0 and it returns only a prefix of them.
        try (InputStream in = Files.newInputStream(Path.of(file))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static String firstLine(String s) {
        return s == null ? "unknown" : s.strip().split("\n")[0];
    }

    /** Runs a command and returns its standard output, or null when it fails or times out. */
    static String run(int timeoutS, String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] out;
            try (InputStream in = p.getInputStream()) {
                out = in.readAllBytes();
            }
            if (!p.waitFor(timeoutS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            return p.exitValue() == 0 ? new String(out, StandardCharsets.UTF_8) : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    // ---------------------------------------------------------------- child JVMs

    /**
     * The command line for a child JVM running {@link StorageBench} with {@code args}: the same
     * java binary and class path as this one, and the Chronicle flags from the root pom's
     * {@code chronicle.jvm.flags} (filtered into {@code jvm.flags} at build time), then
     * {@code extraJvmOpts} (a profiler, say).
     */
    static List<String> childJvm(String maxHeap, List<String> extraJvmOpts, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(chronicleFlags());
        cmd.add("-Xmx" + maxHeap);
        cmd.addAll(extraJvmOpts);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(StorageBench.class.getName());
        cmd.addAll(args);
        return cmd;
    }

    static List<String> chronicleFlags() throws IOException {
        try (InputStream in = Machine.class.getResourceAsStream("jvm.flags")) {
            if (in == null) {
                throw new IOException("jvm.flags is missing from the class path: build the bench module with Maven");
            }
            String flags = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
            if (flags.contains("${")) {
                throw new IOException("jvm.flags was not filtered by Maven: " + flags);
            }
            return Arrays.asList(flags.split("\\s+"));
        }
    }
}
