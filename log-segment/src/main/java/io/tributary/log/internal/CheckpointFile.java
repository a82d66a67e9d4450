package io.tributary.log.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * The partition directory's recovery checkpoint: the log start offset and the recovery point
 * (every byte below it is known flushed), so recovery after an unclean stop rescans only what
 * lies after it.
 *
 * <h2>Format ({@code recovery-point.checkpoint})</h2>
 * <pre>
 *   0        4        6                14               22       26
 *   +--------+--------+----------------+----------------+--------+
 *   | magic  |version | logStartOffset | recoveryPoint  | crc32c |   big-endian
 *   +--------+--------+----------------+----------------+--------+
 *   magic   = 0x54524350 ("TRCP")
 *   version = 1   (v1: the first version; also versions the directory's .index and .timeindex layout)
 *   crc32c  = CRC32C of bytes [0, 22)
 * </pre>
 * Written to a temporary file, forced, atomically renamed over the old one, and the directory
 * forced, so a crash leaves either the old or the new checkpoint, never a torn one. A reader
 * refuses an unknown magic or version, or a bad CRC, with a message naming the file.
 *
 * <p>Thread-safety: stateless; the log serialises writes.
 */
public final class CheckpointFile {
    public static final int MAGIC = 0x54524350;
    /** v1: log start offset and recovery point. */
    public static final short VERSION_1 = 1;
    public static final short CURRENT_VERSION = VERSION_1;

    static final int MAGIC_OFFSET = 0;
    static final int MAGIC_LENGTH = 4;
    static final int VERSION_OFFSET = MAGIC_OFFSET + MAGIC_LENGTH;
    static final int VERSION_LENGTH = 2;
    static final int LOG_START_OFFSET_OFFSET = VERSION_OFFSET + VERSION_LENGTH;
    static final int LOG_START_OFFSET_LENGTH = 8;
    static final int RECOVERY_POINT_OFFSET = LOG_START_OFFSET_OFFSET + LOG_START_OFFSET_LENGTH;
    static final int RECOVERY_POINT_LENGTH = 8;
    static final int CRC_OFFSET = RECOVERY_POINT_OFFSET + RECOVERY_POINT_LENGTH;
    static final int CRC_LENGTH = 4;
    public static final int SIZE = CRC_OFFSET + CRC_LENGTH;

    private CheckpointFile() {
    }

    /** What a checkpoint holds. */
    public record Checkpoint(long logStartOffset, long recoveryPoint) {
    }

    /** Writes and forces the checkpoint, replacing the old one atomically. */
    public static void write(Path dir, Checkpoint checkpoint) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(SIZE);
        buf.putInt(MAGIC_OFFSET, MAGIC);
        buf.putShort(VERSION_OFFSET, CURRENT_VERSION);
        buf.putLong(LOG_START_OFFSET_OFFSET, checkpoint.logStartOffset());
        buf.putLong(RECOVERY_POINT_OFFSET, checkpoint.recoveryPoint());
        CRC32C crc = new CRC32C();
        crc.update(buf.array(), 0, CRC_OFFSET);
        buf.putInt(CRC_OFFSET, (int) crc.getValue());
        Path target = dir.resolve(LogFiles.CHECKPOINT_FILE);
        Path tmp = dir.resolve(LogFiles.CHECKPOINT_FILE + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        forceDirectory(dir);
    }

    /**
     * Reads the checkpoint; empty when there is none.
     *
     * @throws IOException naming the file when it exists but is not a valid checkpoint
     */
    public static Optional<Checkpoint> read(Path dir) throws IOException {
        Path file = dir.resolve(LogFiles.CHECKPOINT_FILE);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        if (bytes.length < VERSION_OFFSET + VERSION_LENGTH) {
            throw new IOException("checkpoint " + file + " is " + bytes.length + " bytes, too short for a header");
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        int magic = buf.getInt(MAGIC_OFFSET);
        if (magic != MAGIC) {
            throw new IOException(String.format("checkpoint %s has magic 0x%08x, expected 0x%08x", file, magic, MAGIC));
        }
        short version = buf.getShort(VERSION_OFFSET);
        if (version < VERSION_1 || version > CURRENT_VERSION) {
            throw new IOException("checkpoint " + file + " has version " + version + "; this build reads versions "
                    + VERSION_1 + " to " + CURRENT_VERSION);
        }
        if (bytes.length != SIZE) {
            throw new IOException("checkpoint " + file + " is " + bytes.length + " bytes, expected " + SIZE);
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, CRC_OFFSET);
        int stored = buf.getInt(CRC_OFFSET);
        if ((int) crc.getValue() != stored) {
            throw new IOException(String.format("checkpoint %s has CRC 0x%08x, computed 0x%08x", file, stored,
                    (int) crc.getValue()));
        }
        return Optional.of(new Checkpoint(buf.getLong(LOG_START_OFFSET_OFFSET), buf.getLong(RECOVERY_POINT_OFFSET)));
    }

    /** Forces a directory's entries (new, renamed and removed files) to disk. */
    public static void forceDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some file systems refuse to open a directory for reading; nothing more can be done there.
            if (!(e.getMessage() != null && e.getMessage().contains("Is a directory"))) {
                throw e;
            }
        }
    }
}
