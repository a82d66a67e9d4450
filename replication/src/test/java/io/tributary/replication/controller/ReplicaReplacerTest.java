package io.tributary.replication.controller;

import io.tributary.replication.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(10)
class ReplicaReplacerTest {

    private static final TopicPartition T0 = new TopicPartition("t", 0);
    private static final TopicPartition T1 = new TopicPartition("t", 1);

    private static ReplicaPlacer placer(Set<Integer> alive, Map<TopicPartition, List<Integer>> assignments) {
        List<ReplicaPlacer.Candidate> c = new ArrayList<>();
        alive.forEach(id -> c.add(new ReplicaPlacer.Candidate(id, "")));
        return ReplicaPlacer.forAssignments(c, assignments.values());
    }

    @Test
    void shouldMoveTheDeadBrokersReplicaInPlaceToALiveBroker() {
        Map<TopicPartition, List<Integer>> a = Map.of(T0, List.of(1, 2, 3), T1, List.of(2, 3, 4));
        Set<Integer> alive = Set.of(2, 3, 4);
        List<ReplicaReplacer.Reassignment> plan = ReplicaReplacer.plan(a, Set.of(1), alive, Map.of(T0, 2, T1, 2),
                placer(alive, a), Set.of());
        assertThat(plan).singleElement().satisfies(r -> {
            assertThat(r.partition()).isEqualTo(T0);
            assertThat(r.expectedReplicas()).containsExactly(1, 2, 3);
            assertThat(r.newReplicas()).containsExactly(4, 2, 3);
        });
    }

    @Test
    void shouldNotMoveWithoutALeaderOrMajority() {
        Map<TopicPartition, List<Integer>> a = Map.of(T0, List.of(1, 2, 3));
        Set<Integer> alive = Set.of(3, 4, 5);
        assertThat(ReplicaReplacer.plan(a, Set.of(1, 2), alive, Map.of(T0, 3), placer(alive, a), Set.of())).isEmpty();
        Set<Integer> alive2 = Set.of(2, 3, 4);
        assertThat(ReplicaReplacer.plan(a, Set.of(1), alive2, Map.of(), placer(alive2, a), Set.of())).isEmpty();
        assertThat(ReplicaReplacer.plan(a, Set.of(1), alive2, Map.of(T0, 2), placer(alive2, a), Set.of(T0))).isEmpty();
    }
}
