package io.tributary.replication.controller;

import io.tributary.replication.TopicPartition;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Decides which replicas on dead brokers the controller moves, and where. Pure: the controller
 * feeds it the committed assignments, liveness and leaders, and commits its decisions as
 * {@code ReassignPartition} commands; each partition's leader then changes its Raft group (see
 * {@link PartitionReconciler}). Stateless; thread-safe.
 *
 * <p>A replica is moved when its broker has been silent longer than the replacement timeout,
 * one replica per partition per decision, and only while the partition can still change its
 * group: a live leader is reported and a majority of its current replicas are alive (a
 * membership change needs a majority of the old group). The new broker is a live one not already
 * in the list, with the fewest replicas (rack-aware), chosen by {@link ReplicaPlacer}; it takes
 * the dead broker's position in the list.
 */
public final class ReplicaReplacer {

    /** One decision: replace {@code gone} in {@code partition}'s replicas. */
    public record Reassignment(TopicPartition partition, List<Integer> expectedReplicas, List<Integer> newReplicas,
                               int gone, int replacement) {
    }

    private ReplicaReplacer() {
    }

    /**
     * @param assignments committed replica lists by partition
     * @param replaceable brokers silent longer than the replacement timeout
     * @param alive brokers alive now
     * @param leaders live leader by partition (absent or -1: no leader)
     * @param placer a placer over the live brokers, loaded with the current assignments
     * @param skip partitions with a reassignment already in flight
     */
    public static List<Reassignment> plan(Map<TopicPartition, List<Integer>> assignments, Set<Integer> replaceable,
                                          Set<Integer> alive, Map<TopicPartition, Integer> leaders,
                                          ReplicaPlacer placer, Set<TopicPartition> skip) {
        List<Reassignment> out = new ArrayList<>();
        if (replaceable.isEmpty()) {
            return out;
        }
        for (Map.Entry<TopicPartition, List<Integer>> e : new TreeMap<>(assignments).entrySet()) {
            TopicPartition tp = e.getKey();
            List<Integer> replicas = e.getValue();
            if (skip.contains(tp)) {
                continue;
            }
            Optional<Integer> gone = replicas.stream().filter(replaceable::contains).findFirst();
            if (gone.isEmpty()) {
                continue;
            }
            int leader = leaders.getOrDefault(tp, -1);
            long liveReplicas = replicas.stream().filter(alive::contains).count();
            if (leader < 0 || !alive.contains(leader) || liveReplicas <= replicas.size() / 2) {
                continue;
            }
            Optional<Integer> replacement = placer.replacement(replicas, gone.get());
            if (replacement.isEmpty()) {
                continue;
            }
            List<Integer> next = new ArrayList<>(replicas);
            next.set(next.indexOf(gone.get()), replacement.get());
            out.add(new Reassignment(tp, List.copyOf(replicas), List.copyOf(next), gone.get(), replacement.get()));
        }
        return out;
    }
}
