package io.tributary.client.admin;

/**
 * One consumer group in a listing.
 *
 * <p>Thread-safety: immutable.
 *
 * @param groupId     the group id
 * @param state       its state
 * @param memberCount its number of members
 */
public record GroupListing(String groupId, GroupState state, int memberCount) {
}
