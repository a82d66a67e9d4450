package io.tributary.replication.controller;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Chooses the brokers of new replicas: at topic creation, when partitions are added, and when a
 * replica on a dead broker is replaced. Pure and deterministic: the same brokers and loads give
 * the same placement. Not thread-safe (a placer holds the load it has placed so far); make one per
 * decision.
 *
 * <h2>Algorithm</h2>
 * The placer starts from the current load of every candidate broker (replicas it holds, and
 * preferred leaderships, i.e. partitions it is the first replica of) and places partitions one at
 * a time, updating the load as it goes:
 * <ol>
 * <li>The preferred leader (first replica) is the broker with the fewest preferred leaderships,
 *     then the fewest replicas, then the lowest id.</li>
 * <li>Each further replica is the broker, not yet in the list, that comes first by: a rack not yet
 *     used by this partition (only when brokers declare racks), then the fewest replicas, then the
 *     distance after the leader in id order (so followers of successive leaders rotate instead of
 *     always pairing the same brokers).</li>
 * </ol>
 * With equal brokers this is round robin: 5 brokers and 10 partitions of 3 replicas give every
 * broker 6 replicas and 2 preferred leaderships. Counting existing topics spreads load across
 * topics too.
 */
public final class ReplicaPlacer {

    /** A broker that may receive replicas. */
    public record Candidate(int id, String rack) {
        public Candidate {
            Objects.requireNonNull(rack, "rack");
        }
    }

    private final List<Candidate> brokers;
    private final Map<Integer, Integer> replicaCounts = new HashMap<>();
    private final Map<Integer, Integer> leaderCounts = new HashMap<>();
    private final boolean rackAware;

    /**
     * @param candidates brokers that may receive replicas (the live ones)
     * @param replicaCounts replicas each broker holds now (missing: 0)
     * @param leaderCounts preferred leaderships each broker holds now (missing: 0)
     */
    public ReplicaPlacer(Collection<Candidate> candidates, Map<Integer, Integer> replicaCounts,
                         Map<Integer, Integer> leaderCounts) {
        TreeMap<Integer, Candidate> byId = new TreeMap<>();
        candidates.forEach(c -> byId.put(c.id(), c));
        this.brokers = List.copyOf(byId.values());
        for (Candidate c : brokers) {
            this.replicaCounts.put(c.id(), replicaCounts.getOrDefault(c.id(), 0));
            this.leaderCounts.put(c.id(), leaderCounts.getOrDefault(c.id(), 0));
        }
        this.rackAware = brokers.stream().anyMatch(c -> !c.rack().isEmpty());
    }

    /** Loads (replicas, preferred leaderships) counted from existing assignments (preferred leader first). */
    public static ReplicaPlacer forAssignments(Collection<Candidate> candidates, Collection<List<Integer>> existing) {
        Map<Integer, Integer> replicas = new HashMap<>();
        Map<Integer, Integer> leaders = new HashMap<>();
        for (List<Integer> replicaList : existing) {
            for (int b : replicaList) {
                replicas.merge(b, 1, Integer::sum);
            }
            if (!replicaList.isEmpty()) {
                leaders.merge(replicaList.get(0), 1, Integer::sum);
            }
        }
        return new ReplicaPlacer(candidates, replicas, leaders);
    }

    /** How many candidates there are. */
    public int candidateCount() {
        return brokers.size();
    }

    /**
     * Places {@code partitions} partitions of {@code replicationFactor} replicas each.
     *
     * @return replica lists, preferred leader first, one per partition in order
     * @throws IllegalArgumentException if there are fewer candidates than the replication factor
     */
    public List<List<Integer>> place(int partitions, int replicationFactor) {
        if (replicationFactor < 1 || replicationFactor > brokers.size()) {
            throw new IllegalArgumentException("replication factor " + replicationFactor + " needs that many live "
                    + "brokers; " + brokers.size() + " are available");
        }
        List<List<Integer>> out = new ArrayList<>(partitions);
        for (int p = 0; p < partitions; p++) {
            out.add(placeOne(replicationFactor));
        }
        return out;
    }

    private List<Integer> placeOne(int replicationFactor) {
        Candidate leader = brokers.stream()
                .min(Comparator.<Candidate>comparingInt(c -> leaderCounts.get(c.id()))
                        .thenComparingInt(c -> replicaCounts.get(c.id()))
                        .thenComparingInt(Candidate::id))
                .orElseThrow();
        List<Integer> replicas = new ArrayList<>(replicationFactor);
        Set<String> racks = new HashSet<>();
        add(leader, replicas, racks);
        leaderCounts.merge(leader.id(), 1, Integer::sum);
        int leaderIndex = brokers.indexOf(leader);
        while (replicas.size() < replicationFactor) {
            Candidate next = pick(replicas, racks, leaderIndex).orElseThrow();
            add(next, replicas, racks);
        }
        return List.copyOf(replicas);
    }

    /**
     * Chooses the broker to replace {@code gone} in {@code replicas}: not already in the list, on
     * a rack the other replicas do not use when possible, with the fewest replicas. The choice is
     * counted in this placer's load.
     *
     * @return the broker id, or empty when no candidate is left
     */
    public Optional<Integer> replacement(List<Integer> replicas, int gone) {
        List<Integer> remaining = new ArrayList<>(replicas);
        remaining.remove(Integer.valueOf(gone));
        Set<String> racks = new HashSet<>();
        for (Candidate c : brokers) {
            if (remaining.contains(c.id())) {
                racks.add(c.rack());
            }
        }
        int anchor = Math.max(0, indexOfId(remaining.isEmpty() ? gone : remaining.get(0)));
        Optional<Candidate> next = pick(replicas, racks, anchor);
        next.ifPresent(c -> replicaCounts.merge(c.id(), 1, Integer::sum));
        return next.map(Candidate::id);
    }

    private Optional<Candidate> pick(List<Integer> taken, Set<String> racks, int anchorIndex) {
        int n = brokers.size();
        return brokers.stream()
                .filter(c -> !taken.contains(c.id()))
                .min(Comparator.<Candidate>comparingInt(c -> rackAware && racks.contains(c.rack()) ? 1 : 0)
                        .thenComparingInt(c -> replicaCounts.get(c.id()))
                        .thenComparingInt(c -> Math.floorMod(brokers.indexOf(c) - anchorIndex, n)));
    }

    private void add(Candidate c, List<Integer> replicas, Set<String> racks) {
        replicas.add(c.id());
        racks.add(c.rack());
        replicaCounts.merge(c.id(), 1, Integer::sum);
    }

    private int indexOfId(int id) {
        for (int i = 0; i < brokers.size(); i++) {
            if (brokers.get(i).id() == id) {
                return i;
            }
        }
        return -1;
    }
}
