package io.tributary.replication.partition;

import java.util.List;

/**
 * One hosted replica as its broker reports it to the controller (in heartbeats).
 *
 * @param topicId the topic id of the replica's group
 * @param leaderId the Raft leader's broker id, or -1 when none is known
 * @param term the current Raft term (leader epoch)
 * @param isLeader whether this broker leads the partition
 * @param replicas the brokers in the group's Raft configuration
 * @param inSyncReplicas (leader only) replicas whose Raft log reached the leader's commit index;
 *     elsewhere empty
 * @param logStartOffset first readable offset
 * @param logEndOffset end of the local log
 * @param highWatermark end of the committed (applied) records
 * @param sizeInBytes bytes of the local log
 * @param commitIndex Raft commit index of this replica
 */
public record ReplicaReport(String topicId, int leaderId, long term, boolean isLeader, List<Integer> replicas,
                            List<Integer> inSyncReplicas, long logStartOffset, long logEndOffset, long highWatermark,
                            long sizeInBytes, long commitIndex) {

    public ReplicaReport {
        replicas = List.copyOf(replicas);
        inSyncReplicas = List.copyOf(inSyncReplicas);
    }
}
