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
    /** The partition counts of the subscribed topics its target was computed from (not persisted). */
    Map<String, Integer> partitionCounts = Map.of();

    Group(String id, String assignor) {
        this.id = id;
        this.assignor = assignor;
    }

    boolean isDead() {
        return !hasMetadata && members.isEmpty() && offsets.isEmpty();
    }

    boolean isStable() {
        return members.values().stream().allMatch(Member::isStable);
    }
}
