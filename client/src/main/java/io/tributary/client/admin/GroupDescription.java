package io.tributary.client.admin;

import java.util.List;

/**
 * A consumer group: members, assignment, and per partition the committed offset, end offset and lag.
 *
 * <p>Thread-safety: immutable.
 *
 * @param groupId    the group id
 * @param state      its state
 * @param groupEpoch bumped on every change of membership or subscriptions
 * @param assignor   the assignor in use (range, round-robin, sticky)
 * @param members    the members, by member id
 * @param offsets    every partition the group has committed or assigned, by topic and partition
 */
public record GroupDescription(String groupId, GroupState state, int groupEpoch, String assignor,
                               List<MemberDescription> members, List<PartitionLag> offsets) {

    public GroupDescription {
        members = List.copyOf(members);
        offsets = List.copyOf(offsets);
    }

    /** The sum of the known lags (partitions with an unknown lag count 0). */
    public long totalLag() {
        return offsets.stream().mapToLong(p -> Math.max(0, p.lag())).sum();
    }
}
