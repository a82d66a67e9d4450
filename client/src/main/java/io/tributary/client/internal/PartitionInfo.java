package io.tributary.client.internal;

import io.tributary.client.TopicPartition;
import java.util.List;

/**
 * One partition in a metadata snapshot.
 *
 * <p>Thread-safety: immutable.
 *
 * @param topicPartition the partition
 * @param leaderId       the leader's broker id, -1 when there is none
 * @param leaderEpoch    the leader's epoch (Raft term); newer information has a higher epoch
 * @param replicaIds     all replicas' broker ids
 */
public record PartitionInfo(TopicPartition topicPartition, int leaderId, int leaderEpoch, List<Integer> replicaIds) {

    public PartitionInfo {
        replicaIds = List.copyOf(replicaIds);
    }

    public PartitionInfo withLeader(int leaderId, int leaderEpoch) {
        return new PartitionInfo(topicPartition, leaderId, leaderEpoch, replicaIds);
    }
}
