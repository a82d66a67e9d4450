package io.tributary.broker.internal.group;

import io.tributary.broker.internal.group.GroupRecordFormat.MemberValue;
import io.tributary.replication.TopicPartition;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One member of a group, as the coordinator keeps it: what is persisted (subscription, target,
 * the partitions it was given with the generation it got each at, those it must give up) and the
 * timers that are not (session and revocation deadlines restart when a coordinator loads).
 *
 * <p>Thread-safety: not thread-safe; guarded by its {@link GroupShard}'s lock.
 */
final class Member {
    final String id;
    String clientId;
    String clientHost;
    int sessionTimeoutMs;
    int rebalanceTimeoutMs;
    /** The assignor it asked for, empty for the broker default. */
    String assignor;
    int generation;
    final Set<String> topics = new TreeSet<>();
    /** The coordinator's target for it. */
    final Set<TopicPartition> target = new TreeSet<>();
    /** Partitions it may consume, each with the generation it was given at. */
    final Map<TopicPartition, Integer> assigned = new TreeMap<>();
    /** Partitions it owns but must give up, each with the generation it was given at. */
    final Map<TopicPartition, Integer> revoking = new TreeMap<>();

    long sessionDeadlineNs;
    /** When revoking must be done by; 0 while nothing is being revoked. */
    long revokeDeadlineNs;

    Member(String id) {
        this.id = id;
    }

    static Member fromValue(String id, MemberValue v) {
        Member m = new Member(id);
        m.clientId = v.clientId();
        m.clientHost = v.clientHost();
        m.sessionTimeoutMs = v.sessionTimeoutMs();
        m.rebalanceTimeoutMs = v.rebalanceTimeoutMs();
        m.assignor = v.assignor();
        m.generation = v.generation();
        m.topics.addAll(v.topics());
        m.target.addAll(v.target());
        m.assigned.putAll(v.assigned());
        m.revoking.putAll(v.revoking());
        return m;
    }

    MemberValue toValue() {
        return new MemberValue(clientId, clientHost, sessionTimeoutMs, rebalanceTimeoutMs, assignor, generation,
                new ArrayList<>(topics), new ArrayList<>(target), new TreeMap<>(assigned), new TreeMap<>(revoking));
    }

    /** Owns {@code tp}: assigned or still revoking it. */
    boolean owns(TopicPartition tp) {
        return assigned.containsKey(tp) || revoking.containsKey(tp);
    }

    /** Its assignment equals its target and nothing is being revoked. */
    boolean isStable() {
        return revoking.isEmpty() && assigned.keySet().equals(target);
    }

    List<TopicPartition> assignedList() {
        return new ArrayList<>(assigned.keySet());
    }

    List<TopicPartition> revokingList() {
        return new ArrayList<>(revoking.keySet());
    }
}
