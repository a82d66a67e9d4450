package io.tributary.broker.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.tributary.log.LogReadResult;
import io.tributary.proto.v1.PartitionRecords;
import io.tributary.replication.PartitionReplica;
import io.tributary.replication.TopicPartition;

/**
 * Reads committed batches of one partition for Fetch and Subscribe: from an offset, across
 * segments, up to a byte budget (the first batch is returned whole even when larger, so a reader
 * always progresses), without copying: the buffers the log returns are fresh heap buffers that
 * nothing writes to afterwards, so they are wrapped into the response as they are.
 *
 * <p>Thread-safety: stateless.
 */
final class PartitionReads {

    private PartitionReads() {
    }

    /** What one read produced. */
    record Read(PartitionRecords records, long nextOffset, int bytes, long highWatermark) {
    }

    /**
     * An offset above the high watermark but within the local log is not out of range: it is not
     * known to be committed yet, and the read returns nothing (the caller waits for the high
     * watermark). This happens right after a leader change: the new leader holds every committed
     * record, but its high watermark only moves once it has committed an entry of its own term,
     * and a consumer positioned where the old leader's high watermark was must not be told its
     * position is invalid (it would reset it and read again, or skip, by auto.offset.reset).
     *
     * @param budget bytes wanted; when {@code allowFirstBatchOverBudget} the first batch comes
     *     whole even when larger
     * @throws RequestException OFFSET_OUT_OF_RANGE with the valid range: below the log start, or
     *     above both the high watermark and the end of the local log
     */
    static Read read(PartitionReplica replica, long offset, int budget, boolean allowFirstBatchOverBudget) {
        TopicPartition tp = replica.topicPartition();
        long hw = replica.highWatermark();
        long lso = replica.logStartOffset();
        if (offset < lso || (offset > hw && offset > replica.logEndOffset())) {
            throw new RequestException(ErrorMapper.offsetOutOfRange(tp, offset, lso, hw));
        }
        ByteString records = ByteString.EMPTY;
        int bytes = 0;
        long next = offset;
        while (next < hw && (budget - bytes > 0 || (bytes == 0 && allowFirstBatchOverBudget))) {
            int want = Math.max(budget - bytes, 0);
            LogReadResult r;
            try {
                r = replica.read(next, want);
            } catch (io.tributary.log.OffsetOutOfRangeException e) {
                if (bytes > 0) {
                    break; // retention or a truncation raced with a later piece: serve what we have
                }
                throw new RequestException(ErrorMapper.offsetOutOfRange(tp, e.requestedOffset(), e.logStartOffset(),
                        e.logEndOffset()));
            }
            if (r.isEmpty() || r.nextOffset() <= next) {
                break;
            }
            if (bytes > 0 && r.sizeInBytes() > budget - bytes) {
                break; // only the first batch may exceed the budget
            }
            records = records.concat(UnsafeByteOperations.unsafeWrap(r.records()));
            bytes += r.sizeInBytes();
            next = r.nextOffset();
            lso = Math.min(lso, r.logStartOffset());
        }
        PartitionRecords pr = PartitionRecords.newBuilder().setTopic(tp.topic()).setPartition(tp.partition())
                .setHighWatermark(Math.max(hw, replica.highWatermark())).setLogStartOffset(replica.logStartOffset())
                .setRecords(records).build();
        return new Read(pr, next, bytes, hw);
    }
}
