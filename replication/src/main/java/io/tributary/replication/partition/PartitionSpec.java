package io.tributary.replication.partition;

import io.tributary.log.LogConfig;
import io.tributary.replication.TopicPartition;

import java.nio.file.Path;
import java.util.Objects;

/**
 * What a partition replica is: its partition, the topic's id (a re-created topic is a new
 * group), its log directory and its log settings.
 */
record PartitionSpec(TopicPartition topicPartition, String topicId, Path logDir, LogConfig config) {

    PartitionSpec {
        Objects.requireNonNull(topicPartition, "topicPartition");
        Objects.requireNonNull(topicId, "topicId");
        Objects.requireNonNull(logDir, "logDir");
        Objects.requireNonNull(config, "config");
    }
}
