package io.tributary.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.tributary.broker.internal.TestBatches;
import io.tributary.proto.v1.DescribeTopicsRequest;
import io.tributary.proto.v1.MetadataRequest;
import io.tributary.proto.v1.PartitionDescription;
import io.tributary.proto.v1.PartitionProduceData;
import io.tributary.proto.v1.PartitionProduceResult;
import io.tributary.proto.v1.ProduceRequest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import io.tributary.proto.v1.ErrorCode;
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
 * Three brokers in this JVM: routing answers (NOT_LEADER with the leader's address, DescribeTopics
 * asking leaders), and the fault-injection endpoint, which really isolates a broker's Raft
 * traffic: the other replicas elect a leader without it and take writes, the isolated one commits
 * nothing; healed, it converges. The isolation runs last (it perturbs the cluster).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ThreeBrokerIT {

    TestCluster cluster;

    @BeforeAll
    void start(@TempDir Path dir) {
        cluster = new TestCluster(dir, 3, Map.of("test.fault.injection.enabled", "true")).start();
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void shouldAnswerNotLeaderWithTheLeadersAddress() {
        cluster.createTopic("routed", 1, 3, Map.of());
        // Leadership may still move right after creation: ask a follower until the answer is stable.
        AtomicReference<PartitionProduceResult> answer = new AtomicReference<>();
        AtomicInteger leaderRef = new AtomicInteger();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            int l = leaderSeenBy(cluster, 1, "routed");
            int f = l % 3 + 1;
            if (l <= 0 || leaderSeenBy(cluster, f, "routed") != l) {
                return false;
            }
            PartitionProduceResult res = cluster.produce(f).produce(ProduceRequest.newBuilder()
                    .addPartitions(PartitionProduceData.newBuilder().setTopic("routed").setPartition(0)
                            .setRecords(ByteString.copyFrom(TestBatches.batch("r", 1)))).build()).getPartitions(0);
            answer.set(res);
            leaderRef.set(l);
            return res.getError().getCode() == ErrorCode.NOT_LEADER && res.getError().getLeader().getBrokerId() == l;
        });
        PartitionProduceResult r = answer.get();
        int leader = leaderRef.get();
        assertThat(r.getError().getCode()).isEqualTo(ErrorCode.NOT_LEADER);
        assertThat(r.getError().getRetriable()).isTrue();
        assertThat(r.getError().getLeader().getBrokerId()).isEqualTo(leader);
        assertThat(r.getError().getLeader().getPort()).isEqualTo(cluster.broker(leader).clientPort());
        assertThat(r.getError().getLeaderEpoch()).isPositive();
        assertThat(r.getError().getMessage()).contains("127.0.0.1:" + cluster.broker(leader).clientPort());
    }

    @Test
    @Order(2)
    void shouldDescribeOffsetsOfPartitionsHostedElsewhereByAskingTheirLeaders() {
        cluster.createTopic("elsewhere", 3, 1, Map.of());
        for (int p = 0; p < 3; p++) {
            // Under load a broker's view may briefly lack a leader (an election, a leadership move).
            int partition = p;
            AtomicInteger leader = new AtomicInteger(-1);
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> {
                leader.set(cluster.metadata(1).metadata(MetadataRequest.newBuilder().addTopics("elsewhere").build())
                        .getTopics(0).getPartitions(partition).getLeaderId());
                return leader.get() > 0;
            });
            PartitionProduceResult r = cluster.produceRetrying(leader.get(), ProduceRequest.newBuilder()
                    .addPartitions(PartitionProduceData.newBuilder().setTopic("elsewhere").setPartition(p)
                            .setRecords(ByteString.copyFrom(TestBatches.batch("e", p + 1)))).build()).getPartitions(0);
            assertThat(r.hasError()).as("%s", r.getError()).isFalse();
        }
        for (int i = 1; i <= 3; i++) {
            // Wait while a partition has no leader in broker i's view (LEADER_NOT_AVAILABLE, retriable);
            // any other error, or none, ends the wait and the answer is checked in full.
            int broker = i;
            AtomicReference<io.tributary.proto.v1.TopicDescription> described = new AtomicReference<>();
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> {
                described.set(cluster.admin(broker).describeTopics(DescribeTopicsRequest.newBuilder()
                        .addNames("elsewhere").build()).getTopics(0));
                return described.get().getPartitionsList().stream()
                        .noneMatch(x -> x.getError().getCode() == ErrorCode.LEADER_NOT_AVAILABLE);
            });
            var d = described.get();
            assertThat(d.hasError()).as("%s", d.getError()).isFalse();
            assertThat(d.getPartitionsCount()).isEqualTo(3);
            for (int p = 0; p < 3; p++) {
                assertThat(d.getPartitions(p).hasError()).as("%s", d.getPartitions(p).getError()).isFalse();
                assertThat(d.getPartitions(p).getLeaderId()).as("leader seen from broker %d", i).isPositive();
                assertThat(d.getPartitions(p).getHighWatermark()).as("seen from broker %d", i).isEqualTo(p + 1);
                assertThat(d.getPartitions(p).getLogStartOffset()).isZero();
            }
        }
    }

    @Test
    @Order(3)
    void shouldIsolateTheLeaderSoTheOthersElectAndItCannotCommit() throws Exception {
        {
            cluster.createTopic("iso", 1, 3, Map.of());
            // Leadership may still move right after creation (the controller spreads leaders).
            AtomicInteger settled = new AtomicInteger(-1);
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                int l = leaderSeenBy(cluster, 1, "iso");
                if (l > 0 && !produce(cluster, l, "before", 2000).hasError()) {
                    settled.set(l);
                    return true;
                }
                return false;
            });
            int leader = settled.get();
            long hwBefore = localHighWatermark(cluster, leader);

            post(cluster, leader, "raft-isolate");
            assertThat(cluster.broker(leader).faultInjector().isIsolated()).isTrue();

            // The isolated leader cannot commit anything.
            PartitionProduceResult refused = produce(cluster, leader, "isolated", 2000);
            assertThat(refused.hasError()).as("a write to the isolated broker must not be acknowledged").isTrue();
            assertThat(refused.getError().getCode()).isIn(io.tributary.proto.v1.ErrorCode.REQUEST_TIMED_OUT,
                    io.tributary.proto.v1.ErrorCode.NOT_LEADER, io.tributary.proto.v1.ErrorCode.LEADER_NOT_AVAILABLE);

            // The two others elect a leader among themselves and take writes.
            AtomicInteger newLeader = new AtomicInteger(-1);
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                for (int i = 1; i <= 3; i++) {
                    if (i != leader && leaderSeenBy(cluster, i, "iso") == i) {
                        newLeader.set(i);
                        return true;
                    }
                }
                return false;
            });
            await().atMost(Duration.ofSeconds(30)).until(() -> !produce(cluster, newLeader.get(), "majority", 2000)
                    .hasError());
            long majorityHw = localHighWatermark(cluster, newLeader.get());
            assertThat(majorityHw).isGreaterThan(hwBefore);
            assertThat(localHighWatermark(cluster, leader)).isEqualTo(hwBefore);

            post(cluster, leader, "raft-heal");
            await().atMost(Duration.ofSeconds(60)).until(() -> localHighWatermark(cluster, leader)
                    >= localHighWatermark(cluster, newLeader.get()) && localHighWatermark(cluster, leader) >= majorityHw);
        }
    }

    private static PartitionProduceResult produce(TestCluster cluster, int broker, String prefix, int timeoutMs) {
        return cluster.produce(broker).withDeadlineAfter(timeoutMs + 5000L, TimeUnit.MILLISECONDS)
                .produce(ProduceRequest.newBuilder().setTimeoutMs(timeoutMs).addPartitions(PartitionProduceData
                        .newBuilder().setTopic("iso").setPartition(0)
                        .setRecords(ByteString.copyFrom(TestBatches.batch(prefix, 3)))).build()).getPartitions(0);
    }

    /** The partition's leader as broker {@code i} sees it (its local replica's view when it hosts one). */
    private static int leaderSeenBy(TestCluster cluster, int i, String topic) {
        return cluster.metadata(i).metadata(MetadataRequest.newBuilder().addTopics(topic).build()).getTopics(0)
                .getPartitions(0).getLeaderId();
    }

    private static long localHighWatermark(TestCluster cluster, int i) {
        PartitionDescription p = cluster.admin(i).describeTopics(DescribeTopicsRequest.newBuilder().addNames("iso")
                .build()).getTopics(0).getPartitions(0);
        return p.getHighWatermark();
    }

    private static void post(TestCluster cluster, int broker, String what) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + cluster.metricsPort(broker) + "/fault/" + what)).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
    }
}
