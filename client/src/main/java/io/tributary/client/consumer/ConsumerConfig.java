package io.tributary.client.consumer;

import io.tributary.client.ClientConfig;
import io.tributary.client.ConfigDef;
import io.tributary.client.errors.ConfigException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The settings of a {@link Consumer}: the common keys of {@link ClientConfig} plus these (defaults
 * in brackets):
 * <ul>
 *   <li>{@value #GROUP_ID} [none]: the consumer group. Required for {@code subscribe} and for
 *       committing; without it the consumer only {@code assign}s and positions come from
 *       {@value #AUTO_OFFSET_RESET} or {@code seek}.
 *   <li>{@value #AUTO_OFFSET_RESET} [latest]: where to start a partition that has no committed
 *       offset, or whose position fell out of the log's range (retention deleted it):
 *       {@code earliest}, {@code latest}, or {@code none} (poll then throws
 *       {@link NoOffsetForPartitionException} or an {@code OffsetOutOfRangeException}).
 *   <li>{@value #ENABLE_AUTO_COMMIT} [true when {@value #GROUP_ID} is set]: commit the positions
 *       every {@value #AUTO_COMMIT_INTERVAL_MS} from {@code poll}, before partitions are revoked,
 *       and on {@code close}.
 *   <li>{@value #AUTO_COMMIT_INTERVAL_MS} [5000].
 *   <li>{@value #MAX_POLL_RECORDS} [500]: the most records one {@code poll} returns.
 *   <li>{@value #FETCH_MAX_BYTES} [1048576]: the most bytes of records per message of a
 *       subscription (the broker always sends the first batch whole, even when larger).
 *   <li>{@value #MAX_BUFFERED_BYTES} [33554432]: the bytes of fetched, not yet polled records the
 *       consumer holds across all partitions. It asks a broker for its next message only while
 *       below this bound, so memory stays under it plus one message per broker in flight.
 *   <li>{@value #SESSION_TIMEOUT_MS} [0 = the broker's default], {@value #REBALANCE_TIMEOUT_MS}
 *       [0 = the broker's default], {@value #GROUP_ASSIGNOR} ["" = the broker's default;
 *       range, round-robin or sticky]: sent with JoinGroup.
 *   <li>{@value #MAX_POLL_INTERVAL_MS} [300000]: a group member whose application does not call
 *       {@code poll} for this long leaves the group, so its partitions go to members that work; its
 *       next {@code poll} reports them lost and joins again (Kafka's setting of the same name).
 *   <li>{@value #DEFAULT_API_TIMEOUT_MS} [60000]: the longest a blocking call without a timeout
 *       argument ({@code commitSync}, {@code committed}, {@code position}, offsets look-ups,
 *       {@code close}) waits.
 * </ul>
 *
 * <p>Thread-safety: immutable.
 */
public final class ConsumerConfig extends ClientConfig {

    public static final String GROUP_ID = "group.id";
    public static final String AUTO_OFFSET_RESET = "auto.offset.reset";
    public static final String AUTO_OFFSET_RESET_DEFAULT = "latest";
    public static final String ENABLE_AUTO_COMMIT = "enable.auto.commit";
    public static final String AUTO_COMMIT_INTERVAL_MS = "auto.commit.interval.ms";
    public static final long AUTO_COMMIT_INTERVAL_MS_DEFAULT = 5_000;
    public static final String MAX_POLL_RECORDS = "max.poll.records";
    public static final int MAX_POLL_RECORDS_DEFAULT = 500;
    public static final String FETCH_MAX_BYTES = "fetch.max.bytes";
    public static final int FETCH_MAX_BYTES_DEFAULT = 1024 * 1024;
    public static final String MAX_BUFFERED_BYTES = "max.buffered.bytes";
    public static final long MAX_BUFFERED_BYTES_DEFAULT = 32L * 1024 * 1024;
    public static final String SESSION_TIMEOUT_MS = "session.timeout.ms";
    public static final String REBALANCE_TIMEOUT_MS = "rebalance.timeout.ms";
    public static final String GROUP_ASSIGNOR = "group.assignor";
    public static final String MAX_POLL_INTERVAL_MS = "max.poll.interval.ms";
    public static final long MAX_POLL_INTERVAL_MS_DEFAULT = 300_000;
    public static final String DEFAULT_API_TIMEOUT_MS = "default.api.timeout.ms";
    public static final long DEFAULT_API_TIMEOUT_MS_DEFAULT = 60_000;

    /** Where a partition without a usable position starts. */
    public enum OffsetReset {
        /** The log start offset. */
        EARLIEST,
        /** The high watermark: only records written from now on. */
        LATEST,
        /** No automatic reset: {@code poll} throws. */
        NONE
    }

    static final ConfigDef DEF = ClientConfig.commonDef()
            .define(GROUP_ID, ConfigDef.Type.STRING, null, (k, v) -> {
                String s = (String) v;
                if (s.isEmpty() || s.length() > 255) {
                    throw new ConfigException("invalid value '" + s + "' for configuration " + k
                            + ": a group id has 1..255 characters");
                }
            }, "the consumer group (required to subscribe or commit)")
            .define(AUTO_OFFSET_RESET, ConfigDef.Type.STRING, AUTO_OFFSET_RESET_DEFAULT,
                    ConfigDef.oneOf("earliest", "latest", "none"),
                    "where a partition without a committed or valid position starts: earliest, latest or none")
            .define(ENABLE_AUTO_COMMIT, ConfigDef.Type.BOOLEAN, null,
                    "commit positions periodically, before revocation and on close (default: true with a group.id)")
            .define(AUTO_COMMIT_INTERVAL_MS, ConfigDef.Type.LONG, AUTO_COMMIT_INTERVAL_MS_DEFAULT,
                    ConfigDef.between(1, 86_400_000), "how often positions are auto-committed, in ms")
            .define(MAX_POLL_RECORDS, ConfigDef.Type.INT, MAX_POLL_RECORDS_DEFAULT,
                    ConfigDef.between(1, 1_000_000), "the most records one poll returns")
            .define(FETCH_MAX_BYTES, ConfigDef.Type.INT, FETCH_MAX_BYTES_DEFAULT,
                    ConfigDef.between(1024, 64 * 1024 * 1024), "the most bytes of records per subscription message")
            .define(MAX_BUFFERED_BYTES, ConfigDef.Type.LONG, MAX_BUFFERED_BYTES_DEFAULT, ConfigDef.atLeast(1024),
                    "the bytes of fetched records held across all partitions before the consumer stops asking")
            .define(SESSION_TIMEOUT_MS, ConfigDef.Type.INT, 0, ConfigDef.between(0, 3_600_000),
                    "the group session timeout in ms, 0 for the broker's default")
            .define(REBALANCE_TIMEOUT_MS, ConfigDef.Type.INT, 0, ConfigDef.between(0, 3_600_000),
                    "the time to give up revoked partitions in ms, 0 for the broker's default")
            .define(GROUP_ASSIGNOR, ConfigDef.Type.STRING, "", ConfigDef.oneOf("", "range", "round-robin", "sticky"),
                    "the assignment strategy: range, round-robin or sticky; empty for the broker's default")
            .define(MAX_POLL_INTERVAL_MS, ConfigDef.Type.LONG, MAX_POLL_INTERVAL_MS_DEFAULT,
                    ConfigDef.between(1, 86_400_000),
                    "a member that does not poll for this long leaves its group (and joins again at its next poll), in ms")
            .define(DEFAULT_API_TIMEOUT_MS, ConfigDef.Type.LONG, DEFAULT_API_TIMEOUT_MS_DEFAULT,
                    ConfigDef.between(1, 3_600_000), "the longest a blocking call without a timeout waits, in ms");

    public ConsumerConfig(Map<String, ?> props) {
        super(DEF, props);
        Boolean autoCommit = (Boolean) get(ENABLE_AUTO_COMMIT);
        if (Boolean.TRUE.equals(autoCommit) && groupId() == null) {
            throw new ConfigException(ENABLE_AUTO_COMMIT + "=true needs a " + GROUP_ID);
        }
    }

    public ConsumerConfig(Properties props) {
        this(toMap(props));
    }

    /** The keys this config accepts. */
    public static ConfigDef configDef() {
        return new ConfigDef().defineAll(DEF);
    }

    /** The group id, or null when none is set. */
    public String groupId() {
        return (String) get(GROUP_ID);
    }

    public OffsetReset autoOffsetReset() {
        return OffsetReset.valueOf(getString(AUTO_OFFSET_RESET).toUpperCase(Locale.ROOT));
    }

    /** Whether positions are auto-committed: the key if set, else true exactly when a group id is set. */
    public boolean autoCommit() {
        Boolean b = (Boolean) get(ENABLE_AUTO_COMMIT);
        return b != null ? b : groupId() != null;
    }

    public Duration autoCommitInterval() {
        return Duration.ofMillis(getLong(AUTO_COMMIT_INTERVAL_MS));
    }

    public int maxPollRecords() {
        return getInt(MAX_POLL_RECORDS);
    }

    public int fetchMaxBytes() {
        return getInt(FETCH_MAX_BYTES);
    }

    public long maxBufferedBytes() {
        return getLong(MAX_BUFFERED_BYTES);
    }

    public Duration maxPollInterval() {
        return Duration.ofMillis(getLong(MAX_POLL_INTERVAL_MS));
    }

    public Duration defaultApiTimeout() {
        return Duration.ofMillis(getLong(DEFAULT_API_TIMEOUT_MS));
    }
}
