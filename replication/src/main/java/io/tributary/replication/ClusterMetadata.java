package io.tributary.replication;

import java.util.Map;
import java.util.Optional;

/**
 * An immutable snapshot of the cluster as this broker sees it: brokers, topics, placement and
 * the last known leaders. Brokers, topics and placement come from the metadata quorum (committed
 * state); leaders and in-sync replicas are the latest reports and may lag by a heartbeat.
 *
 * @param clusterId the cluster's id
 * @param version grows with every change this broker has seen (for caches)
 * @param controllerId the metadata quorum's leader, if known
 * @param brokers registered brokers by id
 * @param topics topics by name
 */
public record ClusterMetadata(String clusterId, long version, Optional<Integer> controllerId,
                              Map<Integer, BrokerInfo> brokers, Map<String, TopicInfo> topics) {

    public ClusterMetadata {
        brokers = Map.copyOf(brokers);
        topics = Map.copyOf(topics);
    }

    public Optional<TopicInfo> topic(String name) {
        return Optional.ofNullable(topics.get(name));
    }

    public Optional<PartitionInfo> partition(TopicPartition tp) {
        TopicInfo t = topics.get(tp.topic());
        if (t == null || tp.partition() >= t.partitions().size()) {
            return Optional.empty();
        }
        return Optional.of(t.partitions().get(tp.partition()));
    }

    public Optional<BrokerInfo> broker(int id) {
        return Optional.ofNullable(brokers.get(id));
    }
}
