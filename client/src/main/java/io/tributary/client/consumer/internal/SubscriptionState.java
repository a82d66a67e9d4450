package io.tributary.client.consumer.internal;

import io.tributary.client.TopicPartition;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * What the consumer reads: its mode (nothing, {@code assign}ed partitions, or a group
 * {@code subscribe}), the partitions it owns, and per partition its position (the offset of the
 * next record {@code poll} returns; -1 while unknown), whether it is paused, and whether its
 * position must be looked up (committed offset or reset policy).
 *
 * <p>Thread-safety: not thread-safe; used by the polling thread only. {@link #assignedSnapshot()}
 * publishes the owned set for the heartbeat thread.
 */
public final class SubscriptionState {

    /** How partitions are chosen. */
    public enum Mode { NONE, ASSIGNED, SUBSCRIBED }

    /** One owned partition. */
    public static final class PartitionState {
        long position = -1;
        boolean paused;

        public long position() {
            return position;
        }

        public boolean paused() {
            return paused;
        }

        public boolean hasPosition() {
            return position >= 0;
        }
    }

    private Mode mode = Mode.NONE;
    private Set<String> topics = Set.of();
    private final Map<TopicPartition, PartitionState> assigned = new LinkedHashMap<>();
    private volatile Set<TopicPartition> snapshot = Set.of();

    public Mode mode() {
        return mode;
    }

    public void mode(Mode mode, Set<String> topics) {
        this.mode = mode;
        this.topics = Set.copyOf(topics);
    }

    /** The subscribed topics (empty unless subscribed). */
    public Set<String> topics() {
        return topics;
    }

    /** Replaces the owned partitions: kept ones keep their state, new ones start without a position. */
    public void assign(Collection<TopicPartition> partitions) {
        assigned.keySet().retainAll(Set.copyOf(partitions));
        for (TopicPartition tp : partitions) {
            assigned.computeIfAbsent(tp, k -> new PartitionState());
        }
        publish();
    }

    public void add(Collection<TopicPartition> partitions) {
        for (TopicPartition tp : partitions) {
            assigned.computeIfAbsent(tp, k -> new PartitionState());
        }
        publish();
    }

    public void remove(Collection<TopicPartition> partitions) {
        partitions.forEach(assigned::remove);
        publish();
    }

    private void publish() {
        snapshot = Set.copyOf(assigned.keySet());
    }

    /** The owned partitions, for another thread. */
    public Set<TopicPartition> assignedSnapshot() {
        return snapshot;
    }

    public Set<TopicPartition> assigned() {
        return new LinkedHashSet<>(assigned.keySet());
    }

    public boolean isAssigned(TopicPartition tp) {
        return assigned.containsKey(tp);
    }

    /** The state of an owned partition, or null. */
    public PartitionState state(TopicPartition tp) {
        return assigned.get(tp);
    }

    public void position(TopicPartition tp, long position) {
        PartitionState s = assigned.get(tp);
        if (s != null) {
            s.position = position;
        }
    }

    public void paused(TopicPartition tp, boolean paused) {
        PartitionState s = assigned.get(tp);
        if (s != null) {
            s.paused = paused;
        }
    }

    /** Owned, not paused, with a position: what the fetcher should read, with positions. */
    public Map<TopicPartition, Long> fetchable() {
        Map<TopicPartition, Long> out = new LinkedHashMap<>();
        assigned.forEach((tp, s) -> {
            if (!s.paused && s.position >= 0) {
                out.put(tp, s.position);
            }
        });
        return out;
    }

    public boolean isFetchable(TopicPartition tp) {
        PartitionState s = assigned.get(tp);
        return s != null && !s.paused && s.position >= 0;
    }

    /** Owned partitions without a position. */
    public Set<TopicPartition> missingPositions() {
        Set<TopicPartition> out = new LinkedHashSet<>();
        assigned.forEach((tp, s) -> {
            if (s.position < 0) {
                out.add(tp);
            }
        });
        return out;
    }

    /** Positions of owned partitions that have one. */
    public Map<TopicPartition, Long> positions() {
        Map<TopicPartition, Long> out = new LinkedHashMap<>();
        assigned.forEach((tp, s) -> {
            if (s.position >= 0) {
                out.put(tp, s.position);
            }
        });
        return out;
    }

    public Set<TopicPartition> paused() {
        Set<TopicPartition> out = new LinkedHashSet<>();
        assigned.forEach((tp, s) -> {
            if (s.paused) {
                out.add(tp);
            }
        });
        return out;
    }
}
