package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tributary.proto.v1.PartitionDescription;
import io.tributary.proto.v1.TopicDescription;
import io.tributary.record.RecordBatch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 3 §4 (e): five brokers, a topic with 10 partitions and RF 3. Replicas and leaders are
 * spread evenly; a broker stopped for longer than the re-placement timeout has its replicas
 * re-created on the others, which catch up to the leaders' bytes.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
@ExtendWith(BrokerLogsOnFailure.class)
class PlacementIT {

    private static final String TOPIC = "spread";

    /**
     * The even spread of replicas and leaders is checked first (it was a test of its own, with a
     * 5-broker cluster of its own: 26 s of the suite for a subset of this one).
     */
    @Test
    void shouldSpreadEvenlyAndReCreateTheReplicasOfABrokerStoppedLongerThanTheReplacementTimeout() {
        try (TestCluster cluster = startCluster()) {
            assertEvenlySpread(cluster);
            List<Acked> acked = new ArrayList<>();
            for (int partition = 0; partition < 10; partition++) {
                TopicPartition tp = TopicPartition.of(TOPIC, partition);
                for (int seq = 0; seq < 3; seq++) {
                    RecordBatch batch = Batches.batch(TOPIC, partition * 100L + seq, 4, 256);
                    acked.add(new Acked(tp, cluster.client().produce(tp, batch, Duration.ofSeconds(30)), batch));
                }
            }

            // Stop a broker that is not a controller voter, for longer than the re-placement timeout.
            int stopped = 5;
            cluster.stop(stopped);
            cluster.awaitFullyReplicated(TOPIC, 3, Duration.ofSeconds(90));
            TopicDescription after = cluster.describeTopic(TOPIC).orElseThrow();
            for (PartitionDescription p : after.getPartitionsList()) {
                assertThat(p.getReplicaIdsList()).as("replicas of partition %d", p.getPartition())
                        .doesNotContain(stopped).doesNotHaveDuplicates().hasSize(3);
            }
            Map<Integer, Integer> replicasAfter = replicaCounts(after);
            assertThat(spread(replicasAfter)).as("replicas per live broker %s: max - min", replicasAfter).isLessThanOrEqualTo(2);

            // Every replica, old or new, holds the leader's bytes; no acknowledged batch was lost.
            Checks.assertReadableFromLeaders(cluster.client(), acked, Duration.ofSeconds(30));
            for (PartitionDescription p : after.getPartitionsList()) {
                TopicPartition tp = TopicPartition.of(TOPIC, p.getPartition());
                long highWatermark = cluster.client().fetch(tp, 0, 1, Duration.ofSeconds(30)).getHighWatermark();
                int leader = cluster.awaitLeader(tp);
                for (int replica : p.getReplicaIdsList()) {
                    await("replica of " + tp + " on broker " + replica).atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                            Checks.assertSameBytesBelow(cluster, tp, leader, replica, highWatermark));
                }
            }
        }
    }

    /** Five brokers (voters 1-3), a 5 s re-placement timeout, fast leader balancing; the topic created. */
    private static TestCluster startCluster() {
        TestCluster cluster = TestCluster.builder(5)
                .replicaReplacementTimeout(Duration.ofSeconds(5))
                .config("leader.balance.interval.ms", "2000")
                .start();
        try {
            cluster.awaitReady();
            cluster.createTopic(TOPIC, 10, 3);
            return cluster;
        } catch (RuntimeException | Error e) {
            cluster.close();
            throw e;
        }
    }

    /** 30 replicas over 5 brokers, 10 leaders over 5 brokers: at most one apart. */
    private static void assertEvenlySpread(TestCluster cluster) {
        TopicDescription initial = cluster.describeTopic(TOPIC).orElseThrow();
        Map<Integer, Integer> replicas = replicaCounts(initial);
        assertThat(replicas.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(30);
        assertThat(replicas).as("replicas per broker").hasSize(5);
        assertThat(spread(replicas)).as("replicas per broker %s: max - min", replicas).isLessThanOrEqualTo(1);
        for (PartitionDescription p : initial.getPartitionsList()) {
            assertThat(p.getReplicaIdsList()).as("replicas of partition %d", p.getPartition()).doesNotHaveDuplicates();
        }
        await("leaders spread evenly").atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            Map<Integer, Integer> leaders = leaderCounts(cluster.describeTopic(TOPIC).orElseThrow());
            assertThat(leaders).as("leaders per broker").hasSize(5);
            assertThat(spread(leaders)).as("leaders per broker %s: max - min", leaders).isLessThanOrEqualTo(1);
        });
    }

    private static Map<Integer, Integer> replicaCounts(TopicDescription topic) {
        Map<Integer, Integer> counts = new HashMap<>();
        for (PartitionDescription p : topic.getPartitionsList()) {
            for (int replica : p.getReplicaIdsList()) {
                counts.merge(replica, 1, Integer::sum);
            }
        }
        return counts;
    }

    private static Map<Integer, Integer> leaderCounts(TopicDescription topic) {
        Map<Integer, Integer> counts = new HashMap<>();
        for (PartitionDescription p : topic.getPartitionsList()) {
            counts.merge(p.getLeaderId(), 1, Integer::sum);
        }
        return counts;
    }

    private static int spread(Map<Integer, Integer> counts) {
        int max = counts.values().stream().mapToInt(Integer::intValue).max().orElse(0);
        int min = counts.values().stream().mapToInt(Integer::intValue).min().orElse(0);
        return max - min;
    }
}
