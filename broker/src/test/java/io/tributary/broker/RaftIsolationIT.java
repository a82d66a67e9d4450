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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault-injection endpoint really isolates a broker's Raft traffic: the other replicas elect
 * a leader without it and take writes, the isolated one commits nothing; healed, it converges.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class RaftIsolationIT {

    @Test
    void shouldIsolateTheLeaderSoTheOthersElectAndItCannotCommit(@TempDir Path dir) throws Exception {
        try (TestCluster cluster = new TestCluster(dir, 3, Map.of("test.fault.injection.enabled", "true")).start()) {
            cluster.createTopic("iso", 1, 3, Map.of());
            int leader = leaderSeenBy(cluster, 1);
            assertThat(produce(cluster, leader, "before", 2000).hasError()).isFalse();
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
                    if (i != leader && leaderSeenBy(cluster, i) == i) {
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
    private static int leaderSeenBy(TestCluster cluster, int i) {
        return cluster.metadata(i).metadata(MetadataRequest.newBuilder().addTopics("iso").build()).getTopics(0)
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
