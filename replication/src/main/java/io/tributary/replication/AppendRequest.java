package io.tributary.replication;

import java.nio.ByteBuffer;

/**
 * One append to a partition: whole record batches (Kafka batch v2) back to back, validated by
 * the broker, appended atomically at consecutive offsets.
 *
 * @param batches the batches; not modified, not retained after the future completes
 * @param acksAll true: complete when a majority of replicas has the entry (committed); false:
 *     complete once the leader has accepted it into its Raft log
 * @param expectedEndOffset conditional append: append only if the partition's end offset equals
 *     this; -1 for none
 * @param timeoutMs how long the caller waits for replication before the future fails with a timeout
 */
public record AppendRequest(ByteBuffer batches, boolean acksAll, long expectedEndOffset, long timeoutMs) {

    public static AppendRequest of(ByteBuffer batches) {
        return new AppendRequest(batches, true, -1, 30_000);
    }
}
