package io.tributary.replication.metadata;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tributary.proto.internal.v1.MetadataSnapshot;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * The metadata snapshot file: the whole committed metadata state, written by the metadata state
 * machine so Ratis can purge the Raft log before it, and sent by Ratis to a voter that is too far
 * behind. Ratis names the file {@code snapshot.<term>_<index>} (in the group's {@code sm/}
 * directory) and keeps an {@code .md5} beside it. Stateless; thread-safe.
 *
 * <pre>
 *  0         4         8         12        16
 *  +---------+---------+---------+---------+------------------------------------------+
 *  | magic   | version | length  | crc32c  | payload: MetadataSnapshot (protobuf),    |
 *  | "TBMD"  | int32   | int32   | int32   | `length` bytes                           |
 *  +---------+---------+---------+---------+------------------------------------------+
 * </pre>
 * All integers big-endian. The CRC32C covers the payload only. The payload's own
 * {@code MetadataSnapshot.version} versions the state; the header version versions this framing.
 * A reader accepts header versions {@link #MIN_VERSION} to {@link #VERSION} and refuses others,
 * and refuses a short file or a CRC mismatch naming the file (a snapshot is written to a temporary
 * file and renamed, so a torn one is never the latest).
 */
public final class MetadataSnapshotFormat {

    /** "TBMD": Tributary metadata. */
    public static final int MAGIC = 0x54424D44;
    /** Framing version. 1: magic, version, length, CRC32C of the payload, payload. */
    public static final int VERSION = 1;
    public static final int MIN_VERSION = 1;

    public static final int MAGIC_OFFSET = 0;
    public static final int MAGIC_LENGTH = 4;
    public static final int VERSION_OFFSET = MAGIC_OFFSET + MAGIC_LENGTH;
    public static final int VERSION_LENGTH = 4;
    public static final int LENGTH_OFFSET = VERSION_OFFSET + VERSION_LENGTH;
    public static final int LENGTH_LENGTH = 4;
    public static final int CRC_OFFSET = LENGTH_OFFSET + LENGTH_LENGTH;
    public static final int CRC_LENGTH = 4;
    public static final int HEADER_LENGTH = CRC_OFFSET + CRC_LENGTH;

    private MetadataSnapshotFormat() {
    }

    /** Writes the state to {@code file} atomically (temporary file, fsync, rename). */
    public static void write(Path file, MetadataSnapshot state) throws IOException {
        byte[] payload = state.toByteArray();
        CRC32C crc = new CRC32C();
        crc.update(payload);
        ByteBuffer buf = ByteBuffer.allocate(HEADER_LENGTH + payload.length).order(ByteOrder.BIG_ENDIAN);
        buf.putInt(MAGIC).putInt(VERSION).putInt(payload.length).putInt((int) crc.getValue()).put(payload).flip();
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * Reads a snapshot file.
     *
     * @throws IOException naming the file when it is short, has a bad magic, an unsupported version
     *     or a CRC mismatch
     */
    public static MetadataSnapshot read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length < HEADER_LENGTH) {
            throw new IOException("metadata snapshot " + file + " is " + bytes.length + " bytes, shorter than its "
                    + HEADER_LENGTH + "-byte header");
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.BIG_ENDIAN);
        int magic = buf.getInt(MAGIC_OFFSET);
        if (magic != MAGIC) {
            throw new IOException("metadata snapshot " + file + " has magic 0x" + Integer.toHexString(magic)
                    + ", not 0x" + Integer.toHexString(MAGIC));
        }
        int version = buf.getInt(VERSION_OFFSET);
        if (version < MIN_VERSION || version > VERSION) {
            throw new IOException("metadata snapshot " + file + " has version " + version + "; this broker reads "
                    + MIN_VERSION + " to " + VERSION);
        }
        int length = buf.getInt(LENGTH_OFFSET);
        if (length < 0 || length != bytes.length - HEADER_LENGTH) {
            throw new IOException("metadata snapshot " + file + " declares " + length + " payload bytes but holds "
                    + (bytes.length - HEADER_LENGTH));
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, HEADER_LENGTH, length);
        int expected = buf.getInt(CRC_OFFSET);
        if ((int) crc.getValue() != expected) {
            throw new IOException("metadata snapshot " + file + " is corrupt: CRC32C 0x"
                    + Integer.toHexString((int) crc.getValue()) + " != 0x" + Integer.toHexString(expected));
        }
        try {
            return MetadataSnapshot.parseFrom(ByteBuffer.wrap(bytes, HEADER_LENGTH, length));
        } catch (InvalidProtocolBufferException e) {
            throw new IOException("metadata snapshot " + file + " does not parse: " + e.getMessage(), e);
        }
    }
}
