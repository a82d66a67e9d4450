package io.tributary.client.admin;

/**
 * One topic in a listing.
 *
 * <p>Thread-safety: immutable.
 *
 * @param name              topic name
 * @param topicId           its id (UUID text)
 * @param internal          true for the cluster's own topics (e.g. __consumer_offsets)
 * @param partitions        partition count
 * @param replicationFactor replicas per partition
 */
public record TopicListing(String name, String topicId, boolean internal, int partitions, int replicationFactor) {
}
