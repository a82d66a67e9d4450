package io.tributary.replication.metadata;

import io.tributary.replication.AppendRequest;
import io.tributary.replication.PartitionInfo;
import io.tributary.replication.TopicInfo;
import io.tributary.replication.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Five in-process brokers (three controller voters): placement spreads replicas and leaders
 * evenly; a broker gone longer than the replacement timeout has its replicas re-created elsewhere
 * and every partition is fully replicated again; when it returns, it drops the replicas it lost.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ControllerBalancingTest {

    @TempDir
    Path dir;

    @Test
    void shouldSpreadReplicasAndLeadersAndReplaceTheReplicasOfADeadBroker() throws Exception {
        try (MetadataCluster c = MetadataCluster.start(dir, 5, 1000, 3000, 1000)) {
            c.awaitController();
            TopicInfo t = c.admin(4).createTopic("spread", 10, 3, Map.of(), false).get(30, TimeUnit.SECONDS);

            Map<Integer, Integer> replicas = new HashMap<>();
            Map<Integer, Integer> preferred = new HashMap<>();
            for (PartitionInfo p : t.partitions()) {
                p.replicas().forEach(b -> replicas.merge(b, 1, Integer::sum));
                preferred.merge(p.replicas().get(0), 1, Integer::sum);
            }
            assertThat(replicas).containsOnlyKeys(1, 2, 3, 4, 5).allSatisfy((b, n) -> assertThat(n).isEqualTo(6));
            assertThat(preferred).containsOnlyKeys(1, 2, 3, 4, 5).allSatisfy((b, n) -> assertThat(n).isEqualTo(2));

            // Leadership settles on the preferred replicas: two leaders per broker.
            c.awaitLeaders("spread");
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                Map<Integer, Integer> leaders = c.leaderCounts("spread");
                return leaders.keySet().equals(java.util.Set.of(1, 2, 3, 4, 5))
                        && leaders.values().stream().allMatch(n -> n == 2);
            });

            // Records in every partition, so the new replicas have something to catch up on.
            long[] lastOffsets = new long[10];
            for (int partition = 0; partition < 10; partition++) {
                TopicPartition tp = new TopicPartition("spread", partition);
                int p = partition;
                await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
                    int leader = c.view(1).topics().get("spread").partitions().get(p).leaderId();
                    for (int i = 0; i < 3; i++) {
                        lastOffsets[p] = c.nodes[leader].replica(tp).orElseThrow()
                                .append(AppendRequest.of(MetadataQuorumTest.batch(4))).get(10, TimeUnit.SECONDS)
                                .lastOffset();
                    }
                    return true;
                });
            }

            // Broker 5 goes away for longer than the replacement timeout.
            c.stopNode(5);
            await().atMost(Duration.ofSeconds(90)).until(() -> {
                TopicInfo now = c.view(1).topics().get("spread");
                for (PartitionInfo p : now.partitions()) {
                    if (p.replicas().contains(5) || !p.hasLeader()
                            || !new HashSet<>(p.inSyncReplicas()).equals(new HashSet<>(p.replicas()))) {
                        return false;
                    }
                }
                return true;
            });
            TopicInfo moved = c.view(1).topics().get("spread");
            for (PartitionInfo p : moved.partitions()) {
                assertThat(p.replicas()).hasSize(3).doesNotHaveDuplicates();
                for (int b : p.replicas()) {
                    assertThat(c.hosts(b, new TopicPartition("spread", p.partition()))).isTrue();
                }
            }
            // Every replica, old or new, has every record.
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                for (PartitionInfo p : c.view(1).topics().get("spread").partitions()) {
                    TopicPartition tp = new TopicPartition("spread", p.partition());
                    for (int b : p.replicas()) {
                        if (c.nodes[b].replica(tp).map(r -> r.highWatermark() <= lastOffsets[p.partition()])
                                .orElse(true)) {
                            return false;
                        }
                    }
                }
                return true;
            });
            Map<Integer, Integer> after = new HashMap<>();
            moved.partitions().forEach(p -> p.replicas().forEach(b -> after.merge(b, 1, Integer::sum)));
            assertThat(after).containsOnlyKeys(1, 2, 3, 4);
            assertThat(after.values()).allSatisfy(n -> assertThat(n).isBetween(7, 8));

            // It returns: it no longer holds any replica of the topic, and its data is gone.
            c.startNode(5);
            c.awaitRegistered();
            await().atMost(Duration.ofSeconds(60)).until(() -> c.nodes[5].localPartitions().hosted().isEmpty());
            // The log directory goes right after the group (hosted() already no longer lists it).
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                try (var files = Files.list(dir.resolve("b5/data"))) {
                    return files.noneMatch(p -> p.getFileName().toString().startsWith("spread-"));
                }
            });
        }
    }
}
