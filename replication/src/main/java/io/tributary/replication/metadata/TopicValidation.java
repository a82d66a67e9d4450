package io.tributary.replication.metadata;

import io.tributary.log.LogConfig;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Topic names and topic configs as the metadata state machine accepts them. Stateless; thread-safe.
 *
 * <p>Names follow Kafka's rules: 1 to 249 characters of {@code [a-zA-Z0-9._-]}, not {@code "."} or
 * {@code ".."}; two names that differ only by {@code '.'} versus {@code '_'} collide (they map to
 * the same metric names in Kafka's tools, so Kafka refuses the second one, and so do we).
 */
public final class TopicValidation {

    /** Longest topic name (Kafka's limit: the partition directory name must fit 255 bytes). */
    public static final int MAX_NAME_LENGTH = 249;
    /** Most partitions one topic may have: each is a Raft group, so this bounds an absurd request. */
    public static final int MAX_PARTITIONS = 10_000;

    private static final Pattern LEGAL = Pattern.compile("[a-zA-Z0-9._-]+");
    /** Topic settings of the replication layer (not log settings): the partition state machine reads them. */
    public static final String PRODUCER_ID_EXPIRATION_MS = "producer.id.expiration.ms";
    private static final Set<String> KNOWN_CONFIG_KEYS = knownKeys();

    private static Set<String> knownKeys() {
        Set<String> keys = new java.util.TreeSet<>(LogConfig.defaults().toProperties().keySet());
        keys.add(PRODUCER_ID_EXPIRATION_MS);
        return java.util.Collections.unmodifiableSet(keys);
    }

    private TopicValidation() {
    }

    /** Why the name is not a valid topic name, or empty when it is. */
    public static Optional<String> invalidName(String name) {
        if (name == null || name.isEmpty()) {
            return Optional.of("the topic name is empty");
        }
        if (name.equals(".") || name.equals("..")) {
            return Optional.of("the topic name cannot be \".\" or \"..\"");
        }
        if (name.length() > MAX_NAME_LENGTH) {
            return Optional.of("the topic name is " + name.length() + " characters long; at most "
                    + MAX_NAME_LENGTH + " are allowed");
        }
        if (!LEGAL.matcher(name).matches()) {
            return Optional.of("the topic name '" + name
                    + "' contains a character other than ASCII letters, digits, '.', '_' and '-'");
        }
        return Optional.empty();
    }

    /** The form under which two names collide ({@code '.'} and {@code '_'} are the same). */
    public static String collisionKey(String name) {
        return name.replace('.', '_');
    }

    /**
     * Why these topic config overrides are not valid (unknown key, or a value {@link LogConfig}
     * refuses), or empty when they are.
     */
    public static Optional<String> invalidConfig(Map<String, String> configs) {
        for (Map.Entry<String, String> e : configs.entrySet()) {
            if (!KNOWN_CONFIG_KEYS.contains(e.getKey())) {
                return Optional.of("unknown topic config '" + e.getKey() + "'; known: " + KNOWN_CONFIG_KEYS);
            }
            if (e.getValue() == null) {
                return Optional.of("topic config '" + e.getKey() + "' has no value");
            }
        }
        String expiry = configs.get(PRODUCER_ID_EXPIRATION_MS);
        if (expiry != null) {
            long ms;
            try {
                ms = Long.parseLong(expiry.trim());
            } catch (NumberFormatException e) {
                return Optional.of("topic config '" + PRODUCER_ID_EXPIRATION_MS + "' = '" + expiry
                        + "' is not a number of milliseconds");
            }
            if (ms < 1) {
                return Optional.of("topic config '" + PRODUCER_ID_EXPIRATION_MS + "' = " + ms + " must be at least 1");
            }
        }
        try {
            java.util.Map<String, String> logConfigs = new java.util.HashMap<>(configs);
            logConfigs.remove(PRODUCER_ID_EXPIRATION_MS);
            LogConfig.fromProperties(logConfigs);
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.of(e.getMessage());
        }
    }
}
