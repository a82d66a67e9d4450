package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.StatusRuntimeException;
import io.tributary.proto.v1.ErrorCode;
import io.tributary.proto.v1.PartitionProduceResult;
import io.tributary.record.RecordBatch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 3 §4 (c): one broker of three loses its Raft traffic (the test fault endpoint). The other
 * two keep accepting writes; the isolated one acknowledges none; healed, it converges.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
@ExtendWith(BrokerLogsOnFailure.class)
class IsolationIT {

    @Test
    void shouldKeepWritingOnTheMajorityAndNeverAckOnTheIsolatedBroker() throws Exception {
        try (TestCluster cluster = TestCluster.start(3)) {
            cluster.awaitReady();
            cluster.createTopic("isolation", 3, 3);
            List<TopicPartition> partitions = List.of(
                    TopicPartition.of("isolation", 0), TopicPartition.of("isolation", 1), TopicPartition.of("isolation", 2));
            // Isolate the leader of partition 0, so that at least one partition must fail over.
            int isolated = cluster.awaitLeader(partitions.get(0));
            int[] others = cluster.runningBrokers().stream().mapToInt(Integer::intValue).filter(n -> n != isolated).toArray();

            List<Acked> acked = new ArrayList<>();
            for (TopicPartition tp : partitions) {
                RecordBatch batch = Batches.batch("before", tp.partition(), 3, 100);
                acked.add(new Acked(tp, cluster.client().produce(tp, batch, Duration.ofSeconds(30)), batch));
            }

            cluster.isolate(isolated);

            // The majority keeps accepting writes for every partition.
            try (TestClient majority = cluster.clientOf(others)) {
                for (int seq = 0; seq < 10; seq++) {
                    for (TopicPartition tp : partitions) {
                        RecordBatch batch = Batches.batch("during", seq * 10L + tp.partition(), 2, 150);
                        acked.add(new Acked(tp, majority.produce(tp, batch, Duration.ofSeconds(60)), batch));
                    }
                }
            }

            // The isolated broker acknowledges nothing, whatever it believes about leadership.
            for (TopicPartition tp : partitions) {
                RecordBatch batch = Batches.batch("isolated", tp.partition(), 1, 50);
                try {
                    PartitionProduceResult result = cluster.client().produceTo(cluster.clientAddress(isolated), tp, batch);
                    assertThat(result.getError().getCode())
                            .as("produce to isolated broker %d for %s must fail (it answered offset %d)",
                                    isolated, tp, result.getBaseOffset())
                            .isNotEqualTo(ErrorCode.NONE);
                } catch (StatusRuntimeException expected) {
                    // A timeout or an error status: not acknowledged.
                }
            }

            cluster.heal(isolated);

            Checks.assertReadableFromLeaders(cluster.client(), acked, Duration.ofSeconds(60));
            for (TopicPartition tp : partitions) {
                long highWatermark = cluster.client().fetch(tp, 0, 1, Duration.ofSeconds(30)).getHighWatermark();
                int leader = cluster.awaitLeader(tp);
                await("isolated broker " + isolated + " converged on " + tp).atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                        Checks.assertSameBytesBelow(cluster, tp, leader, isolated, highWatermark));
            }
            Checks.assertOnDisk(cluster, isolated, acked);
        }
    }
}
