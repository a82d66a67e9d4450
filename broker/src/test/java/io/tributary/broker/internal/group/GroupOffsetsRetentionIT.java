package io.tributary.broker.internal.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tributary.broker.TestCluster;
import io.tributary.proto.v1.DescribeGroupsRequest;
import io.tributary.proto.v1.ErrorCode;
import io.tributary.proto.v1.GroupDescription;
import io.tributary.proto.v1.ListGroupsRequest;
import io.tributary.proto.v1.OffsetCommitPartition;
import io.tributary.proto.v1.OffsetCommitRequest;
import io.tributary.proto.v1.OffsetFetchRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Offsets retention ({@code group.offsets.retention.ms}, here 4 s, checked every 100 ms): a group
 * that has had no members and no commit for the retention is deleted with its offsets; a group
 * with members keeps them however old its commits; a commit to an empty group restarts the
 * count; and the decision rests on times in the records, so a coordinator that reloads the
 * partition after the retention has passed deletes at once, not a retention after its load.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class GroupOffsetsRetentionIT {

    static final long RETENTION_MS = 2_500;

    TestCluster cluster;
    GroupCalls calls;

    @BeforeAll
    void start(@TempDir Path dir) {
        cluster = new TestCluster(dir, 1, Map.of(
                "group.offsets.topic.partitions", "2",
                "group.min.session.timeout.ms", "500",
                "group.heartbeat.interval.ms", "200",
                "group.offsets.retention.ms", Long.toString(RETENTION_MS),
                "group.offsets.retention.check.interval.ms", "100")).start();
        calls = new GroupCalls(cluster);
        cluster.createTopic("events", 2, 1, Map.of());
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void shouldDeleteAGroupEmptyForTheRetentionAndKeepOneWithMembers() {
        TestMember active = new TestMember(calls, "active");
        active.join("", "events");
        TestMember leaving = new TestMember(calls, "leaving");
        leaving.join("", "events");
        await().atMost(Duration.ofSeconds(30)).until(() -> active.heartbeat() != null && active.owned.size() == 2
                && leaving.heartbeat() != null && leaving.owned.size() == 2);
        assertThat(active.commit(active.generation, "events", 0, 5).getPartitions(0).hasError()).isFalse();
        assertThat(leaving.commit(leaving.generation, "events", 1, 7).getPartitions(0).hasError()).isFalse();
        assertThat(standaloneCommit("standalone", 0, 3).getPartitions(0).hasError()).isFalse();
        long standaloneAt = System.currentTimeMillis();
        leaving.leave();
        long leftAt = System.currentTimeMillis();
        assertThat(describe("leaving").getState()).isEqualTo(io.tributary.proto.v1.GroupState.GROUP_STATE_EMPTY);

        // Keep "active" alive while the others expire.
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> active.heartbeat() != null && isGone("leaving") && isGone("standalone"));
        long goneAt = System.currentTimeMillis();
        assertThat(goneAt - leftAt).as("deleted no earlier than the retention after its last member left")
                .isGreaterThanOrEqualTo(RETENTION_MS);
        assertThat(goneAt - standaloneAt).isGreaterThanOrEqualTo(RETENTION_MS);
        assertThat(offsetCount("leaving")).isZero();
        assertThat(offsetCount("standalone")).isZero();
        assertThat(calls.call("leaving", s -> s.listGroups(ListGroupsRequest.getDefaultInstance())).getGroupsList())
                .noneMatch(g -> g.getGroupId().equals("leaving") || g.getGroupId().equals("standalone"));

        // Well past the retention since its commit, the group with a member keeps its offset.
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> active.heartbeat() != null && System.currentTimeMillis() - goneAt > RETENTION_MS);
        assertThat(offsetCount("active")).isEqualTo(1);
        active.leave();
    }

    @Test
    @Order(2)
    void shouldCountFromTheLastCommitToAnEmptyGroup() {
        TestMember m = new TestMember(calls, "reset");
        m.join("", "events");
        await().atMost(Duration.ofSeconds(30)).until(() -> m.heartbeat() != null && m.owned.size() == 2);
        assertThat(m.commit(m.generation, "events", 0, 1).getPartitions(0).hasError()).isFalse();
        m.leave();
        long leftAt = System.currentTimeMillis();
        await().atMost(Duration.ofSeconds(10)).until(() -> System.currentTimeMillis() - leftAt > RETENTION_MS / 2);
        // An administrator resets the offsets of the empty group (a commit without member id).
        assertThat(standaloneCommit("reset", 0, 0).getPartitions(0).hasError()).isFalse();
        long committedAt = System.currentTimeMillis();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> isGone("reset"));
        assertThat(System.currentTimeMillis() - committedAt).isGreaterThanOrEqualTo(RETENTION_MS);
    }

    @Test
    @Order(3)
    void shouldDecideFromTheRecordedTimesAfterTheCoordinatorReloads() {
        TestMember m = new TestMember(calls, "reloaded");
        m.join("", "events");
        await().atMost(Duration.ofSeconds(30)).until(() -> m.heartbeat() != null && m.owned.size() == 2);
        assertThat(m.commit(m.generation, "events", 1, 9).getPartitions(0).hasError()).isFalse();
        m.leave();
        long leftAt = System.currentTimeMillis();
        cluster.stopBroker(1);
        // The retention runs out while no coordinator is up.
        await().atMost(Duration.ofSeconds(30)).until(() -> System.currentTimeMillis() - leftAt > RETENTION_MS + 500);
        cluster.startBroker(1);
        await().atMost(Duration.ofSeconds(60)).until(() -> cluster.broker(1).isReady());

        // The first answer of the reloaded coordinator may already be GROUP_ID_NOT_FOUND; if not,
        // the group goes at the next check, far sooner than a retention counted from the load.
        long servingAt = System.currentTimeMillis();
        GroupDescription first = describe("reloaded");
        if (first.getError().getCode() != ErrorCode.GROUP_ID_NOT_FOUND) {
            servingAt = System.currentTimeMillis();
            assertThat(first.getState()).isEqualTo(io.tributary.proto.v1.GroupState.GROUP_STATE_EMPTY);
            await().atMost(Duration.ofMillis(RETENTION_MS / 2)).pollInterval(Duration.ofMillis(50))
                    .until(() -> isGone("reloaded"));
        }
        assertThat(System.currentTimeMillis() - servingAt).isLessThan(RETENTION_MS);
        assertThat(offsetCount("reloaded")).isZero();

        // The deletion is durable: tombstones, replayed by the next load.
        cluster.stopBroker(1);
        cluster.startBroker(1);
        await().atMost(Duration.ofSeconds(60)).until(() -> cluster.broker(1).isReady());
        assertThat(describe("reloaded").getError().getCode()).isEqualTo(ErrorCode.GROUP_ID_NOT_FOUND);
    }

    // ------------------------------------------------------------------ helpers

    io.tributary.proto.v1.OffsetCommitResponse standaloneCommit(String group, int partition, long offset) {
        return calls.call(group, s -> s.offsetCommit(OffsetCommitRequest.newBuilder().setGroupId(group)
                .addPartitions(OffsetCommitPartition.newBuilder().setTopic("events").setPartition(partition)
                        .setOffset(offset)).build()));
    }

    GroupDescription describe(String group) {
        return calls.call(group, s -> s.describeGroups(DescribeGroupsRequest.newBuilder().addGroupIds(group).build()))
                .getGroups(0);
    }

    boolean isGone(String group) {
        return describe(group).getError().getCode() == ErrorCode.GROUP_ID_NOT_FOUND;
    }

    int offsetCount(String group) {
        return calls.call(group, s -> s.offsetFetch(OffsetFetchRequest.newBuilder().setGroupId(group).build()))
                .getPartitionsCount();
    }
}
