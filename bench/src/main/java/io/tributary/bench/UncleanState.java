package io.tributary.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A copy of the state an unclean stop left in a log directory, to put it back after each timed
 * open (which recovers and so changes it) without writing the whole log again.
 *
 * <p>Recovery changes only small things: the checkpoint, the indexes it rebuilds, and the tail of
 * a segment it truncates. So the copy holds every non-{@code .log} file whole and, of each
 * {@code .log} file, its length and its last {@link #TAIL_BYTES}; restoring rewrites those tails
 * and cuts the files back to their lengths. A segment file that recovery deleted cannot be
 * restored, and {@link #restore()} says so.
 *
 * <p>Thread-safety: not thread-safe.
 */
final class UncleanState {

    static final int TAIL_BYTES = 8 << 20;

    private final Path dir;
    private final Path backup;
    private final TreeMap<String, Long> logLengths = new TreeMap<>();
    private final List<String> otherFiles = new ArrayList<>();

    private UncleanState(Path dir, Path backup) {
        this.dir = dir;
        this.backup = backup;
    }

    static UncleanState capture(Path dir, Path backup) throws IOException {
        Files.createDirectories(backup);
        UncleanState s = new UncleanState(dir, backup);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (name.endsWith(".log")) {
                    long length = Files.size(p);
                    s.logLengths.put(name, length);
                    try (FileChannel in = FileChannel.open(p, StandardOpenOption.READ);
                         FileChannel out = FileChannel.open(backup.resolve(name + ".tail"), StandardOpenOption.CREATE,
                                 StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                        long from = Math.max(0, length - TAIL_BYTES);
                        in.transferTo(from, length - from, out);
                    }
                } else {
                    s.otherFiles.add(name);
                    Files.copy(p, backup.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        return s;
    }

    /** The last segment file, which an unclean stop leaves to be rescanned. */
    Path lastSegmentFile() {
        return dir.resolve(logLengths.lastKey());
    }

    /** Size of the last segment file, which an unclean stop leaves to be rescanned. */
    long lastSegmentBytes() {
        return logLengths.isEmpty() ? 0 : logLengths.lastEntry().getValue();
    }

    void restore() throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (!logLengths.containsKey(name) && !otherFiles.contains(name)) {
                    StorageBench.deleteRecursively(p);
                }
            }
        }
        for (String name : otherFiles) {
            Files.copy(backup.resolve(name), dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
        }
        for (Map.Entry<String, Long> e : logLengths.entrySet()) {
            Path log = dir.resolve(e.getKey());
            if (!Files.exists(log)) {
                throw new IOException("recovery deleted " + log + "; the unclean state cannot be restored");
            }
            long length = e.getValue();
            long from = Math.max(0, length - TAIL_BYTES);
            if (Files.size(log) < from) {
                throw new IOException("recovery cut " + log + " to " + Files.size(log) + " bytes, before the saved tail"
                        + " at " + from + "; the unclean state cannot be restored");
            }
            try (FileChannel in = FileChannel.open(backup.resolve(e.getKey() + ".tail"), StandardOpenOption.READ);
                 FileChannel out = FileChannel.open(log, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.allocate((int) (length - from));
                while (buf.hasRemaining() && in.read(buf) >= 0) {
                    // fill
                }
                buf.flip();
                long position = from;
                while (buf.hasRemaining()) {
                    position += out.write(buf, position);
                }
                out.truncate(length);
            }
        }
        Machine.sync();
    }
}
