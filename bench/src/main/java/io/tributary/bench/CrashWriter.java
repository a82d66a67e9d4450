package io.tributary.bench;

import io.tributary.log.Log;
import io.tributary.log.LogConfig;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Child-JVM entry point that leaves a log as an unclean stop does: it appends, flushes, appends
 * some more without flushing, writes half of one more batch straight to the end of the active
 * segment file (a torn write), and halts the JVM without closing the log
 * ({@code Runtime.halt}: no shutdown hooks, no close, no checkpoint).
 *
 * <p>Arguments are {@code key=value}: {@code dir}, {@code segmentBytes}, {@code totalBytes},
 * {@code unflushedBytes}, {@code recordBytes}, {@code batchBytes}, {@code torn},
 * {@code checkpointAfterFlush} (also write the recovery checkpoint right after the flush, as a
 * flush policy could, instead of leaving it to the log's interval). Prints one line
 * {@code CRASH_WRITER key=value...} before halting.
 *
 * <p>Thread-safety: a process entry point.
 */
final class CrashWriter {

    static final String COMMAND = "crash-writer";

    private CrashWriter() {
    }

    static List<String> args(Path dir, int segmentBytes, long totalBytes, long unflushedBytes, int recordBytes,
                             int batchBytes, boolean torn, boolean checkpointAfterFlush) {
        return List.of(COMMAND, "dir=" + dir.toAbsolutePath(), "segmentBytes=" + segmentBytes,
                "totalBytes=" + totalBytes, "unflushedBytes=" + unflushedBytes, "recordBytes=" + recordBytes,
                "batchBytes=" + batchBytes, "torn=" + torn, "checkpointAfterFlush=" + checkpointAfterFlush);
    }

    static void run(Map<String, String> a) throws IOException {
        Path dir = Path.of(a.get("dir"));
        int segmentBytes = Integer.parseInt(a.get("segmentBytes"));
        long total = Long.parseLong(a.get("totalBytes"));
        long unflushed = Long.parseLong(a.get("unflushedBytes"));
        BatchPool pool = BatchPool.build(Integer.parseInt(a.get("recordBytes")), Integer.parseInt(a.get("batchBytes")),
                Math.min(64L << 20, total), 11);
        boolean torn = Boolean.parseBoolean(a.get("torn"));

        Log log = Log.open(dir, LogConfig.builder().segmentBytes(segmentBytes).build()); // never closed
        long bytes = 0;
        int i = 0;
        int pass = 0;
        while (bytes < total - unflushed) {
            bytes += log.append(pool.heap(i), 1).sizeInBytes();
            if (++i == pool.size()) {
                i = 0;
                pool.shiftTimestamps(++pass);
            }
        }
        log.flush();
        if (Boolean.parseBoolean(a.get("checkpointAfterFlush"))) {
            log.checkpoint();
        }
        long flushedEnd = log.logEndOffset();
        while (bytes < total) {
            bytes += log.append(pool.heap(i), 1).sizeInBytes();
            if (++i == pool.size()) {
                i = 0;
                pool.shiftTimestamps(++pass);
            }
        }
        long end = log.logEndOffset();
        List<Long> bases = log.segmentBaseOffsets();
        long activeBase = bases.get(bases.size() - 1);
        Path active = dir.resolve(String.format(Locale.ROOT, "%020d.log", activeBase));
        int tornBytes = 0;
        if (torn) {
            ByteBuffer next = pool.heap(i).duplicate();
            next.putLong(0, end); // what the log would have stamped
            tornBytes = next.remaining() / 2;
            next.limit(tornBytes);
            try (FileChannel ch = FileChannel.open(active, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
                while (next.hasRemaining()) {
                    ch.write(next);
                }
            }
        }
        System.out.printf(Locale.ROOT, "CRASH_WRITER bytes=%d records=%d flushedEnd=%d segments=%d activeBytes=%d"
                + " tornBytes=%d%n", bytes, end, flushedEnd, bases.size(), java.nio.file.Files.size(active), tornBytes);
        System.out.flush();
        Runtime.getRuntime().halt(0);
    }
}
