package io.tributary.replication.controller;

import io.tributary.replication.BrokerInfo;
import io.tributary.replication.ClusterMetadata;
import io.tributary.replication.PartitionInfo;
import io.tributary.replication.TopicInfo;
import io.tributary.replication.TopicPartition;
import io.tributary.replication.partition.ReplicaReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The reconciler's decisions, from metadata and local reports, without a cluster. */
@Timeout(10)
class PartitionReconcilerTest {

    private static final int ME = 1;
    private static final TopicPartition T0 = new TopicPartition("t", 0);
    private static final TopicPartition T1 = new TopicPartition("t", 1);

    private static ClusterMetadata metadata(Set<Integer> alive, Map<String, String> configs,
                                            List<Integer>... replicas) {
        Map<Integer, BrokerInfo> brokers = new HashMap<>();
        for (int id = 1; id <= 4; id++) {
            brokers.put(id, new BrokerInfo(id, "127.0.0.1", 7400 + id, "127.0.0.1:" + (7500 + id), "",
                    alive.contains(id), id <= 3));
        }
        List<PartitionInfo> parts = new java.util.ArrayList<>();
        for (int p = 0; p < replicas.length; p++) {
            parts.add(new PartitionInfo(p, replicas[p], -1, -1, List.of()));
        }
        return new ClusterMetadata("c", 1, Optional.of(1), brokers,
                Map.of("t", new TopicInfo("t", "id-t", configs, parts)));
    }

    private static ReplicaReport report(int leader, List<Integer> members, List<Integer> isr) {
        return new ReplicaReport("id-t", leader, 3, leader == ME, members, isr, 0, 10, 10, 100, 5);
    }

    private static PartitionReconciler.Desired desired(List<Integer> replicas, Map<String, String> configs) {
        return new PartitionReconciler.Desired("id-t", replicas,
                replicas.stream().map(id -> "127.0.0.1:" + (7500 + id)).toList(), configs);
    }

    @Test
    void shouldEnsureAssignedReplicasAndRemoveTheOthers() {
        ClusterMetadata md = metadata(Set.of(1, 2, 3), Map.of(), List.of(1, 2, 3), List.of(2, 3, 4));
        PartitionReconciler.Plan plan = PartitionReconciler.plan(ME, md, true,
                Map.of(T1, "id-t", new TopicPartition("gone", 0), "id-gone"), Map.of(), Map.of(), Set.of(), false);
        assertThat(plan.ensures()).containsExactly(T0);
        assertThat(plan.removals()).containsExactlyInAnyOrder(T1, new TopicPartition("gone", 0));
        // Nothing is removed before the controller's metadata arrived.
        assertThat(PartitionReconciler.plan(ME, md, false, Map.of(T1, "id-t"), Map.of(), Map.of(), Set.of(), false)
                .removals()).isEmpty();
    }

    @Test
    void shouldRemoveNothingOnMetadataThatDoesNotListThisBroker() {
        // The empty view a broker starts with, taken for the controller's state, removed every
        // replica after a whole-cluster restart (FullRestartIT).
        ClusterMetadata empty = new ClusterMetadata("", 0, Optional.empty(), Map.of(), Map.of());
        assertThat(PartitionReconciler.plan(ME, empty, true, Map.of(T0, "id-t", T1, "id-t"), Map.of(), Map.of(),
                Set.of(), false).removals()).isEmpty();
    }

    @Test
    void shouldReplaceAReplicaOfAnOlderTopicWithTheSameName() {
        ClusterMetadata md = metadata(Set.of(1, 2, 3), Map.of(), List.of(1, 2, 3));
        PartitionReconciler.Plan plan = PartitionReconciler.plan(ME, md, true, Map.of(T0, "id-old"), Map.of(),
                Map.of(), Set.of(), false);
        assertThat(plan.removals()).containsExactly(T0);
        assertThat(plan.ensures()).isEmpty();
    }

    @Test
    void shouldEnsureAgainWhenTheTopicConfigChanges() {
        ClusterMetadata md = metadata(Set.of(1, 2, 3), Map.of("retention.ms", "5"), List.of(1, 2, 3));
        Map<TopicPartition, PartitionReconciler.Desired> ensured = Map.of(T0, desired(List.of(1, 2, 3), Map.of()));
        assertThat(PartitionReconciler.plan(ME, md, true, Map.of(T0, "id-t"), Map.of(), ensured, Set.of(), false)
                .ensures()).containsExactly(T0);
        Map<TopicPartition, PartitionReconciler.Desired> current =
                Map.of(T0, desired(List.of(1, 2, 3), Map.of("retention.ms", "5")));
        assertThat(PartitionReconciler.plan(ME, md, true, Map.of(T0, "id-t"), Map.of(), current, Set.of(), false)
                .isEmpty()).isTrue();
    }

    @Test
    void shouldChangeTheGroupOnTheLeaderOnceTheNewMembersAreAlive() {
        ClusterMetadata md = metadata(Set.of(1, 2, 4), Map.of(), List.of(1, 2, 4));
        Map<TopicPartition, PartitionReconciler.Desired> ensured = Map.of(T0, desired(List.of(1, 2, 4), Map.of()));
        Map<TopicPartition, ReplicaReport> led = Map.of(T0, report(ME, List.of(1, 2, 3), List.of(1, 2)));
        assertThat(PartitionReconciler.plan(ME, md, true, Map.of(T0, "id-t"), led, ensured, Set.of(), false)
                .membershipChanges()).containsExactly(T0);
        // Not the leader: nothing; new member dead: wait.
        Map<TopicPartition, ReplicaReport> follower = Map.of(T0, report(2, List.of(1, 2, 3), List.of()));
        assertThat(PartitionReconciler.plan(ME, md, true, Map.of(T0, "id-t"), follower, ensured, Set.of(), false)
                .membershipChanges()).isEmpty();
        ClusterMetadata deadNewMember = metadata(Set.of(1, 2), Map.of(), List.of(1, 2, 4));
        assertThat(PartitionReconciler.plan(ME, deadNewMember, true, Map.of(T0, "id-t"), led, ensured, Set.of(), false)
                .membershipChanges()).isEmpty();
    }

    @Test
    void shouldHandLeadershipToThePreferredReplicaWhenItIsAliveAndInSync() {
        ClusterMetadata md = metadata(Set.of(1, 2, 3), Map.of(), List.of(2, 1, 3));
        Map<TopicPartition, PartitionReconciler.Desired> ensured = Map.of(T0, desired(List.of(2, 1, 3), Map.of()));
        Map<TopicPartition, ReplicaReport> led = Map.of(T0, report(ME, List.of(1, 2, 3), List.of(1, 2, 3)));
        assertThat(PartitionReconciler.plan(ME, md, true, Map.of(T0, "id-t"), led, ensured, Set.of(), true)
                .transfers()).containsExactly(Map.entry(T0, 2));
        // Not due, or the preferred replica is behind: keep it.
        assertThat(PartitionReconciler.plan(ME, md, true, Map.of(T0, "id-t"), led, ensured, Set.of(), false)
                .transfers()).isEmpty();
        Map<TopicPartition, ReplicaReport> behind = Map.of(T0, report(ME, List.of(1, 2, 3), List.of(1, 3)));
        assertThat(PartitionReconciler.plan(ME, md, true, Map.of(T0, "id-t"), behind, ensured, Set.of(), true)
                .transfers()).isEmpty();
        // Already the preferred leader: nothing.
        ClusterMetadata mine = metadata(Set.of(1, 2, 3), Map.of(), List.of(1, 2, 3));
        Map<TopicPartition, PartitionReconciler.Desired> ensuredMine = Map.of(T0, desired(List.of(1, 2, 3), Map.of()));
        assertThat(PartitionReconciler.plan(ME, mine, true, Map.of(T0, "id-t"), led, ensuredMine, Set.of(), true)
                .transfers()).isEmpty();
    }
}
