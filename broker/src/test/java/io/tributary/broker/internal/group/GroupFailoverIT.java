package io.tributary.broker.internal.group;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.StatusRuntimeException;
import io.tributary.broker.TestCluster;
import io.tributary.broker.internal.TestBatches;
import io.tributary.proto.v1.DescribeGroupsRequest;
import io.tributary.proto.v1.ErrorCode;
import io.tributary.proto.v1.ErrorDetail;
import io.tributary.proto.v1.GroupDescription;
import io.tributary.proto.v1.ListGroupsRequest;
import io.tributary.proto.v1.OffsetFetchRequest;
import io.tributary.proto.v1.PartitionLag;
import io.tributary.proto.v1.PartitionProduceData;
import io.tributary.proto.v1.ProduceRequest;
import java.nio.file.Path;
import java.util.HashMap;
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
 * Three brokers: routing (NOT_COORDINATOR with the coordinator's address), lag of partitions led
 * by other brokers, and the failover of a group's coordinator: the leader of its
 * __consumer_offsets partition stops; the new leader loads the group, and members keep their
 * assignments and committed offsets.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class GroupFailoverIT {

    TestCluster cluster;
    GroupCalls calls;
    final List<TestMember> members = new java.util.ArrayList<>();

    @BeforeAll
    void start(@TempDir Path dir) {
        cluster = new TestCluster(dir, 3, GroupServiceIT.GROUP_SETTINGS).start();
        calls = new GroupCalls(cluster);
        cluster.createTopic("orders", 6, 3, Map.of());
        cluster.createTopic("single", 3, 1, Map.of());
        for (int p = 0; p < 6; p++) {
            ProduceRequest r = ProduceRequest.newBuilder().addPartitions(PartitionProduceData.newBuilder()
                    .setTopic("orders").setPartition(p).setRecords(ByteString.copyFrom(TestBatches.batch("o", 5))))
                    .build();
            int partition = p;
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                    .pollInterval(java.time.Duration.ofMillis(100)).until(() -> {
                        int leader = cluster.metadata(1).metadata(io.tributary.proto.v1.MetadataRequest.newBuilder()
                                .addTopics("orders").build()).getTopics(0).getPartitions(partition).getLeaderId();
                        if (leader <= 0) {
                            return false;
                        }
                        var res = cluster.produce(leader).produce(r).getPartitions(0);
                        assertThat(res.getError().getRetriable() || !res.hasError()).as(res.toString()).isTrue();
                        return !res.hasError();
                    });
        }
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void shouldAnswerNotCoordinatorWithTheCoordinatorsAddress() {
        int coordinator = calls.coordinator("routing");
        int other = coordinator % 3 + 1;
        assertThat(calls.stub(other).listGroups(ListGroupsRequest.getDefaultInstance()).getGroupsList()).isEmpty();
        // The other broker's view may not know the new internal topic's leader for a moment
        // (COORDINATOR_NOT_AVAILABLE, retriable); then it names the coordinator.
        java.util.concurrent.atomic.AtomicReference<ErrorDetail> answer = new java.util.concurrent.atomic.AtomicReference<>();
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> {
            try {
                calls.stub(other).offsetFetch(OffsetFetchRequest.newBuilder().setGroupId("routing").build());
                throw new AssertionError("expected NOT_COORDINATOR");
            } catch (StatusRuntimeException e) {
                ErrorDetail d = GroupCalls.detail(e);
                assertThat(d.getCode()).isIn(ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE);
                assertThat(d.getRetriable()).isTrue();
                answer.set(d);
                return d.getCode() == ErrorCode.NOT_COORDINATOR;
            }
        });
        ErrorDetail d = answer.get();
        assertThat(d.getLeader().getBrokerId()).isEqualTo(coordinator);
        assertThat(d.getLeader().getPort()).isEqualTo(cluster.broker(coordinator).clientPort());
        assertThat(d.getMessage()).contains("routing").contains("broker " + coordinator);
    }

    @Test
    @Order(2)
    void shouldSpreadSixPartitionsOverThreeMembersAndDescribeTheirLag() {
        for (int i = 0; i < 3; i++) {
            TestMember m = new TestMember(calls, "failover");
            m.join("", "orders");
            members.add(m);
        }
        GroupServiceIT.settle(members);
        GroupServiceIT.assertOwnedExactlyOnce(members, 6);
        for (TestMember m : members) {
            assertThat(m.owned).hasSize(2);
            for (String tp : m.owned) {
                int p = Integer.parseInt(tp.substring(tp.lastIndexOf('-') + 1));
                assertThat(m.commit(m.generation, "orders", p, 3).getPartitions(0).hasError()).isFalse();
            }
        }
        for (int p = 0; p < 3; p++) {
            int partition = p;
            assertThat(calls.call("standalone", s -> s.offsetCommit(io.tributary.proto.v1.OffsetCommitRequest
                    .newBuilder().setGroupId("standalone").addPartitions(io.tributary.proto.v1.OffsetCommitPartition
                            .newBuilder().setTopic("single").setPartition(partition).setOffset(0)).build()))
                    .getPartitions(0).hasError()).isFalse();
        }
        GroupDescription d = calls.call("failover", s -> s.describeGroups(DescribeGroupsRequest.newBuilder()
                .addGroupIds("failover").build())).getGroups(0);
        assertThat(d.getMembersCount()).isEqualTo(3);
        assertThat(d.getOffsetsList()).hasSize(6).allSatisfy(l -> {
            assertThat(l.hasError()).as(l.toString()).isFalse();
            assertThat(l.getCommittedOffset()).isEqualTo(3);
            assertThat(l.getEndOffset()).isEqualTo(5);
            assertThat(l.getLag()).isEqualTo(2);
            assertThat(l.getOwnerMemberId()).isNotEmpty();
        });
    }

    @Test
    @Order(3)
    void shouldKeepMembershipAndOffsetsWhenTheCoordinatorStops() {
        Map<String, Set<String>> before = new HashMap<>();
        Map<String, Integer> generations = new HashMap<>();
        for (TestMember m : members) {
            before.put(m.memberId, new TreeSet<>(m.owned));
            generations.put(m.memberId, m.generation);
        }
        int coordinator = calls.coordinator("failover");
        cluster.stopBroker(coordinator);

        for (TestMember m : members) {
            m.heartbeat();
        }
        int next = calls.coordinator("failover");
        assertThat(next).isNotEqualTo(coordinator);
        for (TestMember m : members) {
            assertThat(m.owned).as("member %s keeps its partitions", m.memberId).isEqualTo(before.get(m.memberId));
            assertThat(m.last.getToRevokeCount()).isZero();
            assertThat(m.generation).isEqualTo(generations.get(m.memberId));
        }
        var committed = calls.call("failover", s -> s.offsetFetch(OffsetFetchRequest.newBuilder()
                .setGroupId("failover").build())).getPartitionsList();
        assertThat(committed).hasSize(6).allSatisfy(c -> assertThat(c.getOffset()).isEqualTo(3));

        // The group goes on: one member leaves, only its partitions move.
        TestMember gone = members.remove(2);
        members.forEach(m -> m.everRevoked.clear());
        gone.leave();
        GroupServiceIT.settle(members);
        GroupServiceIT.assertOwnedExactlyOnce(members, 6);
        for (TestMember m : members) {
            assertThat(m.owned).containsAll(before.get(m.memberId)).hasSize(3);
            assertThat(m.everRevoked).isEmpty();
        }
        GroupDescription d = calls.call("failover", s -> s.describeGroups(DescribeGroupsRequest.newBuilder()
                .addGroupIds("failover").build())).getGroups(0);
        assertThat(d.getMembersCount()).isEqualTo(2);
        assertThat(d.getOffsetsList()).extracting(PartitionLag::getCommittedOffset).containsOnly(3L);

        // A partition whose only replica was on the stopped broker: its end offset is unknown, a
        // per-partition error, and the committed offset is still given.
        GroupDescription single = calls.call("standalone", s -> s.describeGroups(DescribeGroupsRequest.newBuilder()
                .addGroupIds("standalone").build())).getGroups(0);
        assertThat(single.hasError()).isFalse();
        assertThat(single.getOffsetsList()).hasSize(3).allSatisfy(l -> assertThat(l.getCommittedOffset()).isZero());
        var hostedThere = cluster.metadata(next).metadata(io.tributary.proto.v1.MetadataRequest.newBuilder()
                .addTopics("single").build()).getTopics(0).getPartitionsList().stream()
                .filter(p -> p.getReplicaIdsList().equals(List.of(coordinator))).map(p -> p.getPartition()).toList();
        assertThat(hostedThere).hasSize(1);
        assertThat(single.getOffsetsList()).filteredOn(l -> l.getPartition() == hostedThere.get(0)).singleElement()
                .satisfies(l -> {
                    assertThat(l.hasError()).isTrue();
                    assertThat(l.getEndOffset()).isEqualTo(-1);
                    assertThat(l.getLag()).isEqualTo(-1);
                });
        assertThat(single.getOffsetsList()).filteredOn(l -> l.getPartition() != hostedThere.get(0))
                .allSatisfy(l -> assertThat(l.hasError()).as(l.toString()).isFalse());
    }
}
