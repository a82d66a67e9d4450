package io.tributary.client.producer;

import io.tributary.client.ClientConfig;
import io.tributary.client.ConfigDef;
import io.tributary.client.errors.ConfigException;
import io.tributary.record.Compression;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The settings of a {@link Producer}: the common keys of {@link ClientConfig} plus these (defaults
 * in brackets):
 * <ul>
 *   <li>{@value #ACKS} [all]: {@code all} answers once a majority of the partition's replicas
 *       committed the batch (the offset is known); {@code none} answers once the leader validated
 *       and queued it (offset -1; may be lost if the leader fails). {@code none} turns idempotence
 *       off unless {@value #ENABLE_IDEMPOTENCE} is set explicitly, which is then an error.
 *   <li>{@value #ENABLE_IDEMPOTENCE} [true]: producer id and per-partition sequence numbers, so a
 *       retried batch is written once, across leader changes too.
 *   <li>{@value #BATCH_BYTES} [262144]: the largest batch per partition, measured before
 *       compression; capped at {@value #MAX_REQUEST_BYTES} (a batch travels in one request; see
 *       {@link #batchBytes()}). A record larger than this goes alone in its batch.
 *   <li>{@value #LINGER_MS} [5]: how long a partition's batch waits for more records before it is
 *       sent (it is sent at once when full, on flush and on close).
 *   <li>{@value #COMPRESSION_TYPE} [none]: none, gzip, snappy, lz4 or zstd.
 *   <li>{@value #BUFFER_MEMORY} [33554432]: bytes of records the producer holds (buffered and in
 *       flight). When full, {@code send} blocks, up to {@value #MAX_BLOCK_MS}.
 *   <li>{@value #MAX_BLOCK_MS} [60000]: the longest {@code send} blocks, for buffer memory and for
 *       the topic's metadata together; then its future fails with a ClientTimeoutException.
 *   <li>{@value #MAX_REQUEST_BYTES} [16777216]: the largest produce request (and record) sent;
 *       keep it below the brokers' {@code max.request.bytes}.
 *   <li>{@value #MAX_IN_FLIGHT} [5]: requests awaiting an answer per broker; with idempotence also
 *       the most batches in flight per partition (at most 5: the broker remembers the last 5
 *       batches of a producer per partition). Without idempotence one batch per partition is in
 *       flight, so that retries never reorder records.
 *   <li>{@value #RETRIES} [2147483647]: how often a batch that failed with a retriable error is
 *       sent again (within {@value #DELIVERY_TIMEOUT_MS}).
 *   <li>{@value #DELIVERY_TIMEOUT_MS} [120000]: the longest time from {@code send} to the answer,
 *       retries included; at least {@value #LINGER_MS} + {@code request.timeout.ms}.
 * </ul>
 * {@code retry.backoff.ms} and {@code retry.backoff.max.ms} (common keys) space the retries.
 *
 * <p>Thread-safety: immutable.
 */
public final class ProducerConfig extends ClientConfig {

    public static final String ACKS = "acks";
    public static final String ACKS_DEFAULT = "all";
    public static final String ENABLE_IDEMPOTENCE = "enable.idempotence";
    public static final String BATCH_BYTES = "batch.bytes";
    public static final int BATCH_BYTES_DEFAULT = 256 * 1024;
    public static final String LINGER_MS = "linger.ms";
    public static final long LINGER_MS_DEFAULT = 5;
    public static final String COMPRESSION_TYPE = "compression.type";
    public static final String COMPRESSION_TYPE_DEFAULT = "none";
    public static final String BUFFER_MEMORY = "buffer.memory";
    public static final long BUFFER_MEMORY_DEFAULT = 32L * 1024 * 1024;
    public static final String MAX_BLOCK_MS = "max.block.ms";
    public static final long MAX_BLOCK_MS_DEFAULT = 60_000;
    public static final String MAX_REQUEST_BYTES = "max.request.bytes";
    public static final int MAX_REQUEST_BYTES_DEFAULT = 16 * 1024 * 1024;
    public static final String MAX_IN_FLIGHT = "max.in.flight.requests.per.connection";
    public static final int MAX_IN_FLIGHT_DEFAULT = 5;
    public static final String RETRIES = "retries";
    public static final int RETRIES_DEFAULT = Integer.MAX_VALUE;
    public static final String DELIVERY_TIMEOUT_MS = "delivery.timeout.ms";
    public static final long DELIVERY_TIMEOUT_MS_DEFAULT = 120_000;

    static final ConfigDef DEF = ClientConfig.commonDef()
            .define(ACKS, ConfigDef.Type.STRING, ACKS_DEFAULT, ConfigDef.oneOf("all", "none"),
                    "all: answer once a majority committed; none: answer once the leader queued the batch")
            .define(ENABLE_IDEMPOTENCE, ConfigDef.Type.BOOLEAN, null,
                    "producer id and sequence numbers so retries never duplicate (default true; false with acks=none)")
            .define(BATCH_BYTES, ConfigDef.Type.INT, BATCH_BYTES_DEFAULT, ConfigDef.between(1024, 64 * 1024 * 1024),
                    "the largest batch per partition before compression, in bytes")
            .define(LINGER_MS, ConfigDef.Type.LONG, LINGER_MS_DEFAULT, ConfigDef.between(0, 3_600_000),
                    "how long a batch waits for more records, in ms")
            .define(COMPRESSION_TYPE, ConfigDef.Type.STRING, COMPRESSION_TYPE_DEFAULT,
                    ConfigDef.oneOf("none", "gzip", "snappy", "lz4", "zstd"), "the batch compression codec")
            .define(BUFFER_MEMORY, ConfigDef.Type.LONG, BUFFER_MEMORY_DEFAULT, ConfigDef.atLeast(1024),
                    "bytes of records buffered and in flight; send blocks when full")
            .define(MAX_BLOCK_MS, ConfigDef.Type.LONG, MAX_BLOCK_MS_DEFAULT, ConfigDef.atLeast(0),
                    "the longest send blocks for buffer memory and metadata, in ms")
            .define(MAX_REQUEST_BYTES, ConfigDef.Type.INT, MAX_REQUEST_BYTES_DEFAULT,
                    ConfigDef.between(1024, 1024 * 1024 * 1024), "the largest produce request, in bytes")
            .define(MAX_IN_FLIGHT, ConfigDef.Type.INT, MAX_IN_FLIGHT_DEFAULT, ConfigDef.between(1, 100),
                    "requests awaiting an answer per broker")
            .define(RETRIES, ConfigDef.Type.INT, RETRIES_DEFAULT, ConfigDef.atLeast(0),
                    "how often a failed batch is sent again")
            .define(DELIVERY_TIMEOUT_MS, ConfigDef.Type.LONG, DELIVERY_TIMEOUT_MS_DEFAULT, ConfigDef.atLeast(1),
                    "the longest time from send to the answer, retries included, in ms");

    private final boolean idempotence;
    private final Compression compression;

    public ProducerConfig(Map<String, ?> props) {
        super(DEF, props);
        boolean acksAll = getString(ACKS).equalsIgnoreCase("all");
        Object explicit = get(ENABLE_IDEMPOTENCE);
        if (explicit == null) {
            idempotence = acksAll;
        } else {
            idempotence = (Boolean) explicit;
            if (idempotence && !acksAll) {
                throw new ConfigException(ENABLE_IDEMPOTENCE + "=true needs " + ACKS + "=all, got " + ACKS + "="
                        + getString(ACKS));
            }
        }
        if (idempotence && getInt(MAX_IN_FLIGHT) > 5) {
            throw new ConfigException(MAX_IN_FLIGHT + "=" + getInt(MAX_IN_FLIGHT)
                    + " with idempotence: must be at most 5 (brokers remember 5 batches per producer and partition)");
        }
        long minDelivery = getLong(LINGER_MS) + getInt(REQUEST_TIMEOUT_MS);
        if (getLong(DELIVERY_TIMEOUT_MS) < minDelivery) {
            throw new ConfigException(DELIVERY_TIMEOUT_MS + "=" + getLong(DELIVERY_TIMEOUT_MS) + " must be at least "
                    + LINGER_MS + " + " + REQUEST_TIMEOUT_MS + " = " + minDelivery);
        }
        compression = Compression.valueOf(getString(COMPRESSION_TYPE).toUpperCase(Locale.ROOT));
    }

    public ProducerConfig(Properties props) {
        this(toMap(props));
    }

    /** True for acks=all. */
    public boolean acksAll() {
        return getString(ACKS).equalsIgnoreCase("all");
    }

    /** Whether idempotence is on (explicitly, or by default with acks=all). */
    public boolean idempotence() {
        return idempotence;
    }

    /** The effective batch size: {@value #BATCH_BYTES}, at most {@value #MAX_REQUEST_BYTES}. */
    public int batchBytes() {
        return Math.min(getInt(BATCH_BYTES), getInt(MAX_REQUEST_BYTES));
    }

    public Compression compression() {
        return compression;
    }
}
