package io.tributary.bench;

import io.tributary.log.Log;
import io.tributary.log.LogConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Child-JVM entry point that times {@link Log#open} of an existing log directory in a fresh JVM,
 * as a restarting broker would, then closes the log cleanly.
 *
 * <p>It first opens and closes an empty scratch log beside it, so that the figure for the real
 * open is not mostly class loading and Chronicle's start-up; that first open is reported
 * separately. Arguments are {@code key=value}: {@code dir}, {@code segmentBytes}. Prints one line
 * {@code OPEN_PROBE key=value...}.
 *
 * <p>Thread-safety: a process entry point.
 */
final class OpenProbe {

    static final String COMMAND = "open-probe";

    private OpenProbe() {
    }

    static List<String> args(Path dir, int segmentBytes) {
        return List.of(COMMAND, "dir=" + dir.toAbsolutePath(), "segmentBytes=" + segmentBytes);
    }

    static void run(Map<String, String> a) throws IOException {
        Path dir = Path.of(a.get("dir"));
        LogConfig config = LogConfig.builder().segmentBytes(Integer.parseInt(a.get("segmentBytes"))).build();
        Path scratch = Files.createTempDirectory(dir.toAbsolutePath().getParent(), "scratch-");
        long t0 = System.nanoTime();
        Log.open(scratch, config).close();
        long firstOpenNs = System.nanoTime() - t0;
        StorageBench.deleteRecursively(scratch);

        long t1 = System.nanoTime();
        Log log = Log.open(dir, config);
        long openNs = System.nanoTime() - t1;
        long end = log.logEndOffset();
        int segments = log.numberOfSegments();
        long bytes = log.sizeInBytes();
        log.close();
        System.out.printf(Locale.ROOT, "OPEN_PROBE openMs=%.1f scratchOpenMs=%.1f segments=%d end=%d bytes=%d%n",
                openNs / 1e6, firstOpenNs / 1e6, segments, end, bytes);
    }
}
