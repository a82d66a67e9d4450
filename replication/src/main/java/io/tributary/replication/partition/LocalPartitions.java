package io.tributary.replication.partition;

import io.tributary.replication.BrokerInfo;
import io.tributary.replication.PartitionReplica;
import io.tributary.replication.TopicPartition;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The partition replicas this broker hosts: what the controller's reconciler calls on each broker
 * to create, change and remove partition Raft groups. Thread-safe.
 */
public interface LocalPartitions {

    /**
     * Makes this broker host a replica of {@code tp}: adds the partition's Raft group to the local
     * Raft server (with {@code replicas} as its initial configuration) if it is not hosted yet,
     * otherwise applies {@code topicConfigs} to its log. Idempotent. Does not change the group's
     * membership (see {@link #changeReplicas}).
     *
     * @param topicConfigs the topic's own settings (overrides of the broker defaults)
     * @throws io.tributary.replication.ReplicationException when the group cannot be created
     */
    default void ensureReplica(TopicPartition tp, String topicId, List<BrokerInfo> replicas,
                               Map<String, String> topicConfigs) {
        ensureReplica(tp, topicId, replicas, topicConfigs, false);
    }

    /**
     * As {@link #ensureReplica(TopicPartition, String, List, Map)}; with {@code joinExisting} a group
     * not hosted yet is added with no peers: the replica waits for the group's leader to add it
     * ({@link #changeReplicas}) and send it the log, instead of campaigning in a configuration the
     * group has not committed (Ratis shuts a candidate down when a voter answers that it is not
     * in the configuration, and the leader's staging of the new member then never completes).
     */
    void ensureReplica(TopicPartition tp, String topicId, List<BrokerInfo> replicas, Map<String, String> topicConfigs,
                       boolean joinExisting);

    /**
     * Stops hosting the replica: removes the group from the local Raft server; with
     * {@code deleteData} also its Raft storage and partition log. Idempotent.
     */
    void removeReplica(TopicPartition tp, boolean deleteData);

    Set<TopicPartition> hosted();

    Optional<PartitionReplica> replica(TopicPartition tp);

    /**
     * Changes the group's voters to {@code replicas} (Raft membership change: new members catch
     * up first). Must be called on the partition's leader; fails with
     * {@link io.tributary.replication.NotLeaderException} elsewhere.
     */
    CompletableFuture<Void> changeReplicas(TopicPartition tp, List<BrokerInfo> replicas);

    /** Moves leadership to {@code toBrokerId} (must be called on the leader). */
    CompletableFuture<Void> transferLeadership(TopicPartition tp, int toBrokerId);

    /** The state of every hosted replica, for the controller. */
    Map<TopicPartition, ReplicaReport> report();
}
