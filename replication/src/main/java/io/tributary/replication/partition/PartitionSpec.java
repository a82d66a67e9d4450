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
 * group), its log directory, its log settings and the replication-level topic settings
 * ({@value #PRODUCER_ID_EXPIRATION_MS}).
 */
record PartitionSpec(TopicPartition topicPartition, String topicId, Path logDir, LogConfig config,
                     long producerIdExpirationMs) {

    /**
     * Topic config: a producer id with no append to a partition for this long is forgotten by the
     * partition (its next batch must start a new sequence: UNKNOWN_PRODUCER_ID otherwise). Decided
     * with the leader's value and clock stamped into each Raft entry (see {@link PartitionState}).
     */
    static final String PRODUCER_ID_EXPIRATION_MS = "producer.id.expiration.ms";
    /** Kafka's default: one day. */
    static final long PRODUCER_ID_EXPIRATION_MS_DEFAULT = PartitionState.DEFAULT_PRODUCER_ID_EXPIRATION_MS;

    PartitionSpec(TopicPartition topicPartition, String topicId, Path logDir, LogConfig config) {
        this(topicPartition, topicId, logDir, config, PRODUCER_ID_EXPIRATION_MS_DEFAULT);
    }

    /**
     * The {@value #PRODUCER_ID_EXPIRATION_MS} of a topic's config overrides, or the default.
     *
     * @throws IllegalArgumentException naming the key when the value is not a positive integer
     */
    static long producerIdExpirationMs(java.util.Map<String, String> topicConfigs) {
        return producerIdExpirationMs(topicConfigs, PRODUCER_ID_EXPIRATION_MS_DEFAULT);
    }

    /**
     * The {@value #PRODUCER_ID_EXPIRATION_MS} of a topic's config overrides, or
     * {@code brokerDefaultMs} (the broker's {@code producer.id.expiration.ms}) when it sets none.
     *
     * @throws IllegalArgumentException naming the key when the value is not a positive integer
     */
    static long producerIdExpirationMs(java.util.Map<String, String> topicConfigs, long brokerDefaultMs) {
        String v = topicConfigs.get(PRODUCER_ID_EXPIRATION_MS);
        if (v == null) {
            return brokerDefaultMs;
        }
        long ms;
        try {
            ms = Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PRODUCER_ID_EXPIRATION_MS + "=" + v + " is not a number of ms");
        }
        if (ms < 1) {
            throw new IllegalArgumentException(PRODUCER_ID_EXPIRATION_MS + "=" + v + " must be at least 1 ms");
        }
        return ms;
    }

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
