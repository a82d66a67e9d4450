package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 3 §4 (b): SIGKILL of a partition's leader while a producer writes to it. A new leader is
 * elected, the producer continues, every acknowledged batch is on every surviving replica at its
 * offset; the killed broker, restarted, catches up to the same bytes as the leader.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
@ExtendWith(BrokerLogsOnFailure.class)
class LeaderFailoverIT {

    @Test
    void shouldKeepEveryAcknowledgedBatchWhenTheLeaderIsKilled() throws Exception {
        try (TestCluster cluster = TestCluster.start(3)) {
            cluster.awaitReady();
            cluster.createTopic("failover", 3, 3);
            TopicPartition tp = TopicPartition.of("failover", 0);
            int leader = cluster.awaitLeader(tp);

            List<Acked> acked;
            try (ProducerLoop producer = new ProducerLoop(cluster.client(), List.of(tp), "failover", Duration.ofSeconds(60))) {
                await("first writes").atMost(Duration.ofSeconds(60)).until(() -> producer.ackedCount() >= 30);
                producer.checkHealthy();

                cluster.kill(leader);
                int ackedAtKill = producer.ackedCount();
                int newLeader = cluster.awaitLeaderOtherThan(tp, leader);
                assertThat(newLeader).isNotEqualTo(leader);

                // The producer goes on through the new leader.
                await("writes after the failover").atMost(Duration.ofSeconds(90))
                        .until(() -> { producer.checkHealthy(); return producer.ackedCount() >= ackedAtKill + 30; });
                acked = producer.acked();
            }

            Checks.assertReadableFromLeaders(cluster.client(), acked, Duration.ofSeconds(30));
            for (int survivor : cluster.runningBrokers()) {
                await("acknowledged batches on broker " + survivor).atMost(Duration.ofSeconds(30))
                        .untilAsserted(() -> Checks.assertOnDisk(cluster, survivor, acked));
            }

            // The killed broker comes back on its data and catches up to the leader's bytes.
            cluster.restart(leader);
            cluster.awaitReady(leader);
            long highWatermark = cluster.client().fetch(tp, 0, 1, Duration.ofSeconds(30)).getHighWatermark();
            assertThat(highWatermark).isGreaterThanOrEqualTo(acked.stream().mapToLong(Acked::nextOffset).max().orElseThrow());
            int currentLeader = cluster.awaitLeader(tp);
            await("restarted broker " + leader + " caught up").atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                    Checks.assertSameBytesBelow(cluster, tp, currentLeader, leader, highWatermark));
            Checks.assertOnDisk(cluster, leader, acked);
        }
    }
}
