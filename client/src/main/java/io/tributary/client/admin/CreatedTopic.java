package io.tributary.client.admin;

/**
 * A topic as created (or as it would be, for a validation-only call), defaults applied.
 *
 * <p>Thread-safety: immutable.
 *
 * @param name              topic name
 * @param topicId           its id (UUID text); empty for a validation-only call
 * @param partitions        its partition count
 * @param replicationFactor its replicas per partition
 */
public record CreatedTopic(String name, String topicId, int partitions, int replicationFactor) {
}
