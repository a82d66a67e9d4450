package io.tributary.replication;

import java.util.List;
import java.util.Map;

/**
 * A topic in the cluster metadata.
 *
 * @param name the topic name
 * @param topicId a UUID string, new for every creation of a name
 * @param configs the topic's own settings (overrides of the broker defaults), by key
 * @param partitions its partitions by number, from 0
 */
public record TopicInfo(String name, String topicId, Map<String, String> configs, List<PartitionInfo> partitions) {

    public TopicInfo {
        configs = Map.copyOf(configs);
        partitions = List.copyOf(partitions);
    }
}
