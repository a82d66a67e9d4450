package io.tributary.it;

import static org.awaitility.Awaitility.await;

import io.tributary.record.RecordBatch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issue 3 §5, measured rather than asserted: {@code scripts/bench/cluster} runs this main on the
 * integration-tests classpath against real broker JVMs ({@link TestCluster}) and prints the
 * figures. Not a test (no *IT/*Test name): the build never runs it.
 *
 * <ul>
 *   <li>start-to-ready: from the broker JVM's start to its readiness (log line "Broker N ready" or
 *       health SERVING), for a cold 4-broker start and for one broker restarted into a running
 *       cluster; RSS (VmRSS) and threads of each broker, idle;</li>
 *   <li>failover: SIGKILL of a partition's leader while one producer writes small batches
 *       back to back → the first acknowledged produce after the kill; 5 rounds, median;</li>
 *   <li>disk bytes per payload byte: {@code write_bytes} of {@code /proc/<pid>/io} of each broker
 *       over a run that produces a known number of batch bytes to a 3-partition RF 3 topic;</li>
 *   <li>threads of a broker hosting 100 partition replicas (a 100-partition RF 3 topic on 3 brokers).</li>
 * </ul>
 *
 * <p>Arguments: {@code [payloadMiB (default 64)] [batchKiB (default 256)]}.
 */
public final class ClusterBench {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterBench.class);
    private static final Map<String, String> FIGURES = new LinkedHashMap<>();

    private ClusterBench() {
    }

    public static void main(String[] args) throws Exception {
        int payloadMiB = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        int batchKiB = args.length > 1 ? Integer.parseInt(args[1]) : 256;
        try {
            startAndFailover();
            diskBytesAndThreads(payloadMiB, batchKiB);
        } finally {
            System.out.println();
            System.out.println("=== Tributary cluster figures (issue 3 §5) ===");
            FIGURES.forEach((k, v) -> System.out.printf(Locale.ROOT, "%-58s %s%n", k, v));
        }
        System.exit(0);
    }

    private static void figure(String name, String value) {
        FIGURES.put(name, value);
        LOG.info("FIGURE {}: {}", name, value);
    }

    // ------------------------------------------------------------------ start, RSS, failover

    /**
     * Four brokers: 1-3 are the controller voters, 4 is not. Each failover round kills the leader
     * of a partition led by broker 4 when there is one, so that the figure is a partition failover
     * (not a controller failover as well), else the leader of failover-0; then restarts it.
     */
    private static void startAndFailover() throws Exception {
        long start = System.nanoTime();
        try (TestCluster cluster = TestCluster.builder(4).name("bench-failover")
                .config("leader.balance.interval.ms", "2000").start()) {
            List<Long> readyMs = new ArrayList<>();
            for (int n = 1; n <= 4; n++) {
                int node = n;
                await().atMost(TestCluster.READY_TIMEOUT).pollInterval(Duration.ofMillis(20))
                        .until(() -> cluster.isBrokerReady(node));
                readyMs.add((System.nanoTime() - start) / 1_000_000);
            }
            cluster.awaitReady();
            long clusterReadyMs = (System.nanoTime() - start) / 1_000_000;
            figure("cold start, 4 brokers at once: each broker ready after (ms)", readyMs.toString());
            figure("cold start, 4 brokers at once: cluster ready after (ms)", Long.toString(clusterReadyMs));
            for (int n = 1; n <= 4; n++) {
                figure("idle broker " + n + ": RSS (MiB) / threads", rssMiB(cluster.pid(n)) + " / " + threads(cluster.pid(n)));
            }

            int partitions = 8;
            cluster.createTopic("failover", partitions, 3);
            TestClient client = cluster.client();
            List<Long> failoverMs = new ArrayList<>();
            List<Long> restartReadyMs = new ArrayList<>();
            List<Integer> victims = new ArrayList<>();
            long seq = 0;
            for (int round = 0; round < 5; round++) {
                // Prefer a partition led by broker 4 (not a controller voter), so that the figure is a
                // partition failover alone; leader balancing gives it back about a quarter of the
                // partitions after its restart. Otherwise take partition 0's leader, whoever it is.
                Optional<TopicPartition> led = Optional.empty();
                try {
                    led = await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                            .until(() -> ledBy(cluster, "failover", partitions, 4), Optional::isPresent);
                } catch (org.awaitility.core.ConditionTimeoutException e) {
                    LOG.warn("failover round {}: broker 4 leads no partition after 20 s; killing the leader of"
                            + " failover-0 instead", round);
                }
                TopicPartition tp = led.orElse(TopicPartition.of("failover", 0));
                int victim = cluster.awaitLeader(tp);
                // Warm path: the producer is writing to this leader.
                for (int i = 0; i < 20; i++) {
                    client.produce(tp, Batches.batch("failover", seq++, 1, 100), Duration.ofSeconds(30));
                }
                cluster.kill(victim);
                long killedAt = System.nanoTime();
                RecordBatch batch = Batches.batch("failover", seq++, 1, 100);
                client.produce(tp, batch, Duration.ofSeconds(60), Duration.ofMillis(5));
                long ms = (System.nanoTime() - killedAt) / 1_000_000;
                failoverMs.add(ms);
                LOG.info("failover round {}: leader {} of {} killed, first produce acknowledged after {} ms", round, victim, tp, ms);
                victims.add(victim);

                long restartAt = System.nanoTime();
                cluster.restart(victim);
                await().atMost(TestCluster.READY_TIMEOUT).pollInterval(Duration.ofMillis(20))
                        .until(() -> cluster.isBrokerReady(victim));
                restartReadyMs.add((System.nanoTime() - restartAt) / 1_000_000);
                cluster.awaitReady(victim);
                cluster.awaitLeader(tp);
            }
            figure("failover, partition leader SIGKILL -> first ack (ms), 5 rounds", failoverMs.toString());
            figure("failover median (ms)", median(failoverMs));
            figure("failover: the killed leaders (1-3 are controller voters)", victims.toString());
            figure("restart of one broker into a running cluster: ready after (ms)", restartReadyMs.toString());
            figure("restart ready median (ms)", median(restartReadyMs));
        }
    }

    private static Optional<TopicPartition> ledBy(TestCluster cluster, String topic, int partitions, int broker) {
        for (int p = 0; p < partitions; p++) {
            TopicPartition tp = TopicPartition.of(topic, p);
            if (cluster.leaderOf(tp) == broker) {
                return Optional.of(tp);
            }
        }
        return Optional.empty();
    }

    // ------------------------------------------------------------------ disk bytes, threads

    private static void diskBytesAndThreads(int payloadMiB, int batchKiB) throws Exception {
        try (TestCluster cluster = TestCluster.builder(3).name("bench-disk").start()) {
            cluster.awaitReady();
            cluster.createTopic("disk", 3, 3);
            TestClient client = cluster.client();
            long[] before = new long[4];
            for (int n = 1; n <= 3; n++) {
                before[n] = writeBytes(cluster.pid(n));
            }
            long payload = 0;
            long target = (long) payloadMiB << 20;
            long seq = 0;
            int valueBytes = 1024;
            int records = Math.max(1, batchKiB * 1024 / (valueBytes + 30));
            long t0 = System.nanoTime();
            while (payload < target) {
                TopicPartition tp = TopicPartition.of("disk", (int) (seq % 3));
                RecordBatch batch = Batches.batch("disk", seq++, records, valueBytes);
                client.produce(tp, batch, Duration.ofSeconds(60));
                payload += batch.sizeInBytes();
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            // Let write-back of what was acknowledged reach the counters (the brokers fsync before acking;
            // index and checkpoint files are flushed on their own schedule).
            await().pollDelay(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(10)).until(() -> true);
            long total = 0;
            StringBuilder perBroker = new StringBuilder();
            for (int n = 1; n <= 3; n++) {
                long written = writeBytes(cluster.pid(n)) - before[n];
                total += written;
                perBroker.append(String.format(Locale.ROOT, "%sbroker %d: %.2f", n > 1 ? ", " : "", n, written / (double) payload));
            }
            figure("payload produced (MiB, batches of ~KiB, sequential acks)",
                    String.format(Locale.ROOT, "%.1f MiB in %d batches of %d records x %d B (%.1f MiB/s, one producer, one in flight)",
                            payload / 1048576.0, seq, records, valueBytes, payload / 1048576.0 / seconds));
            figure("disk bytes written per payload byte, per replica", perBroker.toString());
            figure("disk bytes written per payload byte, per replica (mean)",
                    String.format(Locale.ROOT, "%.3f", total / (3.0 * payload)));
            for (int n = 1; n <= 3; n++) {
                figure("broker " + n + " after the write run: RSS (MiB) / threads", rssMiB(cluster.pid(n)) + " / " + threads(cluster.pid(n)));
            }

            int threadsBefore = threads(cluster.pid(1));
            long createdAt = System.nanoTime();
            cluster.createTopic("hundred", 100, 3, Map.of(), Duration.ofMinutes(5));
            figure("100-partition RF 3 topic on 3 brokers: every partition led after (ms)",
                    Long.toString((System.nanoTime() - createdAt) / 1_000_000));
            await().pollDelay(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(10)).until(() -> true);
            for (int n = 1; n <= 3; n++) {
                figure("broker " + n + " with 103 partition replicas: threads / RSS (MiB)",
                        threads(cluster.pid(n)) + " / " + rssMiB(cluster.pid(n)));
            }
            figure("broker 1: threads added by 100 partition replicas", Integer.toString(threads(cluster.pid(1)) - threadsBefore));
        }
    }

    // ------------------------------------------------------------------ /proc

    static long writeBytes(long pid) throws IOException {
        return procField(Paths.get("/proc", Long.toString(pid), "io"), "write_bytes:").orElse(-1L);
    }

    static long rssMiB(long pid) throws IOException {
        return procField(Paths.get("/proc", Long.toString(pid), "status"), "VmRSS:").orElse(-1L) / 1024;
    }

    static int threads(long pid) throws IOException {
        return procField(Paths.get("/proc", Long.toString(pid), "status"), "Threads:").orElse(-1L).intValue();
    }

    private static Optional<Long> procField(Path file, String name) throws IOException {
        for (String line : Files.readAllLines(file)) {
            if (line.startsWith(name)) {
                return Optional.of(Long.parseLong(line.substring(name.length()).trim().split("\\s+")[0]));
            }
        }
        return Optional.empty();
    }

    private static String median(List<Long> values) {
        if (values.isEmpty()) {
            return "n/a (no round completed)";
        }
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return Long.toString(sorted.get(sorted.size() / 2));
    }
}
