package io.tributary.broker.internal.group;

/**
 * The group coordinator's settings (the {@code group.*} broker keys, parsed and range-checked by
 * {@link io.tributary.broker.BrokerConfig}).
 *
 * @param offsetsTopicPartitions partitions of {@code __consumer_offsets} when this broker creates it
 * @param offsetsTopicReplicationFactor its replication factor, capped at the live brokers
 * @param sessionTimeoutMs a member's session timeout when its JoinGroup gives 0
 * @param minSessionTimeoutMs the smallest session timeout a member may ask for
 * @param maxSessionTimeoutMs the largest session timeout a member may ask for
 * @param rebalanceTimeoutMs a member's rebalance timeout when its JoinGroup gives 0
 * @param heartbeatIntervalMs the heartbeat interval given to members of a stable group
 * @param assignor the assignor of members that do not name one
 * @param offsetMetadataMaxBytes the largest metadata string of a committed offset, in UTF-8 bytes
 * @param offsetsRetentionMs a group without members, and with no commit, for this long is deleted
 *     with its committed offsets (Kafka's {@code offsets.retention.minutes})
 * @param offsetsRetentionCheckIntervalMs how often the coordinator looks for such groups
 *
 * <p>Thread-safety: immutable.
 */
public record GroupConfig(int offsetsTopicPartitions, int offsetsTopicReplicationFactor, int sessionTimeoutMs,
                          int minSessionTimeoutMs, int maxSessionTimeoutMs, int rebalanceTimeoutMs,
                          int heartbeatIntervalMs, String assignor, int offsetMetadataMaxBytes,
                          long offsetsRetentionMs, long offsetsRetentionCheckIntervalMs) {

    public static final int OFFSETS_TOPIC_PARTITIONS_DEFAULT = 8;
    public static final int OFFSETS_TOPIC_REPLICATION_FACTOR_DEFAULT = 3;
    public static final int SESSION_TIMEOUT_MS_DEFAULT = 45_000;
    public static final int MIN_SESSION_TIMEOUT_MS_DEFAULT = 6_000;
    public static final int MAX_SESSION_TIMEOUT_MS_DEFAULT = 300_000;
    public static final int REBALANCE_TIMEOUT_MS_DEFAULT = 60_000;
    public static final int HEARTBEAT_INTERVAL_MS_DEFAULT = 3_000;
    public static final String ASSIGNOR_DEFAULT = Assignors.STICKY;
    public static final int OFFSET_METADATA_MAX_BYTES_DEFAULT = 4096;
    /** Kafka's default: 7 days. */
    public static final long OFFSETS_RETENTION_MS_DEFAULT = 7L * 24 * 60 * 60 * 1000;
    /** Kafka's {@code offsets.retention.check.interval.ms} default: 10 minutes. */
    public static final long OFFSETS_RETENTION_CHECK_INTERVAL_MS_DEFAULT = 600_000;

    public GroupConfig {
        if (minSessionTimeoutMs > maxSessionTimeoutMs) {
            throw new IllegalArgumentException("min session timeout " + minSessionTimeoutMs
                    + " ms exceeds the max " + maxSessionTimeoutMs + " ms");
        }
        if (sessionTimeoutMs < minSessionTimeoutMs || sessionTimeoutMs > maxSessionTimeoutMs) {
            throw new IllegalArgumentException("session timeout " + sessionTimeoutMs + " ms is outside "
                    + minSessionTimeoutMs + ".." + maxSessionTimeoutMs + " ms");
        }
        if (Assignors.byName(assignor) == null) {
            throw new IllegalArgumentException("unknown assignor '" + assignor + "': use one of " + Assignors.NAMES);
        }
        if (offsetsRetentionMs < 1 || offsetsRetentionCheckIntervalMs < 1) {
            throw new IllegalArgumentException("offsets retention " + offsetsRetentionMs + " ms and its check interval "
                    + offsetsRetentionCheckIntervalMs + " ms must be at least 1");
        }
    }

    /** Every default. */
    public static GroupConfig defaults() {
        return new GroupConfig(OFFSETS_TOPIC_PARTITIONS_DEFAULT, OFFSETS_TOPIC_REPLICATION_FACTOR_DEFAULT,
                SESSION_TIMEOUT_MS_DEFAULT, MIN_SESSION_TIMEOUT_MS_DEFAULT, MAX_SESSION_TIMEOUT_MS_DEFAULT,
                REBALANCE_TIMEOUT_MS_DEFAULT, HEARTBEAT_INTERVAL_MS_DEFAULT, ASSIGNOR_DEFAULT,
                OFFSET_METADATA_MAX_BYTES_DEFAULT, OFFSETS_RETENTION_MS_DEFAULT,
                OFFSETS_RETENTION_CHECK_INTERVAL_MS_DEFAULT);
    }
}
