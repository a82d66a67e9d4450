package io.tributary.client.consumer.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.client.ClientConfig;
import io.tributary.client.TopicPartition;
import io.tributary.client.internal.ClientContext;
import io.tributary.proto.v1.Assignment;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The reconciliation the polling thread does from the coordinator's target (no thread started, no network). */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class GroupMembershipTest {

    private static final TopicPartition A = new TopicPartition("t", 0);
    private static final TopicPartition B = new TopicPartition("t", 1);
    private static final TopicPartition C = new TopicPartition("t", 2);

    ClientContext ctx;
    GroupMembership m;
    final AtomicReference<Set<TopicPartition>> owned = new AtomicReference<>(Set.of());
    final AtomicInteger wakeups = new AtomicInteger();

    @BeforeEach
    void setUp() {
        ctx = new ClientContext(ClientConfig.of(Map.of("bootstrap.servers", "127.0.0.1:1")), "consumer");
        m = new GroupMembership(ctx, new GroupClient(ctx, "g"), Set.of("t"), 0, 0, "", Duration.ofMinutes(5),
                owned::get, wakeups::incrementAndGet);
    }

    @AfterEach
    void tearDown() {
        ctx.close();
    }

    private static Assignment assignment(List<TopicPartition> assigned, List<TopicPartition> toRevoke) {
        Assignment.Builder b = Assignment.newBuilder();
        assigned.forEach(tp -> b.addAssigned(io.tributary.proto.v1.TopicPartition.newBuilder().setTopic(tp.topic())
                .setPartition(tp.partition())));
        toRevoke.forEach(tp -> b.addToRevoke(io.tributary.proto.v1.TopicPartition.newBuilder().setTopic(tp.topic())
                .setPartition(tp.partition())));
        return b.build();
    }

    private void apply(Assignment a) {
        synchronized (m) {
            m.apply(a);
        }
    }

    @Test
    void shouldAssignTheTargetAndRevokeOnlyWhatLeavesIt() {
        apply(assignment(List.of(A, B, C), List.of()));
        assertThat(wakeups.get()).isEqualTo(1);
        GroupMembership.Plan p = m.plan(Set.of());
        assertThat(p.assign()).containsExactlyInAnyOrder(A, B, C);
        assertThat(p.revoke()).isEmpty();
        owned.set(Set.of(A, B, C));
        assertThat(m.plan(Set.of(A, B, C)).isEmpty()).isTrue();

        apply(assignment(List.of(A), List.of(B, C)));
        p = m.plan(Set.of(A, B, C));
        assertThat(p.revoke()).containsExactlyInAnyOrder(B, C);
        assertThat(p.assign()).isEmpty();
        assertThat(p.lost()).isEmpty();
        // The same answer again (a heartbeat before poll finished) plans the same, nothing more.
        apply(assignment(List.of(A), List.of(B, C)));
        assertThat(m.plan(Set.of(A, B, C)).revoke()).containsExactlyInAnyOrder(B, C);
        assertThat(m.plan(Set.of(A)).isEmpty()).isTrue();
    }

    @Test
    void shouldLoseEverythingOwnedWhenFencedAndTakeTheNewTargetAfterwards() {
        apply(assignment(List.of(A, B), List.of()));
        owned.set(Set.of(A, B));
        m.fence();
        GroupMembership.Plan p = m.plan(Set.of(A, B));
        assertThat(p.lost()).containsExactlyInAnyOrder(A, B);
        assertThat(p.revoke()).isEmpty();
        assertThat(p.assign()).isEmpty();
        // Rejoined with a new target before poll dropped the lost ones: B again, and C.
        apply(assignment(List.of(B, C), List.of()));
        p = m.plan(Set.of(A, B));
        assertThat(p.lost()).containsExactlyInAnyOrder(A, B);
        assertThat(p.assign()).containsExactlyInAnyOrder(B, C);
        m.lostDone(p.lost());
        owned.set(Set.of(B, C));
        assertThat(m.plan(Set.of(B, C)).isEmpty()).isTrue();
    }

    @Test
    void shouldHaveAStableRandomMemberId() {
        assertThat(m.memberId()).hasSize(36).isEqualTo(m.memberId());
        GroupMembership other = new GroupMembership(ctx, new GroupClient(ctx, "g"), Set.of("t"), 0, 0, "",
                Duration.ofMinutes(5), owned::get, () -> { });
        assertThat(other.memberId()).isNotEqualTo(m.memberId());
    }
}
