package io.tributary.replication;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Topic administration through the metadata quorum. Every operation is a command committed to
 * the metadata Raft group (whichever broker it is called on); the controller then creates,
 * changes or removes the partition Raft groups. Futures complete once the change is committed
 * (not when every partition group exists); they fail with the {@link ReplicationException}
 * subclasses that say what was wrong. Thread-safe.
 */
public interface TopicAdmin {

    /**
     * Creates a topic; the controller places replicas on live brokers, spreading replicas and
     * preferred leaders evenly.
     *
     * @param partitions number of partitions, or -1 for the broker default
     * @param replicationFactor replicas per partition, or -1 for the broker default
     * @param configs topic settings overriding the broker defaults (validated)
     * @param validateOnly check everything, change nothing
     */
    CompletableFuture<TopicInfo> createTopic(String name, int partitions, int replicationFactor,
                                             Map<String, String> configs, boolean validateOnly);

    /** Deletes a topic and, through the controller, its partition groups and data. */
    CompletableFuture<Void> deleteTopic(String name);

    /** Sets and removes topic settings; they take effect on every replica. */
    CompletableFuture<TopicInfo> alterTopicConfig(String name, Map<String, String> set, Set<String> remove);

    /** Grows a topic to {@code totalPartitions} partitions. */
    CompletableFuture<TopicInfo> createPartitions(String name, int totalPartitions);

    /** Allocates a new producer id (idempotent producers). */
    CompletableFuture<Long> allocateProducerId();
}
