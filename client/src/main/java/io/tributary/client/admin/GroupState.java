package io.tributary.client.admin;

/**
 * The state of a consumer group (group.proto {@code GroupState}).
 */
public enum GroupState {
    /** No members; committed offsets are kept. */
    EMPTY,
    /** Every member owns exactly its target assignment. */
    STABLE,
    /** Some partitions are moving between members. */
    RECONCILING,
    /** Not said by the broker (an older or newer broker). */
    UNKNOWN
}
