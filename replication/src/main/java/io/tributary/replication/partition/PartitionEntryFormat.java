package io.tributary.replication.partition;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tributary.proto.internal.v1.PartitionAppend;
import io.tributary.proto.internal.v1.PartitionEntryHeader;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;

/**
 * The layout of one partition Raft entry, and the one rule that turns an entry into offsets.
 *
 * <pre>
 * Raft log entry (SMLogEntryProto)
 * +---------------------------------------------+------------------------------------------+
 * | logData: PartitionEntryHeader (protobuf)    | stateMachineData: record batches         |
 * |   version = 1                               |   append 0's batches | append 1's | ...   |
 * |   append_time_ms                            |   (Kafka batch v2, back to back)         |
 * |   appends[i] = {record_count, batch_count,  |   never empty                            |
 * |     size_bytes, expected_end_offset, ...}   |                                          |
 * +---------------------------------------------+------------------------------------------+
 *   kept in the Raft log file (tens of bytes)     written once, into the partition's segment
 * </pre>
 *
 * <p>Versions: 1 — appends with record/batch counts, sizes, expected end offset, leader append
 * time, producer placeholder. A reader accepts {@code [1, CURRENT_VERSION]} and refuses the rest.
 *
 * <p><b>Offset rule</b> ({@link #decide}): starting from the partition's end offset when the
 * entry is written, appends are taken in order; a conditional append whose expected end offset
 * differs from the running end offset is rejected (writes nothing), every other append takes the
 * next {@code record_count} offsets. Every replica applies the same rule to the same sequence of
 * entries from the same anchor, so offsets are identical everywhere.
 *
 * <p><b>Data layouts</b> of the state machine data an entry may arrive with: the original (all
 * appends' bytes, as the leader built it), or compacted (only the accepted appends' bytes, as
 * {@code DataApi.read} serves them back from the segment), or, when no append was accepted, a
 * one-byte placeholder (Ratis must never see empty state machine data).
 *
 * <p>Thread-safety: stateless.
 */
final class PartitionEntryFormat {

    /** 1: the initial header. */
    static final int VERSION_1 = 1;
    static final int CURRENT_VERSION = VERSION_1;

    /** What stands in for the data of an entry none of whose appends was accepted. */
    static final ByteString PLACEHOLDER = ByteString.copyFrom(new byte[] {0});

    private PartitionEntryFormat() {
    }

    /**
     * Where an entry's appends land.
     *
     * @param baseOffset the end offset before the entry
     * @param endOffset the end offset after it
     * @param accepted per append, whether it is written
     * @param offsets per append: its first offset when accepted, the end offset it met when rejected
     */
    record Decision(long baseOffset, long endOffset, boolean[] accepted, long[] offsets) {

        int acceptedCount() {
            int n = 0;
            for (boolean a : accepted) {
                n += a ? 1 : 0;
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

    /** The offset rule (see the class comment). */
    static Decision decide(PartitionEntryHeader h, long endOffset) {
        int n = h.getAppendsCount();
        boolean[] accepted = new boolean[n];
        long[] offsets = new long[n];
        long end = endOffset;
        for (int i = 0; i < n; i++) {
            PartitionAppend a = h.getAppends(i);
            offsets[i] = end;
            if (a.getExpectedEndOffset() >= 0 && a.getExpectedEndOffset() != end) {
                accepted[i] = false;
            } else {
                accepted[i] = true;
                end += a.getRecordCount();
            }
        }
        return new Decision(endOffset, end, accepted, offsets);
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
            if (d.accepted()[i]) {
                total += h.getAppends(i).getSizeBytes();
            }
        }
        return total;
    }
}
