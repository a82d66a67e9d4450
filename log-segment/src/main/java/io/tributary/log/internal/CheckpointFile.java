package io.tributary.log.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
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
        buf.putLong(LOG_START_OFFSET_OFFSET, checkpoint.logStartOffset());
        buf.putLong(RECOVERY_POINT_OFFSET, checkpoint.recoveryPoint());
        SmallFiles.writeAtomically(dir, LogFiles.CHECKPOINT_FILE, SmallFiles.seal(buf, MAGIC, CURRENT_VERSION,
                CRC_OFFSET));
    }

    /**
     * Reads the checkpoint; empty when there is none.
     *
     * @throws IOException naming the file when it exists but is not a valid checkpoint
     */
    public static Optional<Checkpoint> read(Path dir) throws IOException {
        ByteBuffer buf = SmallFiles.readChecked(dir.resolve(LogFiles.CHECKPOINT_FILE), "checkpoint", MAGIC, VERSION_1,
                CURRENT_VERSION, SIZE, CRC_OFFSET);
        if (buf == null) {
            return Optional.empty();
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
