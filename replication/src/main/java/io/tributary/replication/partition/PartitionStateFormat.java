package io.tributary.replication.partition;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * The state file of a partition snapshot ({@code state.bin}): the producer state and the key
 * index of {@link PartitionState} at the snapshot's index. Big-endian throughout.
 *
 * <pre>
 * offset  size  field
 *   0      4    magic 0x54505354 ("TPST")
 *   4      2    version (1)
 *   6      2    flags (0; a reader refuses others)
 *   8      8    clock_ms        the state's clock (max leader append time seen)
 *  16      8    last_sweep_ms   when producers were last swept for expiry (state clock)
 *  24      4    producer_count P
 *  28      ..   P producers, by ascending producer id:
 *                 8  producer_id
 *                 2  producer_epoch
 *                 8  last_append_ms
 *                 1  unit_count U (1..5)
 *                 U units, oldest first: 4 first_sequence | 4 last_sequence |
 *                                        8 first_offset   | 8 last_offset
 *  ..      8    key_count K
 *  ..      ..   K keys (any order): 4 key_length L | L key bytes | 8 last_offset
 *  ..      4    CRC32C of every byte before it
 * </pre>
 *
 * <p>Versions: 1 — the above. A reader accepts {@code [1, CURRENT_VERSION]} and refuses the rest
 * with a message that names the file; a bad magic, a wrong CRC, a short file or bytes after the
 * CRC are corruption (the snapshot is not used).
 *
 * <p>Thread-safety: stateless.
 */
final class PartitionStateFormat {

    static final String FILE = "state.bin";
    static final int MAGIC = 0x54505354;
    /** 1: producers (epoch, last append time, last 5 units) and the key index. */
    static final int VERSION_1 = 1;
    static final int CURRENT_VERSION = VERSION_1;

    private PartitionStateFormat() {
    }

    /** Writes {@code s} (its undo is not written) to {@code file}, forced to disk; returns the size. */
    static long write(PartitionState s, Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            CRC32C crc = new CRC32C();
            OutputStream raw = Channels.newOutputStream(ch);
            BufferedOutputStream buffered = new BufferedOutputStream(raw, 1 << 16);
            DataOutputStream out = new DataOutputStream(new CheckedOutputStream(buffered, crc));
            out.writeInt(MAGIC);
            out.writeShort(CURRENT_VERSION);
            out.writeShort(0);
            out.writeLong(s.clockMs);
            out.writeLong(s.lastSweepMs);
            List<Long> ids = new ArrayList<>(s.producers.keySet());
            ids.sort(null);
            out.writeInt(ids.size());
            for (long id : ids) {
                PartitionState.ProducerEntry p = s.producers.get(id);
                out.writeLong(id);
                out.writeShort(p.epoch());
                out.writeLong(p.lastAppendMs());
                out.writeByte(p.batches().size());
                for (PartitionState.BatchMeta b : p.batches()) {
                    out.writeInt(b.firstSequence());
                    out.writeInt(b.lastSequence());
                    out.writeLong(b.firstOffset());
                    out.writeLong(b.lastOffset());
                }
            }
            out.writeLong(s.keys.size());
            for (Map.Entry<PartitionState.Key, Long> e : s.keys.entrySet()) {
                out.writeInt(e.getKey().bytes.length);
                out.write(e.getKey().bytes);
                out.writeLong(e.getValue());
            }
            out.flush();
            new DataOutputStream(buffered).writeInt((int) crc.getValue());
            buffered.flush();
            ch.force(true);
            return ch.size();
        }
    }

    /** Reads a state file; IOException names the file and what is wrong. */
    static PartitionState read(Path file) throws IOException {
        try (InputStream raw = new BufferedInputStream(java.nio.file.Files.newInputStream(file), 1 << 16)) {
            CRC32C crc = new CRC32C();
            DataInputStream in = new DataInputStream(new CheckedInputStream(raw, crc));
            try {
                int magic = in.readInt();
                if (magic != MAGIC) {
                    throw new IOException(file + " is not a partition state file (magic 0x" + Integer.toHexString(magic)
                            + ")");
                }
                int version = in.readUnsignedShort();
                if (version < VERSION_1 || version > CURRENT_VERSION) {
                    throw new IOException(file + " has version " + version + ", outside the range this broker reads ["
                            + VERSION_1 + ", " + CURRENT_VERSION + "]; upgrade the broker");
                }
                int flags = in.readUnsignedShort();
                if (flags != 0) {
                    throw new IOException(file + " has unknown flags 0x" + Integer.toHexString(flags));
                }
                long clockMs = in.readLong();
                long lastSweepMs = in.readLong();
                int producers = in.readInt();
                if (producers < 0) {
                    throw new IOException(file + " declares " + producers + " producers");
                }
                HashMap<Long, PartitionState.ProducerEntry> ps = new HashMap<>();
                for (int i = 0; i < producers; i++) {
                    long id = in.readLong();
                    int epoch = in.readShort();
                    long last = in.readLong();
                    int units = in.readUnsignedByte();
                    if (units < 1 || units > PartitionState.MAX_BATCHES_PER_PRODUCER) {
                        throw new IOException(file + ": producer " + id + " has " + units + " units (1.."
                                + PartitionState.MAX_BATCHES_PER_PRODUCER + ")");
                    }
                    List<PartitionState.BatchMeta> bs = new ArrayList<>(units);
                    for (int u = 0; u < units; u++) {
                        bs.add(new PartitionState.BatchMeta(in.readInt(), in.readInt(), in.readLong(), in.readLong()));
                    }
                    ps.put(id, new PartitionState.ProducerEntry(epoch, last, bs));
                }
                long keyCount = in.readLong();
                if (keyCount < 0 || keyCount > Integer.MAX_VALUE) {
                    throw new IOException(file + " declares " + keyCount + " keys");
                }
                HashMap<PartitionState.Key, Long> keys = new HashMap<>((int) Math.min(keyCount * 4 / 3 + 1, 1 << 24));
                for (long i = 0; i < keyCount; i++) {
                    int len = in.readInt();
                    if (len < 0 || len > (1 << 30)) {
                        throw new IOException(file + ": key " + i + " declares " + len + " bytes");
                    }
                    byte[] k = new byte[len];
                    in.readFully(k);
                    keys.put(new PartitionState.Key(k), in.readLong());
                }
                int expected = (int) crc.getValue();
                int stored = new DataInputStream(raw).readInt();
                if (stored != expected) {
                    throw new IOException(file + " fails its CRC32C (stored 0x" + Integer.toHexString(stored)
                            + ", computed 0x" + Integer.toHexString(expected) + ")");
                }
                if (raw.read() >= 0) {
                    throw new IOException(file + " has bytes after its CRC");
                }
                return new PartitionState(ps, keys, clockMs, lastSweepMs);
            } catch (EOFException e) {
                throw new IOException(file + " is truncated", e);
            }
        }
    }
}
