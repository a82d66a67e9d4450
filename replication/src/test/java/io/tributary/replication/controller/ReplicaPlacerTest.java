package io.tributary.replication.controller;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(10)
class ReplicaPlacerTest {

    private static List<ReplicaPlacer.Candidate> brokers(int n, String... racks) {
        List<ReplicaPlacer.Candidate> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new ReplicaPlacer.Candidate(i + 1, racks.length == 0 ? "" : racks[i % racks.length]));
        }
        return out;
    }

    @Test
    void shouldSpreadReplicasAndPreferredLeadersEvenlyOverFiveBrokers() {
        List<List<Integer>> placement = new ReplicaPlacer(brokers(5), Map.of(), Map.of()).place(10, 3);

        Map<Integer, Integer> replicas = new HashMap<>();
        Map<Integer, Integer> leaders = new HashMap<>();
        for (List<Integer> p : placement) {
            assertThat(p).hasSize(3).doesNotHaveDuplicates();
            p.forEach(b -> replicas.merge(b, 1, Integer::sum));
            leaders.merge(p.get(0), 1, Integer::sum);
        }
        assertThat(replicas).containsOnlyKeys(1, 2, 3, 4, 5).allSatisfy((b, n) -> assertThat(n).isEqualTo(6));
        assertThat(leaders).containsOnlyKeys(1, 2, 3, 4, 5).allSatisfy((b, n) -> assertThat(n).isEqualTo(2));
    }

    @Test
    void shouldBeDeterministic() {
        List<List<Integer>> a = new ReplicaPlacer(brokers(7), Map.of(), Map.of()).place(20, 3);
        List<List<Integer>> b = new ReplicaPlacer(brokers(7), Map.of(), Map.of()).place(20, 3);
        assertThat(a).isEqualTo(b);
    }

    @Test
    void shouldNotAlwaysPairTheSameFollowers() {
        List<List<Integer>> placement = new ReplicaPlacer(brokers(5), Map.of(), Map.of()).place(10, 3);
        Set<Set<Integer>> sets = new HashSet<>();
        placement.forEach(p -> sets.add(Set.copyOf(p)));
        assertThat(sets.size()).isGreaterThanOrEqualTo(5);
    }

    @Test
    void shouldBalanceAcrossTopicsUsingExistingLoad() {
        List<List<Integer>> first = new ReplicaPlacer(brokers(3), Map.of(), Map.of()).place(1, 1);
        List<List<Integer>> existing = new ArrayList<>(first);
        List<List<Integer>> second = ReplicaPlacer.forAssignments(brokers(3), existing).place(2, 1);
        Set<Integer> all = new HashSet<>();
        first.forEach(all::addAll);
        second.forEach(all::addAll);
        assertThat(all).containsExactlyInAnyOrder(1, 2, 3);
    }

    @Test
    void shouldPutReplicasOnDistinctRacksWhenRacksAreSet() {
        List<ReplicaPlacer.Candidate> six = brokers(6, "a", "a", "b", "b", "c", "c");
        Map<Integer, String> rackOf = new HashMap<>();
        six.forEach(c -> rackOf.put(c.id(), c.rack()));
        List<List<Integer>> placement = new ReplicaPlacer(six, Map.of(), Map.of()).place(12, 3);
        for (List<Integer> p : placement) {
            assertThat(p.stream().map(rackOf::get).distinct()).hasSize(3);
        }
        Map<Integer, Integer> replicas = new HashMap<>();
        placement.forEach(p -> p.forEach(b -> replicas.merge(b, 1, Integer::sum)));
        assertThat(replicas.values()).allSatisfy(n -> assertThat(n).isEqualTo(6));
    }

    @Test
    void shouldRefuseAReplicationFactorAboveTheBrokerCount() {
        assertThatThrownBy(() -> new ReplicaPlacer(brokers(2), Map.of(), Map.of()).place(1, 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3");
    }

    @Test
    void shouldReplaceAGoneBrokerWithTheLeastLoadedOneNotInTheList() {
        // Broker 4 holds nothing, 5 holds a lot: 4 wins; 1 and 2 are already in the list.
        ReplicaPlacer placer = new ReplicaPlacer(brokers(5), Map.of(1, 5, 2, 5, 3, 5, 4, 0, 5, 9), Map.of());
        assertThat(placer.replacement(List.of(1, 2, 3), 3)).contains(4);
        assertThat(new ReplicaPlacer(brokers(3), Map.of(), Map.of()).replacement(List.of(1, 2, 3), 3)).isEmpty();
    }
}
