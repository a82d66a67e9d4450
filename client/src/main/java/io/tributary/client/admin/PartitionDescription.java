package io.tributary.client.admin;

import io.tributary.client.errors.TributaryException;
import java.util.List;

/**
 * One partition of a described topic.
 *
 * <p>Thread-safety: immutable.
 *
 * @param partition      partition index
 * @param leaderId       the leader's broker id, -1 when there is none
 * @param leaderEpoch    the leader's epoch (Raft term of the partition's group)
 * @param replicas       broker ids of all replicas, leader included
 * @param inSyncReplicas broker ids of the replicas the leader considers caught up, leader included
 * @param logStartOffset the first offset still in the log, -1 when unknown
 * @param highWatermark  the offset after the last committed record, -1 when unknown
 * @param error          why the offsets are unknown (e.g. no leader), null when they are known
 */
public record PartitionDescription(int partition, int leaderId, int leaderEpoch, List<Integer> replicas,
                                   List<Integer> inSyncReplicas, long logStartOffset, long highWatermark,
                                   TributaryException error) {

    public PartitionDescription {
        replicas = List.copyOf(replicas);
        inSyncReplicas = List.copyOf(inSyncReplicas);
    }
}
