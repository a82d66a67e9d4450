package io.tributary.replication.partition;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tributary.proto.internal.v1.PartitionAppend;
import io.tributary.proto.internal.v1.PartitionAppendOutcome;
import io.tributary.proto.internal.v1.PartitionEntryHeader;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;

/**
 * The layout of one partition Raft entry, and how its appends are decided.
 *
 * <pre>
 * Raft log entry (SMLogEntryProto)
 * +---------------------------------------------+------------------------------------------+
 * | logData: PartitionEntryHeader (protobuf)    | stateMachineData: record batches         |
 * |   version = 2                               |   append 0's batches | append 1's | ...   |
 * |   append_time_ms, producer_id_expiration_ms |   (Kafka batch v2, back to back)         |
 * |   appends[i] = {record_count, batch_count,  |   never empty                            |
 * |     size_bytes, expected_end_offset,        |                                          |
 * |     producer_id, producer_epoch,            |                                          |
 * |     base_sequence, key_conditions[]}        |                                          |
 * +---------------------------------------------+------------------------------------------+
 *   kept in the Raft log file (tens of bytes,     written once, into the partition's segment
 *   plus the keys of key conditions)
 * </pre>
 *
 * <p>Versions (comment every new one): 1 — appends with record/batch counts, sizes, expected end
 * offset, leader append time, producer placeholder (not checked). 2 — producer fields checked
 * (idempotence), key conditions, the leader's producer id expiry. A reader accepts
 * {@code [1, CURRENT_VERSION]} and refuses the rest. See replication/FORMAT.md.
 *
 * <p><b>Decision rule</b> ({@link PartitionState#decide}): starting from the partition's end
 * offset when the entry is written, appends are taken in order; each is checked (duplicate and
 * sequence, then the partition condition, then key conditions) against the state left by the
 * previous ones; an append that passes takes the next {@code record_count} offsets, any other
 * writes nothing. Every replica applies the same rule to the same sequence of entries from the
 * same snapshot, so offsets and outcomes are identical everywhere.
 *
 * <p><b>Data layouts</b> of the state machine data an entry may arrive with: the original (all
 * appends' bytes, as the leader built it), or compacted (only the appended appends' bytes, as
 * {@code DataApi.read} serves them back from the segment), or, when nothing was appended, a
 * one-byte placeholder (Ratis must never see empty state machine data).
 *
 * <p>Thread-safety: stateless.
 */
final class PartitionEntryFormat {

    /** 1: the initial header. */
    static final int VERSION_1 = 1;
    /** 2: producer fields checked (idempotence), key conditions, producer_id_expiration_ms. */
    static final int VERSION_2 = 2;
    static final int CURRENT_VERSION = VERSION_2;

    /** What stands in for the data of an entry none of whose appends was accepted. */
    static final ByteString PLACEHOLDER = ByteString.copyFrom(new byte[] {0});

    private PartitionEntryFormat() {
    }

    /**
     * What became of an entry's appends.
     *
     * @param baseOffset the end offset before the entry
     * @param endOffset the end offset after it
     * @param outcomes per append
     * @param offsets per append: its first offset when appended or a duplicate (the original's);
     *     the end offset it met for a failed partition condition; the key's last offset (-1: none)
     *     for a failed key condition; the end offset otherwise
     * @param lastOffsets per append: its last offset when appended or a duplicate, else -1
     * @param details per append: the expected sequence (out of order), the producer's last
     *     sequence (old duplicate), its current epoch (fenced), the failed key condition's index
     */
    record Decision(long baseOffset, long endOffset, PartitionAppendOutcome[] outcomes, long[] offsets,
                    long[] lastOffsets, long[] details) {

        /** Whether append {@code i} is written. */
        boolean accepted(int i) {
            return outcomes[i] == PartitionAppendOutcome.APPENDED;
        }

        int acceptedCount() {
            int n = 0;
            for (PartitionAppendOutcome o : outcomes) {
                n += o == PartitionAppendOutcome.APPENDED ? 1 : 0;
            }
            return n;
        }
    }

    static PartitionEntryHeader parse(ByteString logData) {
        PartitionEntryHeader h;
        try {
            h = PartitionEntryHeader.parseFrom(logData.asReadOnlyByteBuffer());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("unreadable partition entry header (" + logData.size() + " bytes): "
                    + e.getMessage(), e);
        }
        if (h.getVersion() < VERSION_1 || h.getVersion() > CURRENT_VERSION) {
            throw new IllegalStateException("partition entry header version " + h.getVersion()
                    + " is not in the range this broker reads [" + VERSION_1 + ", " + CURRENT_VERSION
                    + "]; upgrade the broker");
        }
        if (h.getAppendsCount() == 0) {
            throw new IllegalStateException("partition entry header has no append");
        }
        return h;
    }

    static ByteString encode(PartitionEntryHeader header) {
        return ByteString.copyFrom(header.toByteArray());
    }

    static long totalBytes(PartitionEntryHeader h) {
        long total = 0;
        for (PartitionAppend a : h.getAppendsList()) {
            total += a.getSizeBytes();
        }
        return total;
    }

    static long acceptedBytes(PartitionEntryHeader h, Decision d) {
        long total = 0;
        for (int i = 0; i < h.getAppendsCount(); i++) {
            if (d.accepted(i)) {
                total += h.getAppends(i).getSizeBytes();
            }
        }
        return total;
    }
}
