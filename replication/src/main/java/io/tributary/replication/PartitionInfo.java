package io.tributary.replication;

import java.util.List;

/**
 * A partition's placement and leadership, as the cluster metadata view holds it.
 *
 * @param partition the partition number
 * @param replicas broker ids of its replicas, the preferred leader first
 * @param leaderId broker id of the current Raft leader, or -1 when none is known
 * @param leaderEpoch the Raft term of that leader (the leader epoch stamped into batches), or -1
 * @param inSyncReplicas replicas whose Raft log is caught up with the leader's commit index
 */
public record PartitionInfo(int partition, List<Integer> replicas, int leaderId, long leaderEpoch,
                            List<Integer> inSyncReplicas) {

    public PartitionInfo {
        replicas = List.copyOf(replicas);
        inSyncReplicas = List.copyOf(inSyncReplicas);
    }

    public boolean hasLeader() {
        return leaderId >= 0;
    }

    public boolean isUnderReplicated() {
        return inSyncReplicas.size() < replicas.size();
    }
}
