package io.tributary.client.admin;

import java.util.List;

/**
 * A topic with its partitions and, when asked for, its effective configuration.
 *
 * <p>Thread-safety: immutable.
 *
 * @param name       topic name
 * @param topicId    its id (UUID text)
 * @param internal   true for the cluster's own topics
 * @param partitions every partition, in partition order
 * @param configs    the effective configuration by key (empty unless asked for)
 */
public record TopicDescription(String name, String topicId, boolean internal, List<PartitionDescription> partitions,
                               List<ConfigEntry> configs) {

    public TopicDescription {
        partitions = List.copyOf(partitions);
        configs = List.copyOf(configs);
    }

    /** Replicas per partition (of partition 0), 0 for a topic without partitions. */
    public int replicationFactor() {
        return partitions.isEmpty() ? 0 : partitions.get(0).replicas().size();
    }
}
