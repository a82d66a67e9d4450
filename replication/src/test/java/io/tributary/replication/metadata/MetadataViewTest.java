package io.tributary.replication.metadata;

import io.tributary.proto.internal.v1.BrokerRegistrationRecord;
import io.tributary.proto.internal.v1.MetadataCommand;
import io.tributary.proto.internal.v1.PartitionLeadership;
import io.tributary.proto.internal.v1.RegisterBroker;
import io.tributary.replication.ClusterMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(10)
class MetadataViewTest {

    private static MetadataImage withBrokers(int n) {
        MetadataImage img = MetadataImage.EMPTY;
        for (int id = 1; id <= n; id++) {
            img = CommandApplier.apply(img, MetadataCommand.newBuilder().setVersion(1).setRegisterBroker(
                    RegisterBroker.newBuilder().setProposedClusterId("c").setBroker(BrokerRegistrationRecord
                            .newBuilder().setId(id).setHost("h").setClientPort(1).setRaftAddress("h:2"))).build(),
                    1, id).image();
        }
        return img;
    }

    @Test
    void shouldNeverClaimTheControllersStateBeforeItIsTheCurrentView() throws Exception {
        // The reconciler reads hasControllerState() then current() without the view's lock; when the
        // flag came first, it took the empty initial view for the controller's and removed every
        // replica after a whole-cluster restart.
        for (int round = 0; round < 50; round++) {
            MetadataView view = new MetadataView(Set.of(1));
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.atomic.AtomicBoolean sawEmpty = new java.util.concurrent.atomic.AtomicBoolean();
            Thread reader = new Thread(() -> {
                while (!stop.get()) {
                    if (view.hasControllerState() && view.current().brokers().isEmpty()) {
                        sawEmpty.set(true);
                    }
                }
            });
            reader.start();
            view.publish(withBrokers(2), List.of(1, 2), List.<PartitionLeadership>of(), Optional.of(1));
            stop.set(true);
            reader.join();
            assertThat(sawEmpty).as("round %d", round).isFalse();
            assertThat(view.hasControllerState()).isTrue();
        }
    }

    @Test
    void shouldPublishChangesOnlyAndNeverGoBackToAnOlderState() {
        MetadataView view = new MetadataView(Set.of(1));
        List<ClusterMetadata> seen = new ArrayList<>();
        view.addListener(seen::add);

        assertThat(view.publish(withBrokers(2), List.of(1, 2), List.<PartitionLeadership>of(), Optional.of(1)))
                .isTrue();
        assertThat(view.publish(null, List.of(1, 2), List.<PartitionLeadership>of(), Optional.of(1))).isFalse();
        assertThat(view.current().brokers()).containsOnlyKeys(1, 2);
        assertThat(view.current().brokers().get(1).controllerVoter()).isTrue();
        assertThat(view.current().brokers().get(2).controllerVoter()).isFalse();

        // A deposed controller's older state is ignored.
        assertThat(view.publish(withBrokers(1), List.of(1), List.<PartitionLeadership>of(), Optional.of(2)))
                .isFalse();
        assertThat(view.current().brokers()).containsOnlyKeys(1, 2);

        assertThat(view.publish(null, List.of(1), List.<PartitionLeadership>of(), Optional.of(1))).isTrue();
        assertThat(view.current().brokers().get(2).alive()).isFalse();
        assertThat(view.controllerLost()).isTrue();
        assertThat(view.current().controllerId()).isEmpty();
        assertThat(seen).hasSize(3);
        assertThat(seen.get(2).version()).isGreaterThan(seen.get(1).version());
    }
}
