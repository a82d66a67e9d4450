package io.tributary.replication.partition;

import io.tributary.replication.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Measures (does not assert tightly) the threads of nodes hosting 100 partitions each: three
 * nodes in this JVM, 100 partitions with three replicas, so each node hosts 100 replicas and
 * leads about a third of them. Reported per node: (threads now - threads before the nodes
 * started) / 3, with the busiest thread-name families.
 */
@Tag("slow")
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class PartitionThreadCountTest {
    private static final Logger LOG = LoggerFactory.getLogger(PartitionThreadCountTest.class);
    private static final int PARTITIONS = 100;

    @TempDir
    Path dir;
    PartitionCluster cluster;

    @AfterEach
    void tearDown() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void shouldReportTheThreadsOfANodeHosting100Partitions() throws Exception {
        int baseline = Thread.activeCount();
        cluster = PartitionCluster.start(dir, 3, Map.of("raft.server.rpc.timeout.min", "1s",
                "raft.server.rpc.timeout.max", "2s"));
        int started = Thread.activeCount();
        List<TopicPartition> tps = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) {
            TopicPartition tp = new TopicPartition("load", p);
            tps.add(tp);
            cluster.createPartition(tp, Map.of());
        }
        for (TopicPartition tp : tps) {
            cluster.awaitLeader(tp);
        }
        int idle = settledThreadCount();
        report("idle", baseline, started, idle);

        List<CompletableFuture<?>> fs = new ArrayList<>();
        for (TopicPartition tp : tps) {
            fs.add(cluster.replica(cluster.awaitLeader(tp), tp).append(new io.tributary.replication.AppendRequest(
                    PartitionCluster.batch("x", 1, 100), true, -1, 60_000)));
        }
        for (var f : fs) {
            f.get(120, TimeUnit.SECONDS);
        }
        int afterAppend = Thread.activeCount();
        report("right after one append each", baseline, started, afterAppend);
        int settled = settledThreadCount();
        report("after one append each, settled", baseline, started, settled);
        // Ratis's per-group executors are cached: their threads end after 60 s without work.
        await().pollDelay(Duration.ofSeconds(65)).atMost(Duration.ofSeconds(70)).until(() -> true);
        report("after 65 s idle", baseline, started, Thread.activeCount());
        assertThat(settled).isPositive();
    }

    /** Waits until the thread count stops moving for 2 s (cached pools shrink after 60 s idle; not waited for). */
    private static int settledThreadCount() {
        int[] last = {Thread.activeCount()};
        await().pollInterval(Duration.ofMillis(500)).atMost(Duration.ofSeconds(60)).until(() -> {
            int now = Thread.activeCount();
            boolean stable = Math.abs(now - last[0]) <= 3;
            last[0] = now;
            return stable;
        });
        return last[0];
    }

    private static void report(String when, int baseline, int started, int now) {
        Map<String, Integer> families = new TreeMap<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            String family = t.getName().replaceAll("[0-9a-fA-F]{12,}", "G").replaceAll("\\d+", "N");
            families.merge(family, 1, Integer::sum);
        }
        StringBuilder top = new StringBuilder();
        families.entrySet().stream().sorted((a, b) -> b.getValue() - a.getValue()).limit(15)
                .forEach(e -> top.append("\n    ").append(e.getValue()).append("  ").append(e.getKey()));
        LOG.info("MEASURE threads {}: JVM {} (before nodes {}, 3 nodes without partitions {}); per node {} ({} per"
                        + " partition replica); families:{}", when, now, baseline, started, (now - baseline) / 3,
                String.format("%.1f", (now - started) / 3.0 / PARTITIONS), top);
    }
}
