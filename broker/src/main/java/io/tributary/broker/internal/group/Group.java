package io.tributary.broker.internal.group;

import io.tributary.broker.internal.group.GroupRecordFormat.OffsetValue;
import io.tributary.replication.TopicPartition;

import java.util.Map;
import java.util.TreeMap;

/**
 * One consumer group as its coordinator keeps it in memory: epoch, assignor in use, members and
 * committed offsets. Rebuilt from {@code __consumer_offsets} when a broker starts coordinating.
 *
 * <p>Thread-safety: not thread-safe; guarded by its {@link GroupShard}'s lock.
 */
final class Group {
    final String id;
    /** Whether a GROUP record is live for it (its epoch and assignor are persisted). */
    boolean hasMetadata;
    int epoch;
    String assignor;
    final Map<String, Member> members = new TreeMap<>();
    final Map<TopicPartition, OffsetValue> offsets = new TreeMap<>();
    /**
     * When its last member left (epoch ms, the coordinator's clock), or -1 while it has members or
     * has never had any; persisted in its GROUP record (offsets retention counts from it).
     */
    long emptySinceMs = GroupRecordFormat.GroupValue.NOT_EMPTY;
    /** Replay only: the record time stamp of its last GROUP record (for version-0 values). */
    long groupRecordTimestampMs = -1;
    /** The partition counts of the subscribed topics its target was computed from (not persisted). */
    Map<String, Integer> partitionCounts = Map.of();

    Group(String id, String assignor) {
        this.id = id;
        this.assignor = assignor;
    }

    boolean isDead() {
        return !hasMetadata && members.isEmpty() && offsets.isEmpty();
    }

    /**
     * The last time the group was used while it has no members: when its last member left or its
     * newest commit, whichever is later; -1 when it has neither.
     */
    long lastUsedWhileEmptyMs() {
        long last = emptySinceMs;
        for (OffsetValue v : offsets.values()) {
            last = Math.max(last, v.commitTimestampMs());
        }
        return last;
    }

    boolean isStable() {
        return members.values().stream().allMatch(Member::isStable);
    }
}
