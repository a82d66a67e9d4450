package io.tributary.it;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The long variant of {@link LeaderFailoverIT} (mvn -Pslow verify): a producer writes to every
 * partition of a topic while, round after round, the leader of a random partition is killed and
 * later restarted, or isolated and healed. At the end every acknowledged batch is readable at its
 * offset from the leaders and is on every replica's disk, and the replicas hold the same bytes.
 */
@Tag("slow")
@Timeout(value = 15, unit = TimeUnit.MINUTES)
@ExtendWith(BrokerLogsOnFailure.class)
class LeaderChaosIT {

    private static final int ROUNDS = 12;

    @Test
    void shouldLoseNoAcknowledgedBatchThroughRepeatedLeaderFailures() throws Exception {
        Random random = new Random(42);
        try (TestCluster cluster = TestCluster.start(3)) {
            cluster.awaitReady();
            cluster.createTopic("chaos", 3, 3);
            List<TopicPartition> partitions = List.of(
                    TopicPartition.of("chaos", 0), TopicPartition.of("chaos", 1), TopicPartition.of("chaos", 2));

            List<Acked> acked;
            try (ProducerLoop producer = new ProducerLoop(cluster.client(), partitions, "chaos", Duration.ofSeconds(90))) {
                for (int round = 0; round < ROUNDS; round++) {
                    TopicPartition tp = partitions.get(random.nextInt(partitions.size()));
                    int victim = cluster.awaitLeader(tp);
                    int before = producer.ackedCount();
                    if (random.nextBoolean()) {
                        cluster.kill(victim);
                        await().atMost(Duration.ofSeconds(90)).until(() -> {
                            producer.checkHealthy();
                            return producer.ackedCount() >= before + 10;
                        });
                        cluster.restart(victim);
                        cluster.awaitReady(victim);
                    } else {
                        cluster.isolate(victim);
                        await().atMost(Duration.ofSeconds(90)).until(() -> {
                            producer.checkHealthy();
                            return producer.ackedCount() >= before + 10;
                        });
                        cluster.heal(victim);
                    }
                }
                acked = producer.acked();
            }

            Checks.assertReadableFromLeaders(cluster.client(), acked, Duration.ofSeconds(60));
            for (TopicPartition tp : partitions) {
                long highWatermark = cluster.client().fetch(tp, 0, 1, Duration.ofSeconds(30)).getHighWatermark();
                int leader = cluster.awaitLeader(tp);
                for (int replica : cluster.runningBrokers()) {
                    await("replica of " + tp + " on broker " + replica).atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                            Checks.assertSameBytesBelow(cluster, tp, leader, replica, highWatermark));
                }
            }
            for (int n : cluster.runningBrokers()) {
                Checks.assertOnDisk(cluster, n, acked);
            }
        }
    }
}
