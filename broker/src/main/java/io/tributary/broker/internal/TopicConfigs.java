package io.tributary.broker.internal;

import io.tributary.log.LogConfig;
import io.tributary.proto.v1.ErrorCode;
import io.tributary.replication.TopicInfo;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Topic configuration: the broker's topic defaults overlaid with a topic's own overrides, and
 * the validation of overrides before they are submitted (INVALID_CONFIG naming key and value).
 *
 * <p>Thread-safety: thread-safe; effective configs are cached per topic id and overrides.
 */
public final class TopicConfigs {

    private final LogConfig defaults;
    private final Map<String, String> defaultProperties;
    private final Set<String> knownKeys;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    private record Cached(Map<String, String> overrides, LogConfig config) {
    }

    /** The largest max.message.bytes a topic may have: what one gRPC request can carry. */
    private final int maxMessageBytesLimit;
    private final String producerIdExpirationMsDefault;

    public TopicConfigs(LogConfig defaults) {
        this(defaults, Integer.MAX_VALUE);
    }

    public TopicConfigs(LogConfig defaults, int maxMessageBytesLimit) {
        this(defaults, maxMessageBytesLimit, Long.parseLong(PRODUCER_ID_EXPIRATION_MS_DEFAULT));
    }

    /**
     * @param producerIdExpirationMsDefault the broker's {@code producer.id.expiration.ms}, shown
     *     for topics that do not set it
     */
    public TopicConfigs(LogConfig defaults, int maxMessageBytesLimit, long producerIdExpirationMsDefault) {
        this.defaults = defaults;
        this.producerIdExpirationMsDefault = Long.toString(producerIdExpirationMsDefault);
        this.maxMessageBytesLimit = maxMessageBytesLimit;
        this.defaultProperties = defaults.toProperties();
        Set<String> keys = new java.util.HashSet<>(defaultProperties.keySet());
        keys.add(PRODUCER_ID_EXPIRATION_MS);
        this.knownKeys = Set.copyOf(keys);
    }

    /** A topic config of the replication layer, not of the log (read by the partition state machine). */
    static final String PRODUCER_ID_EXPIRATION_MS = "producer.id.expiration.ms";
    /** Used when neither the topic nor the broker sets it. */
    static final String PRODUCER_ID_EXPIRATION_MS_DEFAULT = "86400000";

    public LogConfig defaults() {
        return defaults;
    }

    public Set<String> knownKeys() {
        return knownKeys;
    }

    /** The topic's effective log config. */
    public LogConfig effective(TopicInfo topic) {
        Cached c = cache.get(topic.topicId());
        if (c != null && c.overrides.equals(topic.configs())) {
            return c.config;
        }
        LogConfig config;
        try {
            config = merge(topic.configs());
        } catch (IllegalArgumentException e) {
            // Stored overrides were validated when set; if the defaults changed since, fall back to them.
            config = defaults;
        }
        cache.put(topic.topicId(), new Cached(topic.configs(), config));
        if (cache.size() > 100_000) {
            cache.clear();
        }
        return config;
    }

    /** Every effective key with its value and whether the topic overrides it, by key. */
    public Map<String, Map.Entry<String, Boolean>> describe(TopicInfo topic) {
        Map<String, String> effective = effective(topic).toProperties();
        Map<String, Map.Entry<String, Boolean>> out = new LinkedHashMap<>();
        effective.forEach((k, v) -> out.put(k, Map.entry(v, topic.configs().containsKey(k))));
        String expiry = topic.configs().get(PRODUCER_ID_EXPIRATION_MS);
        out.put(PRODUCER_ID_EXPIRATION_MS, Map.entry(expiry == null ? producerIdExpirationMsDefault : expiry,
                expiry != null));
        return out;
    }

    /**
     * Checks overrides: every key known and every value valid on top of the defaults (and of
     * {@code existing}, the topic's current overrides, for an alteration).
     *
     * @throws RequestException INVALID_CONFIG naming the key and the value
     */
    public LogConfig validate(Map<String, String> existing, Map<String, String> set, Set<String> remove) {
        for (Map.Entry<String, String> e : set.entrySet()) {
            checkKey(e.getKey());
            if (e.getValue() == null || e.getValue().isBlank()) {
                throw new RequestException(ErrorCode.INVALID_CONFIG, "config " + e.getKey() + " has no value");
            }
            if (e.getKey().equals(PRODUCER_ID_EXPIRATION_MS)) {
                long ms;
                try {
                    ms = Long.parseLong(e.getValue().trim());
                } catch (NumberFormatException ex) {
                    ms = -1;
                }
                if (ms < 1) {
                    throw new RequestException(ErrorCode.INVALID_CONFIG, "config " + PRODUCER_ID_EXPIRATION_MS + "="
                            + e.getValue() + " is not valid: a number of milliseconds, at least 1");
                }
                continue;
            }
            try {
                LogConfig.builder().set(e.getKey(), e.getValue());
            } catch (IllegalArgumentException ex) {
                throw new RequestException(ErrorCode.INVALID_CONFIG, "config " + ex.getMessage());
            }
        }
        for (String key : remove) {
            checkKey(key);
        }
        Map<String, String> merged = new HashMap<>(existing);
        remove.forEach(merged::remove);
        merged.putAll(set);
        LogConfig config;
        try {
            config = merge(merged);
        } catch (IllegalArgumentException ex) {
            throw new RequestException(ErrorCode.INVALID_CONFIG, "config " + ex.getMessage());
        }
        if (set.containsKey(LogConfig.MAX_MESSAGE_BYTES) && config.maxMessageBytes() > maxMessageBytesLimit) {
            throw new RequestException(ErrorCode.INVALID_CONFIG, "config " + LogConfig.MAX_MESSAGE_BYTES + "="
                    + set.get(LogConfig.MAX_MESSAGE_BYTES) + " is not valid: a produce request to this broker carries"
                    + " at most " + maxMessageBytesLimit + " bytes of batches (max.request.bytes minus 1 MiB)");
        }
        return config;
    }

    /**
     * The only configs an internal topic ({@code __consumer_offsets}) may have altered: how its
     * segments roll and how compaction runs. Anything else could delete or stop storing what the
     * group coordinator relies on: {@code cleanup.policy} must stay {@code compact} (with
     * {@code delete} the log would drop committed offsets and group state by age or size),
     * retention keys are not honoured by a compacted log and offsets expire by
     * {@code group.offsets.retention.ms} instead, and a smaller {@code max.message.bytes} could
     * refuse the coordinator's own records.
     */
    static final Set<String> INTERNAL_ALTERABLE = Set.of(LogConfig.CLEANUP_POLICY, LogConfig.SEGMENT_BYTES,
            LogConfig.SEGMENT_MS, LogConfig.SEGMENT_INDEX_BYTES, LogConfig.INDEX_INTERVAL_BYTES,
            LogConfig.DELETE_RETENTION_MS, LogConfig.MIN_COMPACTION_LAG_MS, LogConfig.MIN_CLEANABLE_DIRTY_RATIO);

    /**
     * Checks an alteration of an internal topic against {@link #INTERNAL_ALTERABLE}; the values
     * are then checked as for any topic by {@link #validate}.
     *
     * @throws RequestException POLICY_VIOLATION naming the key and what is allowed
     */
    public static void checkInternalAlteration(String topic, Map<String, String> set, Set<String> remove) {
        for (String key : new java.util.TreeSet<>(set.keySet())) {
            if (!INTERNAL_ALTERABLE.contains(key)) {
                throw internalPolicy(topic, key);
            }
        }
        for (String key : new java.util.TreeSet<>(remove)) {
            if (!INTERNAL_ALTERABLE.contains(key)) {
                throw internalPolicy(topic, key);
            }
        }
        String policy = set.get(LogConfig.CLEANUP_POLICY);
        if (policy != null && !policy.trim().equals("compact")) {
            throw new RequestException(ErrorCode.POLICY_VIOLATION, "config " + LogConfig.CLEANUP_POLICY + "=" + policy
                    + " is not allowed on internal topic '" + topic + "': it must stay compact, or committed offsets"
                    + " and group state would be deleted");
        }
        if (remove.contains(LogConfig.CLEANUP_POLICY)) {
            throw new RequestException(ErrorCode.POLICY_VIOLATION, "config " + LogConfig.CLEANUP_POLICY
                    + " of internal topic '" + topic + "' cannot be removed: it must stay compact, or committed offsets"
                    + " and group state would be deleted by the broker default policy");
        }
    }

    private static RequestException internalPolicy(String topic, String key) {
        return new RequestException(ErrorCode.POLICY_VIOLATION, "config " + key + " of internal topic '" + topic
                + "' cannot be altered: only " + String.join(", ", new java.util.TreeSet<>(INTERNAL_ALTERABLE))
                + " can (cleanup.policy only to compact); committed offsets expire by the broker's"
                + " group.offsets.retention.ms");
    }

    private void checkKey(String key) {
        if (!knownKeys.contains(key)) {
            throw new RequestException(ErrorCode.INVALID_CONFIG, "unknown topic config key '" + key
                    + "': known keys are " + String.join(", ", new java.util.TreeSet<>(knownKeys)));
        }
    }

    private LogConfig merge(Map<String, String> overrides) {
        Map<String, String> merged = new LinkedHashMap<>(defaultProperties);
        merged.putAll(overrides);
        merged.remove(PRODUCER_ID_EXPIRATION_MS);
        return LogConfig.fromProperties(merged);
    }
}
