package io.tributary.broker.internal.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.StatusRuntimeException;
import io.tributary.broker.TestCluster;
import io.tributary.broker.internal.TestBatches;
import io.tributary.proto.v1.DeleteGroupsRequest;
import io.tributary.proto.v1.DeleteTopicsRequest;
import io.tributary.proto.v1.DescribeGroupsRequest;
import io.tributary.proto.v1.ErrorCode;
import io.tributary.proto.v1.FindCoordinatorRequest;
import io.tributary.proto.v1.GroupDescription;
import io.tributary.proto.v1.GroupState;
import io.tributary.proto.v1.HeartbeatRequest;
import io.tributary.proto.v1.JoinGroupRequest;
import io.tributary.proto.v1.ListGroupsRequest;
import io.tributary.proto.v1.OffsetCommitPartition;
import io.tributary.proto.v1.OffsetCommitRequest;
import io.tributary.proto.v1.OffsetCommitResponse;
import io.tributary.proto.v1.OffsetFetchRequest;
import io.tributary.proto.v1.OffsetFetchResponse;
import io.tributary.proto.v1.PartitionLag;
import io.tributary.proto.v1.PartitionProduceData;
import io.tributary.proto.v1.ProduceRequest;
import io.tributary.proto.v1.ResetOffsetResult;
import io.tributary.proto.v1.ResetOffsetsRequest;
import io.tributary.proto.v1.ResetPosition;
import io.tributary.proto.v1.TopicPartition;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
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
 * One broker: the group protocol end to end with raw gRPC calls (join, incremental reassignment,
 * commit fencing, describe with lag, reset, delete, bad input, session expiry, topics created
 * later), and a broker restart that reloads the groups from __consumer_offsets.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class GroupServiceIT {

    static final Map<String, String> GROUP_SETTINGS = Map.of(
            "group.offsets.topic.partitions", "2",
            "group.min.session.timeout.ms", "500",
            "group.heartbeat.interval.ms", "200");

    TestCluster cluster;
    GroupCalls calls;

    @BeforeAll
    void start(@TempDir Path dir) {
        cluster = new TestCluster(dir, 1, GROUP_SETTINGS).start();
        calls = new GroupCalls(cluster);
        cluster.createTopic("events", 6, 1, Map.of());
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void shouldFindTheCoordinatorOnceTheInternalTopicExists() {
        assertThat(calls.coordinator("g1")).isEqualTo(1);
        var t = cluster.admin(1).describeTopics(io.tributary.proto.v1.DescribeTopicsRequest.newBuilder()
                .addNames(GroupCoordinator.TOPIC).setIncludeConfigs(true).build()).getTopics(0);
        assertThat(t.getInternal()).isTrue();
        assertThat(t.getPartitionsCount()).isEqualTo(2);
        assertThat(t.getConfigsList()).anyMatch(c -> c.getName().equals("cleanup.policy")
                && c.getValue().equals("compact"));
    }

    @Test
    @Order(2)
    void shouldMoveOnlyThePartitionsOfAMemberThatLeaves() {
        TestMember a = new TestMember(calls, "incremental");
        TestMember b = new TestMember(calls, "incremental");
        TestMember c = new TestMember(calls, "incremental");
        assertThat(a.join("", "events").getAssignment().getAssignedCount()).isEqualTo(6);
        assertThat(b.join("", "events").getAssignment().getAssignedCount())
                .as("partitions still owned by a are not given yet").isZero();
        c.join("", "events");
        List<TestMember> all = List.of(a, b, c);
        settle(all);
        assertOwnedExactlyOnce(all, 6);
        assertThat(a.owned).hasSize(2);
        assertThat(b.owned).hasSize(2);
        assertThat(c.owned).hasSize(2);

        Set<String> aBefore = new TreeSet<>(a.owned);
        Set<String> bBefore = new TreeSet<>(b.owned);
        a.everRevoked.clear();
        b.everRevoked.clear();
        int aGeneration = a.generation;
        String aKept = aBefore.iterator().next();
        c.leave();
        settle(List.of(a, b));
        assertOwnedExactlyOnce(List.of(a, b), 6);
        assertThat(a.owned).containsAll(aBefore).hasSize(3);
        assertThat(b.owned).containsAll(bBefore).hasSize(3);
        assertThat(a.everRevoked).as("a keeps consuming what it had").isEmpty();
        assertThat(b.everRevoked).as("b keeps consuming what it had").isEmpty();
        assertThat(a.generation).as("a gained a partition").isGreaterThan(aGeneration);

        // A late commit (a's generation moved on because it gained a partition) is accepted.
        int p = Integer.parseInt(aKept.substring(aKept.lastIndexOf('-') + 1));
        OffsetCommitResponse r = a.commit(aGeneration, "events", p, 1);
        assertThat(r.getPartitions(0).hasError()).as(r.toString()).isFalse();
        a.leave();
        b.leave();
    }

    @Test
    @Order(3)
    void shouldFenceCommits() {
        TestMember a = new TestMember(calls, "fencing");
        TestMember b = new TestMember(calls, "fencing");
        a.join("range", "events");
        b.join("range", "events");
        settle(List.of(a, b));
        String mine = a.owned.iterator().next();
        String theirs = b.owned.iterator().next();
        int mp = Integer.parseInt(mine.substring(mine.lastIndexOf('-') + 1));
        int tp = Integer.parseInt(theirs.substring(theirs.lastIndexOf('-') + 1));

        assertThat(a.commit(a.generation, "events", mp, 5).getPartitions(0).hasError()).isFalse();
        assertThat(a.commit(a.generation, "events", tp, 5).getPartitions(0).getError().getCode())
                .isEqualTo(ErrorCode.PARTITION_NOT_OWNED);
        assertThat(GroupCalls.code(() -> a.commit(a.generation + 1, "events", mp, 5)))
                .isEqualTo(ErrorCode.ILLEGAL_GENERATION);
        TestMember stranger = new TestMember(calls, "fencing");
        assertThat(GroupCalls.code(() -> stranger.commit(1, "events", mp, 5))).isEqualTo(ErrorCode.UNKNOWN_MEMBER_ID);
        assertThat(GroupCalls.code(() -> standaloneCommit("fencing", "events", mp, 7)))
                .isEqualTo(ErrorCode.GROUP_NOT_EMPTY);
        // A commit with a generation older than when the member got the partition is fenced.
        assertThat(a.commit(0, "events", mp, 6).getPartitions(0).getError().getCode())
                .isEqualTo(ErrorCode.PARTITION_NOT_OWNED);

        OffsetFetchResponse f = calls.call("fencing", s -> s.offsetFetch(OffsetFetchRequest.newBuilder()
                .setGroupId("fencing").addPartitions(tp("events", mp)).addPartitions(tp("events", tp)).build()));
        assertThat(f.getPartitions(0).getOffset()).isEqualTo(5);
        assertThat(f.getPartitions(0).getCommitTimestampMs()).isPositive();
        assertThat(f.getPartitions(1).getOffset()).isEqualTo(-1);
        a.leave();
        b.leave();
        assertThat(GroupCalls.code(() -> a.leave())).as("leaving twice is not an error").isEqualTo(ErrorCode.NONE);
        assertThat(GroupCalls.code(() -> a.heartbeat())).isEqualTo(ErrorCode.UNKNOWN_MEMBER_ID);
        // Without members, a standalone commit is accepted.
        assertThat(standaloneCommit("fencing", "events", tp, 9).getPartitions(0).hasError()).isFalse();
        assertThat(standaloneCommit("fencing", "nope", 0, 9).getPartitions(0).getError().getCode())
                .isEqualTo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    }

    @Test
    @Order(4)
    void shouldDescribeResetAndDeleteGroups() {
        cluster.produceRetrying(1, ProduceRequest.newBuilder().addPartitions(PartitionProduceData.newBuilder()
                .setTopic("events").setPartition(0).setRecords(ByteString.copyFrom(TestBatches.batch("r", 10))))
                .build());
        TestMember a = new TestMember(calls, "described");
        a.join("round-robin", "events");
        settle(List.of(a));
        assertThat(a.commit(a.generation, "events", 0, 4).getPartitions(0).hasError()).isFalse();

        GroupDescription d = calls.call("described", s -> s.describeGroups(DescribeGroupsRequest.newBuilder()
                .addGroupIds("described").build())).getGroups(0);
        assertThat(d.hasError()).as(d.toString()).isFalse();
        assertThat(d.getState()).isEqualTo(GroupState.GROUP_STATE_STABLE);
        assertThat(d.getAssignor()).isEqualTo("round-robin");
        assertThat(d.getMembersList()).singleElement().satisfies(m -> {
            assertThat(m.getMemberId()).isEqualTo(a.memberId);
            assertThat(m.getClientHost()).isEqualTo("127.0.0.1");
            assertThat(m.getAssignment().getAssignedCount()).isEqualTo(6);
        });
        PartitionLag p0 = d.getOffsetsList().stream().filter(l -> l.getPartition() == 0).findFirst().orElseThrow();
        assertThat(p0.getCommittedOffset()).isEqualTo(4);
        assertThat(p0.getEndOffset()).isEqualTo(10);
        assertThat(p0.getLag()).isEqualTo(6);
        assertThat(p0.getOwnerMemberId()).isEqualTo(a.memberId);
        PartitionLag p1 = d.getOffsetsList().stream().filter(l -> l.getPartition() == 1).findFirst().orElseThrow();
        assertThat(p1.getCommittedOffset()).isEqualTo(-1);
        assertThat(p1.getLag()).isZero();

        ResetOffsetsRequest toEarliest = ResetOffsetsRequest.newBuilder().setGroupId("described")
                .addTopics("events").setPosition(ResetPosition.RESET_POSITION_EARLIEST).build();
        assertThat(GroupCalls.code(() -> calls.call("described", s -> s.resetOffsets(toEarliest))))
                .isEqualTo(ErrorCode.GROUP_NOT_EMPTY);
        assertThat(calls.call("described", s -> s.deleteGroups(DeleteGroupsRequest.newBuilder()
                .addGroupIds("described").build())).getGroups(0).getError().getCode())
                .isEqualTo(ErrorCode.GROUP_NOT_EMPTY);
        assertThat(calls.call("described", s -> s.listGroups(ListGroupsRequest.getDefaultInstance()))
                .getGroupsList()).anyMatch(g -> g.getGroupId().equals("described") && g.getMemberCount() == 1);
        a.leave();

        List<ResetOffsetResult> rs = calls.call("described", s -> s.resetOffsets(toEarliest)).getPartitionsList();
        assertThat(rs).hasSize(6);
        assertThat(rs.get(0).getPreviousOffset()).isEqualTo(4);
        assertThat(rs.get(0).getNewOffset()).isZero();
        ResetOffsetResult dry = calls.call("described", s -> s.resetOffsets(ResetOffsetsRequest.newBuilder()
                .setGroupId("described").addPartitions(tp("events", 0)).setOffset(100).setDryRun(true).build()))
                .getPartitions(0);
        assertThat(dry.getNewOffset()).as("clamped to the high watermark").isEqualTo(10);
        ResetOffsetResult latest = calls.call("described", s -> s.resetOffsets(ResetOffsetsRequest.newBuilder()
                .setGroupId("described").addPartitions(tp("events", 0))
                .setPosition(ResetPosition.RESET_POSITION_LATEST).build())).getPartitions(0);
        assertThat(latest.getPreviousOffset()).as("the dry run committed nothing").isZero();
        assertThat(latest.getNewOffset()).isEqualTo(10);
        ResetOffsetResult byTime = calls.call("described", s -> s.resetOffsets(ResetOffsetsRequest.newBuilder()
                .setGroupId("described").addPartitions(tp("events", 0)).setTimestampMs(0).build())).getPartitions(0);
        assertThat(byTime.getNewOffset()).isZero();

        GroupDescription empty = calls.call("described", s -> s.describeGroups(DescribeGroupsRequest.newBuilder()
                .addGroupIds("described").build())).getGroups(0);
        assertThat(empty.getState()).isEqualTo(GroupState.GROUP_STATE_EMPTY);
        assertThat(empty.getOffsetsList()).filteredOn(l -> l.getPartition() == 0).singleElement()
                .satisfies(l -> assertThat(l.getLag()).isEqualTo(10));

        assertThat(calls.call("described", s -> s.deleteGroups(DeleteGroupsRequest.newBuilder()
                .addGroupIds("described").addGroupIds("never-was").build())).getGroupsList())
                .extracting(g -> g.getError().getCode())
                .containsExactly(ErrorCode.NONE, ErrorCode.GROUP_ID_NOT_FOUND);
        assertThat(calls.call("described", s -> s.describeGroups(DescribeGroupsRequest.newBuilder()
                .addGroupIds("described").build())).getGroups(0).getError().getCode())
                .isEqualTo(ErrorCode.GROUP_ID_NOT_FOUND);
        assertThat(calls.call("described", s -> s.offsetFetch(OffsetFetchRequest.newBuilder()
                .setGroupId("described").build())).getPartitionsCount()).isZero();
    }

    @Test
    @Order(5)
    void shouldRefuseBadInput() {
        var s = calls.stub(1);
        String longId = "g".repeat(256);
        JoinGroupRequest ok = JoinGroupRequest.newBuilder().setGroupId("bad").setMemberId("m").addTopics("events")
                .build();
        assertInvalid(() -> s.joinGroup(ok.toBuilder().setGroupId("").build()), "group_id is empty");
        assertInvalid(() -> s.joinGroup(ok.toBuilder().setGroupId(longId).build()), "256 characters");
        assertInvalid(() -> s.joinGroup(ok.toBuilder().setMemberId("").build()), "member_id is empty");
        assertInvalid(() -> s.joinGroup(ok.toBuilder().clearTopics().build()), "topics is empty");
        assertInvalid(() -> s.joinGroup(ok.toBuilder().setAssignor("fancy").build()), "assignor 'fancy'");
        assertInvalid(() -> s.joinGroup(ok.toBuilder().setSessionTimeoutMs(100).build()), "session_timeout_ms 100");
        assertInvalid(() -> s.joinGroup(ok.toBuilder().setSessionTimeoutMs(-1).build()), "session_timeout_ms -1");
        assertInvalid(() -> s.joinGroup(ok.toBuilder().setRebalanceTimeoutMs(-1).build()), "rebalance_timeout_ms");
        assertInvalid(() -> s.joinGroup(ok.toBuilder().addTopics("bad topic").build()), "not valid");
        OffsetCommitRequest commit = OffsetCommitRequest.newBuilder().setGroupId("bad")
                .addPartitions(OffsetCommitPartition.newBuilder().setTopic("events").setPartition(0).setOffset(1))
                .build();
        assertInvalid(() -> s.offsetCommit(commit.toBuilder().clearPartitions().build()), "partitions is empty");
        assertInvalid(() -> s.offsetCommit(commit.toBuilder().setPartitions(0, commit.getPartitions(0).toBuilder()
                .setOffset(-1)).build()), "negative");
        assertInvalid(() -> s.offsetCommit(commit.toBuilder().addPartitions(commit.getPartitions(0)).build()),
                "more than once");
        assertInvalid(() -> s.offsetCommit(commit.toBuilder().setPartitions(0, commit.getPartitions(0).toBuilder()
                .setMetadata("x".repeat(4097))).build()), "4097 bytes");
        assertInvalid(() -> s.heartbeat(HeartbeatRequest.newBuilder().setGroupId("bad").setMemberId("m")
                .setGeneration(-1).build()), "generation -1");
        assertInvalid(() -> s.describeGroups(DescribeGroupsRequest.getDefaultInstance()), "group_ids is empty");
        assertInvalid(() -> s.resetOffsets(ResetOffsetsRequest.newBuilder().setGroupId("bad").addTopics("events")
                .build()), "no target");
        assertInvalid(() -> cluster.metadata(1).findCoordinator(FindCoordinatorRequest.getDefaultInstance()),
                "group_ids is empty");
        assertThat(cluster.metadata(1).findCoordinator(FindCoordinatorRequest.newBuilder().addGroupIds("").build())
                .getCoordinators(0).getError().getCode()).isEqualTo(ErrorCode.INVALID_REQUEST);
    }

    @Test
    @Order(6)
    void shouldProtectTheInternalTopic() {
        var r = cluster.produce(1).produce(ProduceRequest.newBuilder().addPartitions(PartitionProduceData.newBuilder()
                .setTopic(GroupCoordinator.TOPIC).setPartition(0).setRecords(ByteString.copyFrom(
                        TestBatches.batch("x", 1)))).build()).getPartitions(0);
        assertThat(r.getError().getCode()).isEqualTo(ErrorCode.POLICY_VIOLATION);
        var d = cluster.admin(1).deleteTopics(DeleteTopicsRequest.newBuilder().addNames(GroupCoordinator.TOPIC)
                .build()).getTopics(0);
        assertThat(d.getError().getCode()).isEqualTo(ErrorCode.POLICY_VIOLATION);
        var grow = cluster.admin(1).createPartitions(io.tributary.proto.v1.CreatePartitionsRequest.newBuilder()
                .addTopics(io.tributary.proto.v1.NewPartitions.newBuilder().setTopic(GroupCoordinator.TOPIC)
                        .setTotalCount(4)).build()).getTopics(0);
        assertThat(grow.getError().getCode()).isEqualTo(ErrorCode.POLICY_VIOLATION);

        // AlterTopicConfigs: only segment and compaction settings; cleanup.policy stays compact.
        assertAlterRefused(set("cleanup.policy", "delete"), "cleanup.policy=delete", "must stay compact");
        assertAlterRefused(set("cleanup.policy", "compact,delete"), "cleanup.policy=compact,delete",
                "must stay compact");
        assertAlterRefused(delete("cleanup.policy"), "cleanup.policy", "cannot be removed");
        assertAlterRefused(set("retention.ms", "1000"), "retention.ms", "group.offsets.retention.ms");
        assertAlterRefused(set("retention.bytes", "1"), "retention.bytes", "cannot be altered");
        assertAlterRefused(delete("retention.ms"), "retention.ms", "cannot be altered");
        assertAlterRefused(set("max.message.bytes", "100"), "max.message.bytes", "cannot be altered");
        // A bad value is still INVALID_CONFIG, as for any topic.
        var badValue = alterInternal(set("cleanup.policy", "sometimes"));
        assertThat(badValue.getError().getCode()).isEqualTo(ErrorCode.INVALID_CONFIG);
        // The allow-list works, and cleanup.policy=compact is accepted as it is.
        var ok = alterInternal(List.of(
                io.tributary.proto.v1.ConfigAlteration.newBuilder().setName("segment.bytes").setValue("4194304")
                        .setOperation(io.tributary.proto.v1.ConfigOperation.CONFIG_OPERATION_SET).build(),
                io.tributary.proto.v1.ConfigAlteration.newBuilder().setName("cleanup.policy").setValue("compact")
                        .setOperation(io.tributary.proto.v1.ConfigOperation.CONFIG_OPERATION_SET).build()));
        assertThat(ok.hasError()).as("%s", ok.getError()).isFalse();
        await().atMost(Duration.ofSeconds(10)).until(() -> cluster.admin(1).describeTopics(
                io.tributary.proto.v1.DescribeTopicsRequest.newBuilder().addNames(GroupCoordinator.TOPIC)
                        .setIncludeConfigs(true).build()).getTopics(0).getConfigsList().stream()
                .anyMatch(c -> c.getName().equals("segment.bytes") && c.getValue().equals("4194304")));
        var t = cluster.admin(1).describeTopics(io.tributary.proto.v1.DescribeTopicsRequest.newBuilder()
                .addNames(GroupCoordinator.TOPIC).setIncludeConfigs(true).build()).getTopics(0);
        assertThat(t.getConfigsList()).anyMatch(c -> c.getName().equals("cleanup.policy")
                && c.getValue().equals("compact"));
        assertThat(t.getConfigsList()).anyMatch(c -> c.getName().equals("retention.ms")
                && c.getSource() != io.tributary.proto.v1.ConfigSource.CONFIG_SOURCE_TOPIC);
        // Groups still work after the allowed change.
        assertThat(calls.coordinator("g-after-alter")).isEqualTo(1);
    }

    private static List<io.tributary.proto.v1.ConfigAlteration> set(String key, String value) {
        return List.of(io.tributary.proto.v1.ConfigAlteration.newBuilder().setName(key).setValue(value)
                .setOperation(io.tributary.proto.v1.ConfigOperation.CONFIG_OPERATION_SET).build());
    }

    private static List<io.tributary.proto.v1.ConfigAlteration> delete(String key) {
        return List.of(io.tributary.proto.v1.ConfigAlteration.newBuilder().setName(key)
                .setOperation(io.tributary.proto.v1.ConfigOperation.CONFIG_OPERATION_DELETE).build());
    }

    private io.tributary.proto.v1.AlterTopicConfigsResult alterInternal(
            List<io.tributary.proto.v1.ConfigAlteration> alterations) {
        return cluster.admin(1).alterTopicConfigs(io.tributary.proto.v1.AlterTopicConfigsRequest.newBuilder()
                .addTopics(io.tributary.proto.v1.TopicConfigAlteration.newBuilder().setTopic(GroupCoordinator.TOPIC)
                        .addAllAlterations(alterations)).build()).getTopics(0);
    }

    private void assertAlterRefused(List<io.tributary.proto.v1.ConfigAlteration> alterations, String... words) {
        for (boolean validateOnly : new boolean[] {true, false}) {
            var r = cluster.admin(1).alterTopicConfigs(io.tributary.proto.v1.AlterTopicConfigsRequest.newBuilder()
                    .setValidateOnly(validateOnly).addTopics(io.tributary.proto.v1.TopicConfigAlteration.newBuilder()
                            .setTopic(GroupCoordinator.TOPIC).addAllAlterations(alterations)).build()).getTopics(0);
            assertThat(r.getError().getCode()).as("%s", r.getError()).isEqualTo(ErrorCode.POLICY_VIOLATION);
            assertThat(r.getError().getMessage()).contains(words);
        }
    }

    @Test
    @Order(7)
    void shouldRemoveAMemberThatStopsHeartbeatingAndAssignTopicsCreatedLater() {
        TestMember quiet = new TestMember(calls, "expiry");
        TestMember alive = new TestMember(calls, "expiry");
        calls.call("expiry", s -> s.joinGroup(JoinGroupRequest.newBuilder().setGroupId("expiry")
                .setMemberId(quiet.memberId).addTopics("events").setSessionTimeoutMs(1000).build()));
        alive.join("", "events", "later");
        long start = System.nanoTime();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
            alive.heartbeat();
            return alive.owned.size() == 6;
        });
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(800);
        assertThat(GroupCalls.code(() -> quiet.heartbeat())).isEqualTo(ErrorCode.UNKNOWN_MEMBER_ID);

        cluster.createTopic("later", 2, 1, Map.of());
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
            alive.heartbeat();
            return alive.owned.size() == 8;
        });
        assertThat(alive.owned).contains("later-0", "later-1");
        cluster.admin(1).createPartitions(io.tributary.proto.v1.CreatePartitionsRequest.newBuilder()
                .addTopics(io.tributary.proto.v1.NewPartitions.newBuilder().setTopic("later").setTotalCount(3))
                .setTimeoutMs(30_000).build());
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
            alive.heartbeat();
            return alive.owned.contains("later-2");
        });
        // Dropping a topic from the subscription revokes its partitions at once.
        var rejoin = alive.join("", "events");
        assertThat(rejoin.getAssignment().getToRevokeList()).extracting(TestMember::name)
                .containsExactlyInAnyOrder("later-0", "later-1", "later-2");
        assertThat(rejoin.getAssignment().getAssignedCount()).isEqualTo(6);
        alive.leave();
    }

    @Test
    @Order(8)
    void shouldRemoveAMemberThatDoesNotGiveUpRevokedPartitionsInTime() {
        TestMember a = new TestMember(calls, "stubborn");
        calls.call("stubborn", s -> s.joinGroup(JoinGroupRequest.newBuilder().setGroupId("stubborn")
                .setMemberId(a.memberId).addTopics("events").setRebalanceTimeoutMs(1000).build()));
        a.heartbeat();
        assertThat(a.owned).hasSize(6);
        Set<String> all = new TreeSet<>(a.owned);
        TestMember b = new TestMember(calls, "stubborn");
        b.join("", "events");
        // a is asked to give up 3 partitions but keeps reporting them as owned.
        HeartbeatRequest stubborn = HeartbeatRequest.newBuilder().setGroupId("stubborn").setMemberId(a.memberId)
                .setGeneration(a.generation).addAllOwned(allOf(all)).build();
        var r = calls.call("stubborn", s -> s.heartbeat(stubborn));
        assertThat(r.getAssignment().getToRevokeCount()).isEqualTo(3);
        // Reporting a partition that belongs to another member is fenced.
        assertThat(GroupCalls.code(() -> b.calls.call("stubborn", s -> s.heartbeat(HeartbeatRequest.newBuilder()
                .setGroupId("stubborn").setMemberId(b.memberId).setGeneration(b.generation)
                .addOwned(tp("events", 0)).addOwned(tp("events", 5)).build()))))
                .isEqualTo(ErrorCode.ILLEGAL_GENERATION);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
            ErrorCode c = GroupCalls.code(() -> calls.call("stubborn", s -> s.heartbeat(stubborn.toBuilder()
                    .setGeneration(r.getGeneration()).build())));
            b.heartbeat();
            return c == ErrorCode.UNKNOWN_MEMBER_ID;
        });
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
            b.heartbeat();
            return b.owned.equals(all);
        });
        b.leave();
    }

    static List<TopicPartition> allOf(Set<String> names) {
        List<TopicPartition> out = new java.util.ArrayList<>();
        for (String n : names) {
            out.add(tp(n.substring(0, n.lastIndexOf('-')), Integer.parseInt(n.substring(n.lastIndexOf('-') + 1))));
        }
        return out;
    }

    @Test
    @Order(9)
    void shouldNeverLetTwoMembersOwnAPartitionWhileMembersComeAndGo() throws Exception {
        Object lock = new Object();
        List<TestMember> live = new java.util.concurrent.CopyOnWriteArrayList<>();
        Map<TestMember, java.util.concurrent.ScheduledFuture<?>> loops = new java.util.concurrent.ConcurrentHashMap<>();
        java.util.concurrent.atomic.AtomicReference<String> violation = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicInteger checks = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger rounds = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.ScheduledExecutorService pool = java.util.concurrent.Executors.newScheduledThreadPool(6);
        java.util.Random random = new java.util.Random(42);
        Runnable step = () -> {
            try {
                if (live.size() < 2 || (live.size() < 5 && random.nextBoolean())) {
                    TestMember m = new TestMember(calls, "churn", lock);
                    m.join("", "events");
                    live.add(m);
                    loops.put(m, pool.scheduleWithFixedDelay(() -> {
                        try {
                            m.heartbeat();
                        } catch (RuntimeException e) {
                            if (live.contains(m)) {
                                violation.compareAndSet(null, "heartbeat of a live member failed: " + e);
                            }
                            return;
                        }
                        synchronized (lock) {
                            checks.incrementAndGet();
                            List<String> owned = new java.util.ArrayList<>();
                            live.forEach(x -> owned.addAll(x.owned));
                            if (new HashSet<>(owned).size() != owned.size()) {
                                violation.compareAndSet(null, "a partition owned twice: " + owned);
                            }
                        }
                    }, 0, 20, TimeUnit.MILLISECONDS));
                } else {
                    TestMember m = live.get(random.nextInt(live.size()));
                    synchronized (lock) {
                        m.dropAll();
                        live.remove(m);
                    }
                    loops.remove(m).cancel(false);
                    m.leave();
                }
            } catch (RuntimeException e) {
                violation.compareAndSet(null, "a join or leave failed: " + e);
            }
            rounds.incrementAndGet();
        };
        java.util.concurrent.ScheduledFuture<?> driver = pool.scheduleWithFixedDelay(step, 0, 300,
                TimeUnit.MILLISECONDS);
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> rounds.get() >= 12 || violation.get() != null);
            driver.cancel(false);
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                synchronized (lock) {
                    List<String> owned = new java.util.ArrayList<>();
                    live.forEach(x -> owned.addAll(x.owned));
                    return violation.get() != null || (owned.size() == 6 && TestMember.allStable(live));
                }
            });
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(30, TimeUnit.SECONDS);
        }
        assertThat(violation.get()).isNull();
        assertThat(checks.get()).isGreaterThan(20);
        for (TestMember m : live) {
            m.leave();
        }
    }

    @Test
    @Order(20)
    void shouldKeepMembersAndOffsetsAcrossARestart() {
        TestMember a = new TestMember(calls, "restart");
        TestMember b = new TestMember(calls, "restart");
        a.join("", "events");
        b.join("", "events");
        settle(List.of(a, b));
        String p = a.owned.iterator().next();
        int partition = Integer.parseInt(p.substring(p.lastIndexOf('-') + 1));
        assertThat(a.commit(a.generation, "events", partition, 3).getPartitions(0).hasError()).isFalse();
        Set<String> aOwned = new TreeSet<>(a.owned);
        Set<String> bOwned = new TreeSet<>(b.owned);
        int aGen = a.generation;

        cluster.stopBroker(1);
        cluster.startBroker(1);
        await().atMost(Duration.ofSeconds(60)).until(() -> cluster.broker(1).isReady());

        a.heartbeat();
        b.heartbeat();
        assertThat(a.owned).isEqualTo(aOwned);
        assertThat(b.owned).isEqualTo(bOwned);
        assertThat(a.generation).isEqualTo(aGen);
        assertThat(a.last.getToRevokeCount()).isZero();
        OffsetFetchResponse f = calls.call("restart", s -> s.offsetFetch(OffsetFetchRequest.newBuilder()
                .setGroupId("restart").build()));
        assertThat(f.getPartitionsList()).singleElement().satisfies(c -> assertThat(c.getOffset()).isEqualTo(3));
        assertThat(a.commit(a.generation, "events", partition, 4).getPartitions(0).hasError()).isFalse();
    }

    // ------------------------------------------------------------------ helpers

    OffsetCommitResponse standaloneCommit(String group, String topic, int partition, long offset) {
        return calls.call(group, s -> s.offsetCommit(OffsetCommitRequest.newBuilder().setGroupId(group)
                .addPartitions(OffsetCommitPartition.newBuilder().setTopic(topic).setPartition(partition)
                        .setOffset(offset)).build()));
    }

    static TopicPartition tp(String topic, int partition) {
        return TopicPartition.newBuilder().setTopic(topic).setPartition(partition).build();
    }

    /** Heartbeats every member until none is asked to revoke and their assignments stop changing. */
    static void settle(List<TestMember> members) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> {
            Set<String> before = new HashSet<>();
            members.forEach(m -> before.add(m.memberId + m.owned));
            members.forEach(TestMember::heartbeat);
            Set<String> after = new HashSet<>();
            members.forEach(m -> after.add(m.memberId + m.owned));
            return TestMember.allStable(members) && before.equals(after);
        });
    }

    static void assertOwnedExactlyOnce(List<TestMember> members, int partitions) {
        List<String> all = new java.util.ArrayList<>();
        members.forEach(m -> all.addAll(m.owned));
        assertThat(all).doesNotHaveDuplicates().hasSize(partitions);
    }

    static void assertInvalid(Runnable call, String messagePart) {
        try {
            call.run();
            throw new AssertionError("expected INVALID_REQUEST containing '" + messagePart + "'");
        } catch (StatusRuntimeException e) {
            assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.INVALID_ARGUMENT);
            assertThat(GroupCalls.detail(e).getCode()).isEqualTo(ErrorCode.INVALID_REQUEST);
            assertThat(GroupCalls.detail(e).getMessage()).contains(messagePart);
        }
    }
}
