package io.tributary.it;

import io.tributary.record.RecordBatch;

/** A batch the cluster acknowledged: where it must be found, and what was sent. */
public record Acked(TopicPartition tp, long offset, RecordBatch batch) {

    /** The offset after the batch's last record. */
    public long nextOffset() {
        return offset + batch.lastOffsetDelta() + 1;
    }
}
