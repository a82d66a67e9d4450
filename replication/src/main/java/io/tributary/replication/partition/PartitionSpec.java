package io.tributary.replication.partition;

import io.tributary.log.LogConfig;
import io.tributary.replication.TopicPartition;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Objects;

/**
 * What a partition replica is: its partition, the topic's id (a re-created topic is a new
 * group), its log directory and its log settings.
 */
record PartitionSpec(TopicPartition topicPartition, String topicId, Path logDir, LogConfig config) {

    /**
     * The file in a partition's log directory that names the topic id the directory belongs to
     * ({@code topic.id=<id>}), so a directory left by an earlier topic of the same name is
     * recognised and moved aside.
     */
    static final String MARKER_FILE = "partition.metadata";

    PartitionSpec {
        Objects.requireNonNull(topicPartition, "topicPartition");
        Objects.requireNonNull(topicId, "topicId");
        Objects.requireNonNull(logDir, "logDir");
        Objects.requireNonNull(config, "config");
    }

    /** The marker's content for this spec's topic. */
    static String markerContent(String topicId) {
        return "topic.id=" + topicId + "\n";
    }

    /** (Re)writes the marker file of {@code logDir} (atomically). */
    static void writeMarker(Path logDir, String topicId) throws IOException {
        Path tmp = logDir.resolve(MARKER_FILE + ".tmp");
        Files.writeString(tmp, markerContent(topicId));
        Files.move(tmp, logDir.resolve(MARKER_FILE), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
    }
}
