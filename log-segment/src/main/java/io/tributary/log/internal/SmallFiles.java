package io.tributary.log.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * The shared mechanics of the partition directory's small header-versioned files (the recovery
 * and cleaner checkpoints): the layout {@code magic(int32) version(int16) ... crc32c(int32)},
 * big-endian, CRC over everything before it; written atomically, read with checks whose messages
 * name the file.
 *
 * <p>Thread-safety: stateless.
 */
final class SmallFiles {
    static final int MAGIC_OFFSET = 0;
    static final int VERSION_OFFSET = MAGIC_OFFSET + 4;
    static final int HEADER_LENGTH = VERSION_OFFSET + 2;

    private SmallFiles() {
    }

    /** Puts magic and version at the start and the CRC32C of bytes [0, crcOffset) at crcOffset. */
    static ByteBuffer seal(ByteBuffer buf, int magic, short version, int crcOffset) {
        buf.putInt(MAGIC_OFFSET, magic);
        buf.putShort(VERSION_OFFSET, version);
        CRC32C crc = new CRC32C();
        crc.update(buf.array(), 0, crcOffset);
        buf.putInt(crcOffset, (int) crc.getValue());
        return buf;
    }

    /**
     * Writes {@code bytes} to {@code dir/name} so that a crash leaves either the old or the new
     * file, never a torn one: a temporary file, forced, renamed atomically, the directory forced.
     */
    static void writeAtomically(Path dir, String name, ByteBuffer bytes) throws IOException {
        Path target = dir.resolve(name);
        Path tmp = dir.resolve(name + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (bytes.hasRemaining()) {
                ch.write(bytes);
            }
            ch.force(true);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        CheckpointFile.forceDirectory(dir);
    }

    /**
     * Reads a whole file and checks its magic, version range, size and CRC.
     *
     * @param what how messages call the file, e.g. "checkpoint"
     * @return the file's bytes, or null when it does not exist
     * @throws IOException naming the file and what is wrong with it
     */
    static ByteBuffer readChecked(Path file, String what, int magic, short minVersion, short maxVersion, int size,
                                  int crcOffset) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return null;
        }
        if (bytes.length < HEADER_LENGTH) {
            throw new IOException(what + " " + file + " is " + bytes.length + " bytes, too short for a header");
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        int actualMagic = buf.getInt(MAGIC_OFFSET);
        if (actualMagic != magic) {
            throw new IOException(String.format("%s %s has magic 0x%08x, expected 0x%08x", what, file, actualMagic,
                    magic));
        }
        short version = buf.getShort(VERSION_OFFSET);
        if (version < minVersion || version > maxVersion) {
            throw new IOException(what + " " + file + " has version " + version + "; this build reads versions "
                    + minVersion + " to " + maxVersion);
        }
        if (bytes.length != size) {
            throw new IOException(what + " " + file + " is " + bytes.length + " bytes, expected " + size);
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, crcOffset);
        int stored = buf.getInt(crcOffset);
        if ((int) crc.getValue() != stored) {
            throw new IOException(String.format("%s %s has CRC 0x%08x, computed 0x%08x", what, file, stored,
                    (int) crc.getValue()));
        }
        return buf;
    }
}
