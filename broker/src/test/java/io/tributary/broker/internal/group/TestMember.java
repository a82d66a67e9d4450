package io.tributary.broker.internal.group;

import io.tributary.proto.v1.Assignment;
import io.tributary.proto.v1.HeartbeatRequest;
import io.tributary.proto.v1.HeartbeatResponse;
import io.tributary.proto.v1.JoinGroupRequest;
import io.tributary.proto.v1.JoinGroupResponse;
import io.tributary.proto.v1.LeaveGroupRequest;
import io.tributary.proto.v1.OffsetCommitPartition;
import io.tributary.proto.v1.OffsetCommitRequest;
import io.tributary.proto.v1.OffsetCommitResponse;
import io.tributary.proto.v1.TopicPartition;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * A consumer following the membership protocol of group.proto with raw calls: it owns what it
 * was assigned; asked to revoke, it gives the partitions up at once (optionally committing
 * first) and heartbeats without them.
 */
final class TestMember {
    final GroupCalls calls;
    final String groupId;
    final String memberId = UUID.randomUUID().toString();
    int generation;
    /** Partitions it owns now. */
    final Set<String> owned = new TreeSet<>();
    /** Every partition it was ever asked to revoke. */
    final Set<String> everRevoked = new TreeSet<>();
    Assignment last;
    /** Guards {@link #owned}; members of one test may share it to check ownership across them. */
    final Object lock;

    TestMember(GroupCalls calls, String groupId) {
        this(calls, groupId, new Object());
    }

    TestMember(GroupCalls calls, String groupId, Object lock) {
        this.calls = calls;
        this.groupId = groupId;
        this.lock = lock;
    }

    JoinGroupResponse join(String assignor, String... topics) {
        JoinGroupResponse r = calls.call(groupId, s -> s.joinGroup(JoinGroupRequest.newBuilder().setGroupId(groupId)
                .setMemberId(memberId).setClientId("test-" + memberId.substring(0, 8)).addAllTopics(List.of(topics))
                .setAssignor(assignor).setSessionTimeoutMs(10_000).build()));
        generation = r.getGeneration();
        take(r.getAssignment());
        return r;
    }

    HeartbeatResponse heartbeat() {
        HeartbeatResponse r = calls.call(groupId, s -> s.heartbeat(HeartbeatRequest.newBuilder().setGroupId(groupId)
                .setMemberId(memberId).setGeneration(generation).addAllOwned(ownedProto()).build()));
        generation = r.getGeneration();
        take(r.getAssignment());
        return r;
    }

    private void take(Assignment a) {
        synchronized (lock) {
            last = a;
            a.getToRevokeList().forEach(tp -> everRevoked.add(name(tp)));
            // Revoked partitions are given up at once (a real consumer commits them first).
            owned.clear();
            a.getAssignedList().forEach(tp -> owned.add(name(tp)));
        }
    }

    /** Gives up everything (before leaving). */
    void dropAll() {
        synchronized (lock) {
            owned.clear();
        }
    }

    boolean isStable() {
        return last != null && last.getToRevokeCount() == 0;
    }

    void leave() {
        calls.call(groupId, s -> s.leaveGroup(LeaveGroupRequest.newBuilder().setGroupId(groupId).setMemberId(memberId)
                .setReason("test").build()));
    }

    OffsetCommitResponse commit(int gen, String topic, int partition, long offset) {
        return calls.call(groupId, s -> s.offsetCommit(OffsetCommitRequest.newBuilder().setGroupId(groupId)
                .setMemberId(memberId).setGeneration(gen).addPartitions(OffsetCommitPartition.newBuilder()
                        .setTopic(topic).setPartition(partition).setOffset(offset)).build()));
    }

    List<TopicPartition> ownedProto() {
        List<TopicPartition> out = new ArrayList<>();
        List<String> names;
        synchronized (lock) {
            names = new ArrayList<>(owned);
        }
        for (String s : names) {
            int dash = s.lastIndexOf('-');
            out.add(TopicPartition.newBuilder().setTopic(s.substring(0, dash))
                    .setPartition(Integer.parseInt(s.substring(dash + 1))).build());
        }
        return out;
    }

    static String name(TopicPartition tp) {
        return tp.getTopic() + "-" + tp.getPartition();
    }

    static boolean allStable(Collection<TestMember> members) {
        return members.stream().allMatch(TestMember::isStable);
    }
}
