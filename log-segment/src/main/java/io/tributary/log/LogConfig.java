package io.tributary.log;

import static io.tributary.log.ConfigValues.invalid;
import static io.tributary.log.ConfigValues.parseInt;
import static io.tributary.log.ConfigValues.parseLong;
import static io.tributary.log.ConfigValues.require;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Immutable configuration of one partition's log. Keys use Kafka's topic-level names so an
 * operator's knowledge carries over; each key stands beside its default.
 *
 * <p>Built with {@link #builder()}, or from string properties with {@link #fromProperties(Map)}
 * (topic settings override broker defaults by layering maps before calling it). Every value is
 * validated once, in {@link Builder#build()}; an invalid value fails with a message naming the key
 * and the value.
 *
 * <p>Thread-safety: immutable, safe to share.
 */
public final class LogConfig {

    /** Roll the active segment once it would exceed this many bytes. */
    public static final String SEGMENT_BYTES = "segment.bytes";
    public static final int SEGMENT_BYTES_DEFAULT = 1 << 30;

    /** Roll the active segment once its first batch is older than this. */
    public static final String SEGMENT_MS = "segment.ms";
    public static final long SEGMENT_MS_DEFAULT = 7L * 24 * 60 * 60 * 1000;

    /** Preallocated size of each offset and time index file; a full index rolls the segment. */
    public static final String SEGMENT_INDEX_BYTES = "segment.index.bytes";
    public static final int SEGMENT_INDEX_BYTES_DEFAULT = 10 * 1024 * 1024;

    /** Approximate number of log bytes between two index entries. */
    public static final String INDEX_INTERVAL_BYTES = "index.interval.bytes";
    public static final int INDEX_INTERVAL_BYTES_DEFAULT = 4096;

    /** Largest batch the log accepts, in bytes including its 12-byte log overhead. */
    public static final String MAX_MESSAGE_BYTES = "max.message.bytes";
    public static final int MAX_MESSAGE_BYTES_DEFAULT = 1024 * 1024 + 12 + 61;

    /** Delete segments whose newest record is older than this; -1 keeps them forever. */
    public static final String RETENTION_MS = "retention.ms";
    public static final long RETENTION_MS_DEFAULT = 7L * 24 * 60 * 60 * 1000;

    /** Delete the oldest segments while the log is larger than this; -1 means no size limit. */
    public static final String RETENTION_BYTES = "retention.bytes";
    public static final long RETENTION_BYTES_DEFAULT = -1L;

    /** {@code delete}, {@code compact}, or {@code compact,delete}. */
    public static final String CLEANUP_POLICY = "cleanup.policy";
    public static final String CLEANUP_POLICY_DEFAULT = "delete";

    /** How long a tombstone (null value) survives compaction, so slow readers still see it. */
    public static final String DELETE_RETENTION_MS = "delete.retention.ms";
    public static final long DELETE_RETENTION_MS_DEFAULT = 24L * 60 * 60 * 1000;

    /** A segment only becomes eligible for compaction when at least this old. */
    public static final String MIN_COMPACTION_LAG_MS = "min.compaction.lag.ms";
    public static final long MIN_COMPACTION_LAG_MS_DEFAULT = 0L;

    /** Compact when at least this fraction of the log is uncompacted ("dirty"). */
    public static final String MIN_CLEANABLE_DIRTY_RATIO = "min.cleanable.dirty.ratio";
    public static final double MIN_CLEANABLE_DIRTY_RATIO_DEFAULT = 0.5;

    /** {@code CreateTime} keeps producer timestamps; {@code LogAppendTime} stamps the broker clock. */
    public static final String MESSAGE_TIMESTAMP_TYPE = "message.timestamp.type";
    public static final String MESSAGE_TIMESTAMP_TYPE_DEFAULT = "CreateTime";

    /** Verify the CRC of every batch a read returns, so corruption is reported, never served. */
    public static final String READ_VERIFY_CRC = "log.read.verify.crc";
    public static final boolean READ_VERIFY_CRC_DEFAULT = true;

    /** Write the recovery checkpoint at most this often when flushing (it is also written on roll and close). */
    public static final String CHECKPOINT_INTERVAL_MS = "log.checkpoint.interval.ms";
    public static final long CHECKPOINT_INTERVAL_MS_DEFAULT = 60_000L;

    /**
     * ... or once this many bytes have been flushed since the last checkpoint, which bounds what
     * recovery rescans after an unclean stop (the checkpoint costs one small file write and two
     * forces; 64 MiB of log costs far more to rescan).
     */
    public static final String CHECKPOINT_INTERVAL_BYTES = "log.checkpoint.interval.bytes";
    public static final long CHECKPOINT_INTERVAL_BYTES_DEFAULT = 64L * 1024 * 1024;

    /** Which records compaction and retention act on. */
    public enum CleanupPolicy {
        DELETE(true, false), COMPACT(false, true), COMPACT_DELETE(true, true);

        private final boolean delete;
        private final boolean compact;

        CleanupPolicy(boolean delete, boolean compact) {
            this.delete = delete;
            this.compact = compact;
        }

        public boolean deletes() {
            return delete;
        }

        public boolean compacts() {
            return compact;
        }

        static CleanupPolicy parse(String value) {
            String v = value.trim().toLowerCase(Locale.ROOT).replace(" ", "");
            switch (v) {
                case "delete":
                    return DELETE;
                case "compact":
                    return COMPACT;
                case "compact,delete":
                case "delete,compact":
                    return COMPACT_DELETE;
                default:
                    throw new IllegalArgumentException(CLEANUP_POLICY + "=" + value
                            + " is not valid: use delete, compact or compact,delete");
            }
        }
    }

    private final int segmentBytes;
    private final long segmentMs;
    private final int segmentIndexBytes;
    private final int indexIntervalBytes;
    private final int maxMessageBytes;
    private final long retentionMs;
    private final long retentionBytes;
    private final CleanupPolicy cleanupPolicy;
    private final long deleteRetentionMs;
    private final long minCompactionLagMs;
    private final double minCleanableDirtyRatio;
    private final boolean logAppendTime;
    private final boolean readVerifyCrc;
    private final long checkpointIntervalMs;
    private final long checkpointIntervalBytes;

    private LogConfig(Builder b) {
        this.segmentBytes = b.segmentBytes;
        this.segmentMs = b.segmentMs;
        this.segmentIndexBytes = b.segmentIndexBytes;
        this.indexIntervalBytes = b.indexIntervalBytes;
        this.maxMessageBytes = b.maxMessageBytes;
        this.retentionMs = b.retentionMs;
        this.retentionBytes = b.retentionBytes;
        this.cleanupPolicy = b.cleanupPolicy;
        this.deleteRetentionMs = b.deleteRetentionMs;
        this.minCompactionLagMs = b.minCompactionLagMs;
        this.minCleanableDirtyRatio = b.minCleanableDirtyRatio;
        this.logAppendTime = b.logAppendTime;
        this.readVerifyCrc = b.readVerifyCrc;
        this.checkpointIntervalMs = b.checkpointIntervalMs;
        this.checkpointIntervalBytes = b.checkpointIntervalBytes;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The defaults, as Kafka ships them where Kafka has the same key. */
    public static LogConfig defaults() {
        return builder().build();
    }

    /**
     * Parses string properties (unknown keys are ignored, so broker-wide maps can be passed as is).
     *
     * @throws IllegalArgumentException naming the key and value that are not valid
     */
    public static LogConfig fromProperties(Map<String, String> props) {
        Builder b = builder();
        props.forEach((key, value) -> b.set(key, value));
        return b.build();
    }

    public int segmentBytes() {
        return segmentBytes;
    }

    public long segmentMs() {
        return segmentMs;
    }

    public int segmentIndexBytes() {
        return segmentIndexBytes;
    }

    public int indexIntervalBytes() {
        return indexIntervalBytes;
    }

    public int maxMessageBytes() {
        return maxMessageBytes;
    }

    public long retentionMs() {
        return retentionMs;
    }

    public long retentionBytes() {
        return retentionBytes;
    }

    public CleanupPolicy cleanupPolicy() {
        return cleanupPolicy;
    }

    public long deleteRetentionMs() {
        return deleteRetentionMs;
    }

    public long minCompactionLagMs() {
        return minCompactionLagMs;
    }

    public double minCleanableDirtyRatio() {
        return minCleanableDirtyRatio;
    }

    public boolean logAppendTime() {
        return logAppendTime;
    }

    public boolean readVerifyCrc() {
        return readVerifyCrc;
    }

    public long checkpointIntervalMs() {
        return checkpointIntervalMs;
    }

    public long checkpointIntervalBytes() {
        return checkpointIntervalBytes;
    }

    /** A builder preloaded with this config's values. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.segmentBytes = segmentBytes;
        b.segmentMs = segmentMs;
        b.segmentIndexBytes = segmentIndexBytes;
        b.indexIntervalBytes = indexIntervalBytes;
        b.maxMessageBytes = maxMessageBytes;
        b.retentionMs = retentionMs;
        b.retentionBytes = retentionBytes;
        b.cleanupPolicy = cleanupPolicy;
        b.deleteRetentionMs = deleteRetentionMs;
        b.minCompactionLagMs = minCompactionLagMs;
        b.minCleanableDirtyRatio = minCleanableDirtyRatio;
        b.logAppendTime = logAppendTime;
        b.readVerifyCrc = readVerifyCrc;
        b.checkpointIntervalMs = checkpointIntervalMs;
        b.checkpointIntervalBytes = checkpointIntervalBytes;
        return b;
    }

    /** The effective values by key, for logging at start and for describe-config. */
    public Map<String, String> toProperties() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(SEGMENT_BYTES, Integer.toString(segmentBytes));
        m.put(SEGMENT_MS, Long.toString(segmentMs));
        m.put(SEGMENT_INDEX_BYTES, Integer.toString(segmentIndexBytes));
        m.put(INDEX_INTERVAL_BYTES, Integer.toString(indexIntervalBytes));
        m.put(MAX_MESSAGE_BYTES, Integer.toString(maxMessageBytes));
        m.put(RETENTION_MS, Long.toString(retentionMs));
        m.put(RETENTION_BYTES, Long.toString(retentionBytes));
        m.put(CLEANUP_POLICY, cleanupPolicy == CleanupPolicy.COMPACT_DELETE ? "compact,delete"
                : cleanupPolicy.name().toLowerCase(Locale.ROOT));
        m.put(DELETE_RETENTION_MS, Long.toString(deleteRetentionMs));
        m.put(MIN_COMPACTION_LAG_MS, Long.toString(minCompactionLagMs));
        m.put(MIN_CLEANABLE_DIRTY_RATIO, Double.toString(minCleanableDirtyRatio));
        m.put(MESSAGE_TIMESTAMP_TYPE, logAppendTime ? "LogAppendTime" : "CreateTime");
        m.put(READ_VERIFY_CRC, Boolean.toString(readVerifyCrc));
        m.put(CHECKPOINT_INTERVAL_MS, Long.toString(checkpointIntervalMs));
        m.put(CHECKPOINT_INTERVAL_BYTES, Long.toString(checkpointIntervalBytes));
        return m;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LogConfig && ((LogConfig) o).toProperties().equals(toProperties());
    }

    @Override
    public int hashCode() {
        return Objects.hash(toProperties());
    }

    @Override
    public String toString() {
        return "LogConfig" + toProperties();
    }

    /** Mutable builder; {@link #build()} validates. Not thread-safe. */
    public static final class Builder {
        private int segmentBytes = SEGMENT_BYTES_DEFAULT;
        private long segmentMs = SEGMENT_MS_DEFAULT;
        private int segmentIndexBytes = SEGMENT_INDEX_BYTES_DEFAULT;
        private int indexIntervalBytes = INDEX_INTERVAL_BYTES_DEFAULT;
        private int maxMessageBytes = MAX_MESSAGE_BYTES_DEFAULT;
        private long retentionMs = RETENTION_MS_DEFAULT;
        private long retentionBytes = RETENTION_BYTES_DEFAULT;
        private CleanupPolicy cleanupPolicy = CleanupPolicy.DELETE;
        private long deleteRetentionMs = DELETE_RETENTION_MS_DEFAULT;
        private long minCompactionLagMs = MIN_COMPACTION_LAG_MS_DEFAULT;
        private double minCleanableDirtyRatio = MIN_CLEANABLE_DIRTY_RATIO_DEFAULT;
        private boolean logAppendTime = false;
        private boolean readVerifyCrc = READ_VERIFY_CRC_DEFAULT;
        private long checkpointIntervalMs = CHECKPOINT_INTERVAL_MS_DEFAULT;
        private long checkpointIntervalBytes = CHECKPOINT_INTERVAL_BYTES_DEFAULT;

        private Builder() {
        }

        public Builder segmentBytes(int v) {
            segmentBytes = v;
            return this;
        }

        public Builder segmentMs(long v) {
            segmentMs = v;
            return this;
        }

        public Builder segmentIndexBytes(int v) {
            segmentIndexBytes = v;
            return this;
        }

        public Builder indexIntervalBytes(int v) {
            indexIntervalBytes = v;
            return this;
        }

        public Builder maxMessageBytes(int v) {
            maxMessageBytes = v;
            return this;
        }

        public Builder retentionMs(long v) {
            retentionMs = v;
            return this;
        }

        public Builder retentionBytes(long v) {
            retentionBytes = v;
            return this;
        }

        public Builder cleanupPolicy(CleanupPolicy v) {
            cleanupPolicy = Objects.requireNonNull(v, CLEANUP_POLICY);
            return this;
        }

        public Builder deleteRetentionMs(long v) {
            deleteRetentionMs = v;
            return this;
        }

        public Builder minCompactionLagMs(long v) {
            minCompactionLagMs = v;
            return this;
        }

        public Builder minCleanableDirtyRatio(double v) {
            minCleanableDirtyRatio = v;
            return this;
        }

        public Builder logAppendTime(boolean v) {
            logAppendTime = v;
            return this;
        }

        public Builder readVerifyCrc(boolean v) {
            readVerifyCrc = v;
            return this;
        }

        public Builder checkpointIntervalMs(long v) {
            checkpointIntervalMs = v;
            return this;
        }

        public Builder checkpointIntervalBytes(long v) {
            checkpointIntervalBytes = v;
            return this;
        }

        /** Sets one key from its string form; unknown keys are ignored. */
        public Builder set(String key, String value) {
            Objects.requireNonNull(key, "key");
            if (value == null) {
                throw new IllegalArgumentException(key + " has no value");
            }
            String v = value.trim();
            switch (key) {
                case SEGMENT_BYTES:
                    return segmentBytes(parseInt(key, v));
                case SEGMENT_MS:
                    return segmentMs(parseLong(key, v));
                case SEGMENT_INDEX_BYTES:
                    return segmentIndexBytes(parseInt(key, v));
                case INDEX_INTERVAL_BYTES:
                    return indexIntervalBytes(parseInt(key, v));
                case MAX_MESSAGE_BYTES:
                    return maxMessageBytes(parseInt(key, v));
                case RETENTION_MS:
                    return retentionMs(parseLong(key, v));
                case RETENTION_BYTES:
                    return retentionBytes(parseLong(key, v));
                case CLEANUP_POLICY:
                    return cleanupPolicy(CleanupPolicy.parse(v));
                case DELETE_RETENTION_MS:
                    return deleteRetentionMs(parseLong(key, v));
                case MIN_COMPACTION_LAG_MS:
                    return minCompactionLagMs(parseLong(key, v));
                case MIN_CLEANABLE_DIRTY_RATIO:
                    try {
                        return minCleanableDirtyRatio(Double.parseDouble(v));
                    } catch (NumberFormatException e) {
                        throw invalid(key, value, "a number between 0 and 1");
                    }
                case MESSAGE_TIMESTAMP_TYPE:
                    if (v.equalsIgnoreCase("LogAppendTime")) {
                        return logAppendTime(true);
                    } else if (v.equalsIgnoreCase("CreateTime")) {
                        return logAppendTime(false);
                    }
                    throw invalid(key, value, "CreateTime or LogAppendTime");
                case READ_VERIFY_CRC:
                    if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
                        return readVerifyCrc(Boolean.parseBoolean(v));
                    }
                    throw invalid(key, value, "true or false");
                case CHECKPOINT_INTERVAL_MS:
                    return checkpointIntervalMs(parseLong(key, v));
                case CHECKPOINT_INTERVAL_BYTES:
                    return checkpointIntervalBytes(parseLong(key, v));
                default:
                    return this;
            }
        }

        public LogConfig build() {
            require(segmentBytes >= 1024, SEGMENT_BYTES, segmentBytes, "at least 1024");
            require(segmentMs >= 1, SEGMENT_MS, segmentMs, "at least 1");
            require(segmentIndexBytes >= 4096, SEGMENT_INDEX_BYTES, segmentIndexBytes, "at least 4096");
            require(indexIntervalBytes >= 0, INDEX_INTERVAL_BYTES, indexIntervalBytes, "0 or more");
            require(maxMessageBytes >= 73, MAX_MESSAGE_BYTES, maxMessageBytes,
                    "at least 73 (one empty record batch)");
            require(maxMessageBytes <= segmentBytes, MAX_MESSAGE_BYTES, maxMessageBytes,
                    "at most " + SEGMENT_BYTES + " (" + segmentBytes + ")");
            require(retentionMs >= -1, RETENTION_MS, retentionMs, "-1 (forever) or more");
            require(retentionBytes >= -1, RETENTION_BYTES, retentionBytes, "-1 (no limit) or more");
            require(deleteRetentionMs >= 0, DELETE_RETENTION_MS, deleteRetentionMs, "0 or more");
            require(minCompactionLagMs >= 0, MIN_COMPACTION_LAG_MS, minCompactionLagMs, "0 or more");
            require(minCleanableDirtyRatio >= 0 && minCleanableDirtyRatio <= 1, MIN_CLEANABLE_DIRTY_RATIO,
                    minCleanableDirtyRatio, "between 0 and 1");
            require(checkpointIntervalMs >= 0, CHECKPOINT_INTERVAL_MS, checkpointIntervalMs, "0 or more");
            require(checkpointIntervalBytes >= 0, CHECKPOINT_INTERVAL_BYTES, checkpointIntervalBytes, "0 or more");
            return new LogConfig(this);
        }
    }
}
