package io.tributary.replication.metadata;

import io.tributary.proto.internal.v1.BrokerRegistrationRecord;
import io.tributary.proto.internal.v1.CreateTopic;
import io.tributary.proto.internal.v1.MetadataCommand;
import io.tributary.proto.internal.v1.PartitionAssignmentRecord;
import io.tributary.proto.internal.v1.PartitionLeadership;
import io.tributary.proto.internal.v1.RegisterBroker;
import io.tributary.proto.internal.v1.ReplicaStatusReport;
import io.tributary.proto.internal.v1.TopicRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** Liveness with an injected clock: grace after election, session timeout, merged leadership. */
@Timeout(10)
class BrokerLivenessTest {

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final BrokerLiveness liveness = new BrokerLiveness(1000, nanos::get);

    private void advanceMs(long ms) {
        nanos.addAndGet(ms * 1_000_000L);
    }

    private static MetadataImage image() {
        MetadataImage img = MetadataImage.EMPTY;
        long index = 0;
        for (int id = 1; id <= 3; id++) {
            img = CommandApplier.apply(img, MetadataCommand.newBuilder().setVersion(1).setRegisterBroker(
                    RegisterBroker.newBuilder().setBroker(BrokerRegistrationRecord.newBuilder().setId(id).setHost("h")
                            .setClientPort(1).setRaftAddress("h:1"))).build(), 1, ++index).image();
        }
        return CommandApplier.apply(img, MetadataCommand.newBuilder().setVersion(1).setCreateTopic(
                CreateTopic.newBuilder().setTopic(TopicRecord.newBuilder().setName("t").setTopicId("id")
                        .addPartitions(PartitionAssignmentRecord.newBuilder().setPartition(0)
                                .addAllReplicas(List.of(1, 2, 3))))).build(), 1, ++index).image();
    }

    private static ReplicaStatusReport report(int leader, long term, List<Integer> isr) {
        return ReplicaStatusReport.newBuilder().setTopic("t").setPartition(0).setTopicId("id").setLeaderId(leader)
                .setLeaderEpoch(term).addAllInSyncReplicas(isr).build();
    }

    @Test
    void shouldGiveEveryBrokerOneSessionOfGraceAfterAnElection() {
        liveness.onElected();
        assertThat(liveness.alive(Set.of(1, 2, 3))).containsExactly(1, 2, 3);
        advanceMs(600);
        liveness.record(1, 7, List.of());
        advanceMs(600);
        assertThat(liveness.alive(Set.of(1, 2, 3))).containsExactly(1);
        assertThat(liveness.silentForMs(2)).isEqualTo(1200);
        assertThat(liveness.silentForMs(1)).isEqualTo(600);
        advanceMs(500);
        assertThat(liveness.alive(Set.of(1, 2, 3))).isEmpty();
        // A new election forgives everyone again.
        liveness.onElected();
        assertThat(liveness.alive(Set.of(1, 2, 3))).containsExactly(1, 2, 3);
        assertThat(liveness.silentForMs(2)).isZero();
    }

    @Test
    void shouldMergeLeadershipFromLiveSelfReportedLeadersWithTheHighestTerm() {
        MetadataImage img = image();
        liveness.onElected();
        liveness.record(1, 1, List.of(report(1, 3, List.of(1, 2))));
        liveness.record(2, 1, List.of(report(2, 4, List.of(2, 3))));
        liveness.record(3, 1, List.of(report(2, 4, List.of())));
        PartitionLeadership l = liveness.leadership(img).get(0);
        assertThat(l.getLeaderId()).isEqualTo(2);
        assertThat(l.getLeaderEpoch()).isEqualTo(4);
        assertThat(l.getInSyncReplicasList()).containsExactly(2, 3);

        // Broker 2 goes silent: its claim no longer counts, broker 1's older one does.
        advanceMs(800);
        liveness.record(1, 1, List.of(report(1, 3, List.of(1))));
        liveness.record(3, 1, List.of());
        advanceMs(400);
        l = liveness.leadership(img).get(0);
        assertThat(l.getLeaderId()).isEqualTo(1);

        liveness.onDemoted();
        assertThat(liveness.isLeader()).isFalse();
        assertThat(liveness.leadership(img).get(0).getLeaderId()).isEqualTo(-1);
    }
}
