package io.tributary.log.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.zip.CRC32C;

/**
 * The partition directory's cleaner checkpoint: the first offset compaction has not yet
 * deduplicated (the start of the "dirty" section). Every record below it has been compared with
 * every later record of its key up to that offset; the next cleaning pass builds its offset map
 * from here.
 *
 * <h2>Format ({@code cleaner-offset.checkpoint})</h2>
 * <pre>
 *   0        4        6                  14       18
 *   +--------+--------+------------------+--------+
 *   | magic  |version | firstDirtyOffset | crc32c |   big-endian
 *   +--------+--------+------------------+--------+
 *   magic   = 0x54524343 ("TRCC")
 *   version = 1   (v1: the first version)
 *   crc32c  = CRC32C of bytes [0, 14)
 * </pre>
 * Written like {@link CheckpointFile}: to a temporary file, forced, atomically renamed over the
 * old one, and the directory forced, so a crash leaves either the old or the new value. A reader
 * refuses an unknown magic or version, a wrong size, or a bad CRC, with a message naming the file;
 * the log then treats the whole log as dirty (a full re-clean, never lost data).
 *
 * <p>The value may be stale in either direction after a crash; readers clamp it to the log's
 * current {@code [logStartOffset, logEndOffset]}, and a truncation below it lowers it.
 *
 * <p>Thread-safety: stateless; the log serialises writes under its write lock.
 */
public final class CleanerCheckpointFile {
    public static final int MAGIC = 0x54524343;
    /** v1: the first dirty offset. */
    public static final short VERSION_1 = 1;
    public static final short CURRENT_VERSION = VERSION_1;

    static final int MAGIC_OFFSET = 0;
    static final int MAGIC_LENGTH = 4;
    static final int VERSION_OFFSET = MAGIC_OFFSET + MAGIC_LENGTH;
    static final int VERSION_LENGTH = 2;
    static final int FIRST_DIRTY_OFFSET_OFFSET = VERSION_OFFSET + VERSION_LENGTH;
    static final int FIRST_DIRTY_OFFSET_LENGTH = 8;
    static final int CRC_OFFSET = FIRST_DIRTY_OFFSET_OFFSET + FIRST_DIRTY_OFFSET_LENGTH;
    static final int CRC_LENGTH = 4;
    public static final int SIZE = CRC_OFFSET + CRC_LENGTH;

    private CleanerCheckpointFile() {
    }

    /** Writes and forces the checkpoint, replacing the old one atomically. */
    public static void write(Path dir, long firstDirtyOffset) throws IOException {
        if (firstDirtyOffset < 0) {
            throw new IllegalArgumentException("first dirty offset " + firstDirtyOffset + " is negative");
        }
        SmallFiles.writeAtomically(dir, LogFiles.CLEANER_CHECKPOINT_FILE, encode(firstDirtyOffset));
    }

    /** The file's bytes for a value. */
    static ByteBuffer encode(long firstDirtyOffset) {
        ByteBuffer buf = ByteBuffer.allocate(SIZE);
        buf.putLong(FIRST_DIRTY_OFFSET_OFFSET, firstDirtyOffset);
        return SmallFiles.seal(buf, MAGIC, CURRENT_VERSION, CRC_OFFSET);
    }

    /**
     * Reads the checkpoint; empty when there is none.
     *
     * @throws IOException naming the file when it exists but is not a valid cleaner checkpoint
     */
    public static OptionalLong read(Path dir) throws IOException {
        Path file = dir.resolve(LogFiles.CLEANER_CHECKPOINT_FILE);
        ByteBuffer buf = SmallFiles.readChecked(file, "cleaner checkpoint", MAGIC, VERSION_1, CURRENT_VERSION, SIZE,
                CRC_OFFSET);
        if (buf == null) {
            return OptionalLong.empty();
        }
        long offset = buf.getLong(FIRST_DIRTY_OFFSET_OFFSET);
        if (offset < 0) {
            throw new IOException("cleaner checkpoint " + file + " holds a negative offset " + offset);
        }
        return OptionalLong.of(offset);
    }
}
