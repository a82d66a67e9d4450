package io.tributary.client.admin;

/**
 * One effective topic configuration value.
 *
 * <p>Thread-safety: immutable.
 *
 * @param name   the key, e.g. retention.ms
 * @param value  the effective value, as text
 * @param source where it comes from
 */
public record ConfigEntry(String name, String value, Source source) {

    /** Where a configuration value comes from. */
    public enum Source {
        /** The cluster default (the brokers' topic defaults or the built-in default). */
        DEFAULT,
        /** An override set on this topic. */
        TOPIC,
        /** Not said by the broker. */
        UNKNOWN
    }
}
