package io.tributary.it;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 3 §4 (d): the whole cluster restarts, first after a graceful stop, then after every broker
 * was killed at once; every acknowledged record is still there at the same offset.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
@ExtendWith(BrokerLogsOnFailure.class)
class FullRestartIT {

    @Test
    void shouldKeepEveryAcknowledgedRecordAcrossWholeClusterRestarts() {
        try (TestCluster cluster = TestCluster.start(3)) {
            cluster.awaitReady();
            cluster.createTopic("restart", 3, 3);
            List<Acked> acked = new ArrayList<>();
            produce(cluster, "first", acked);

            for (int n = 1; n <= 3; n++) {
                cluster.stop(n);
            }
            for (int n = 1; n <= 3; n++) {
                cluster.restart(n);
            }
            cluster.awaitReady();
            Checks.assertReadableFromLeaders(cluster.client(), acked, Duration.ofSeconds(60));

            produce(cluster, "second", acked);
            for (int n = 1; n <= 3; n++) {
                cluster.kill(n);
            }
            for (int n = 1; n <= 3; n++) {
                cluster.restart(n);
            }
            cluster.awaitReady();
            Checks.assertReadableFromLeaders(cluster.client(), acked, Duration.ofSeconds(60));
            for (int n = 1; n <= 3; n++) {
                int broker = n;
                await("acknowledged batches on broker " + broker).atMost(Duration.ofSeconds(30))
                        .untilAsserted(() -> Checks.assertOnDisk(cluster, broker, acked));
            }
        }
    }

    private static void produce(TestCluster cluster, String tag, List<Acked> acked) {
        for (int seq = 0; seq < 15; seq++) {
            for (int partition = 0; partition < 3; partition++) {
                TopicPartition tp = TopicPartition.of("restart", partition);
                var batch = Batches.batch(tag, seq * 10L + partition, 1 + seq % 4, 300);
                acked.add(new Acked(tp, cluster.client().produce(tp, batch, Duration.ofSeconds(60)), batch));
            }
        }
    }
}
