package io.tributary.client.admin;

import java.util.Map;
import java.util.Objects;

/**
 * A topic to create.
 *
 * <p>Thread-safety: immutable.
 *
 * @param name              topic name (1..249 of [a-zA-Z0-9._-], not starting with "__")
 * @param partitions        partition count, 0 for the cluster default
 * @param replicationFactor replicas per partition, 0 for the cluster default
 * @param configs           topic configuration overrides (Kafka's key names, e.g. retention.ms)
 */
public record NewTopic(String name, int partitions, int replicationFactor, Map<String, String> configs) {

    public NewTopic {
        Objects.requireNonNull(name, "name");
        configs = configs == null ? Map.of() : Map.copyOf(configs);
    }

    /** A topic with the cluster's default partition count, replication factor and configuration. */
    public static NewTopic of(String name) {
        return new NewTopic(name, 0, 0, Map.of());
    }
}
