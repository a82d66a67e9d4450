package io.tributary.bench;

import io.tributary.record.RecordBatch;
import io.tributary.record.RecordBatchFormat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Child-JVM entry point for the reopen phase's baseline: what the rescan of a segment after an
 * unclean stop costs at least, in a fresh JVM like the open it is compared with. It reads the
 * segment file sequentially in 1 MiB chunks into one reused buffer and checks the CRC of every
 * batch in place (the work recovery must do), without indexing and without a read per batch.
 *
 * <p>Arguments are {@code key=value}: {@code file}. Prints one line {@code SCAN_PROBE key=value...}.
 *
 * <p>Thread-safety: a process entry point.
 */
final class ScanProbe {

    static final String COMMAND = "scan-probe";
    private static final int CHUNK_BYTES = 1 << 20;

    private ScanProbe() {
    }

    static List<String> args(Path segmentFile) {
        return List.of(COMMAND, "file=" + segmentFile.toAbsolutePath());
    }

    static void run(Map<String, String> a) throws IOException {
        Path file = Path.of(a.get("file"));
        long t0 = System.nanoTime();
        long batches = 0;
        long validBytes = 0;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            long filePosition = 0;
            // Room for the largest batch the log accepts by default, plus a chunk.
            ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK_BYTES + (2 << 20));
            buf.limit(0);
            scan:
            while (true) {
                while (buf.remaining() >= RecordBatchFormat.LOG_OVERHEAD) {
                    int length = buf.getInt(buf.position() + RecordBatchFormat.LENGTH_OFFSET);
                    int batchBytes = length + RecordBatchFormat.LOG_OVERHEAD;
                    if (length < RecordBatchFormat.MIN_BATCH_LENGTH || batchBytes > buf.capacity()) {
                        break scan; // garbage: where recovery would truncate
                    }
                    if (batchBytes > buf.remaining()) {
                        break;
                    }
                    ByteBuffer view = buf.duplicate();
                    view.limit(buf.position() + batchBytes);
                    if (!RecordBatch.wrap(view).isValid()) {
                        break scan;
                    }
                    buf.position(buf.position() + batchBytes);
                    batches++;
                    validBytes += batchBytes;
                }
                if (filePosition >= size) {
                    break;
                }
                buf.compact();
                buf.limit(Math.min(buf.capacity(), buf.position() + CHUNK_BYTES));
                int n = ch.read(buf, filePosition);
                buf.flip();
                if (n <= 0) {
                    break;
                }
                filePosition += n;
            }
        }
        System.out.printf(Locale.ROOT, "SCAN_PROBE scanMs=%.1f batches=%d validBytes=%d%n",
                (System.nanoTime() - t0) / 1e6, batches, validBytes);
    }
}
