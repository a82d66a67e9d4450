package io.tributary.log;

import static io.tributary.log.ConfigValues.invalid;
import static io.tributary.log.ConfigValues.require;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Immutable configuration of the broker's {@link LogCleaner} (per-log settings such as
 * {@code cleanup.policy}, {@code min.cleanable.dirty.ratio}, {@code min.compaction.lag.ms} and
 * {@code delete.retention.ms} are in {@link LogConfig}). Keys are Kafka's broker-level names.
 *
 * <p>Thread-safety: immutable, safe to share.
 */
public final class LogCleanerConfig {

    /** How long the cleaner thread waits between looks for a log to clean (sooner on {@link LogCleaner#wakeup()}). */
    public static final String BACKOFF_MS = "log.cleaner.backoff.ms";
    public static final long BACKOFF_MS_DEFAULT = 15_000L;

    /** Memory for the key → offset map of one pass; a pass cleans only as far as the map reaches. */
    public static final String DEDUPE_BUFFER_BYTES = "log.cleaner.dedupe.buffer.size";
    public static final long DEDUPE_BUFFER_BYTES_DEFAULT = 128L * 1024 * 1024;

    /** Bytes read from a segment, and written to its cleaned copy, at a time. */
    public static final String IO_BUFFER_BYTES = "log.cleaner.io.buffer.size";
    public static final int IO_BUFFER_BYTES_DEFAULT = 512 * 1024;

    private final long backoffMs;
    private final long dedupeBufferBytes;
    private final int ioBufferBytes;

    private LogCleanerConfig(Builder b) {
        this.backoffMs = b.backoffMs;
        this.dedupeBufferBytes = b.dedupeBufferBytes;
        this.ioBufferBytes = b.ioBufferBytes;
    }

    public static Builder builder() {
        return new Builder();
    }

    public static LogCleanerConfig defaults() {
        return builder().build();
    }

    /**
     * Parses string properties (unknown keys are ignored, so broker-wide maps can be passed as is).
     *
     * @throws IllegalArgumentException naming the key and value that are not valid
     */
    public static LogCleanerConfig fromProperties(Map<String, String> props) {
        Builder b = builder();
        props.forEach(b::set);
        return b.build();
    }

    public long backoffMs() {
        return backoffMs;
    }

    public long dedupeBufferBytes() {
        return dedupeBufferBytes;
    }

    public int ioBufferBytes() {
        return ioBufferBytes;
    }

    public Builder toBuilder() {
        return builder().backoffMs(backoffMs).dedupeBufferBytes(dedupeBufferBytes).ioBufferBytes(ioBufferBytes);
    }

    /** The effective values by key, for logging at start. */
    public Map<String, String> toProperties() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(BACKOFF_MS, Long.toString(backoffMs));
        m.put(DEDUPE_BUFFER_BYTES, Long.toString(dedupeBufferBytes));
        m.put(IO_BUFFER_BYTES, Integer.toString(ioBufferBytes));
        return m;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LogCleanerConfig && ((LogCleanerConfig) o).toProperties().equals(toProperties());
    }

    @Override
    public int hashCode() {
        return Objects.hash(toProperties());
    }

    @Override
    public String toString() {
        return "LogCleanerConfig" + toProperties();
    }

    /** Mutable builder; {@link #build()} validates. Not thread-safe. */
    public static final class Builder {
        private long backoffMs = BACKOFF_MS_DEFAULT;
        private long dedupeBufferBytes = DEDUPE_BUFFER_BYTES_DEFAULT;
        private int ioBufferBytes = IO_BUFFER_BYTES_DEFAULT;

        private Builder() {
        }

        public Builder backoffMs(long v) {
            backoffMs = v;
            return this;
        }

        public Builder dedupeBufferBytes(long v) {
            dedupeBufferBytes = v;
            return this;
        }

        public Builder ioBufferBytes(int v) {
            ioBufferBytes = v;
            return this;
        }

        /** Sets one key from its string form; unknown keys are ignored. */
        public Builder set(String key, String value) {
            Objects.requireNonNull(key, "key");
            if (value == null) {
                throw new IllegalArgumentException(key + " has no value");
            }
            String v = value.trim();
            try {
                switch (key) {
                    case BACKOFF_MS:
                        return backoffMs(Long.parseLong(v));
                    case DEDUPE_BUFFER_BYTES:
                        return dedupeBufferBytes(Long.parseLong(v));
                    case IO_BUFFER_BYTES:
                        return ioBufferBytes(Integer.parseInt(v));
                    default:
                        return this;
                }
            } catch (NumberFormatException e) {
                throw invalid(key, value, "an integer");
            }
        }

        public LogCleanerConfig build() {
            require(backoffMs >= 1, BACKOFF_MS, backoffMs, "at least 1");
            require(dedupeBufferBytes >= 1024, DEDUPE_BUFFER_BYTES, dedupeBufferBytes, "at least 1024");
            require(ioBufferBytes >= 1024, IO_BUFFER_BYTES, ioBufferBytes, "at least 1024");
            return new LogCleanerConfig(this);
        }
    }
}
