package io.tributary.client.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tributary.client.ProducerRecord;
import io.tributary.client.RawReader;
import io.tributary.client.RecordMetadata;
import io.tributary.client.TestBrokers;
import io.tributary.client.serde.Serdes;
import io.tributary.record.Record;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Three in-process brokers; the leader of a partition is stopped while an idempotent producer
 * writes to it: every record is acknowledged, written exactly once, in send order per key.
 *
 * <p>Slow ({@code mvn -Pslow verify}): the default suite covers the same scenario with real broker
 * processes in integration-tests' {@code IdempotentProducerIT} (leader killed mid-stream, exactly
 * once, in order), which also duplicates requests and drops answers.
 */
@Tag("slow")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ProducerFailoverIT {

    @Test
    void shouldWriteEveryRecordOnceAndInOrderAcrossALeaderFailover(@TempDir Path dir) throws Exception {
        try (TestBrokers brokers = new TestBrokers(dir, 3).start()) {
            String topic = "failover";
            brokers.createTopic(topic, 2, 3, Map.of());
            List<CompletableFuture<RecordMetadata>> futures = java.util.Collections.synchronizedList(new ArrayList<>());
            int total = 20_000;
            int stopped;
            try (Producer<String, Long> p = new Producer<>(Map.of("bootstrap.servers", brokers.bootstrap(),
                    "linger.ms", 2, "batch.bytes", 4096, "retry.backoff.ms", 50, "retry.backoff.max.ms", 500,
                    "request.timeout.ms", 10_000, "delivery.timeout.ms", 90_000),
                    Serdes.stringSerializer(), Serdes.longSerializer())) {
                // Records keep flowing, paced by acknowledgements (at most 1000 unacknowledged), while
                // the main thread stops the leader of partition 0.
                CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                    for (long i = 0; i < total; i++) {
                        futures.add(p.send(new ProducerRecord<>(topic, "key-" + (i % 20), i)));
                        if (i >= 1000) {
                            futures.get((int) i - 1000).join();
                        }
                    }
                });
                await().atMost(Duration.ofSeconds(60)).until(() -> futures.size() > 4000);
                stopped = brokers.leaderOf(topic, 0);
                brokers.stopBroker(stopped);
                writer.get(120, TimeUnit.SECONDS);
                p.flush();
                for (CompletableFuture<RecordMetadata> f : futures) {
                    assertThat(f).isCompleted();
                    f.get(); // fails the test with the record's error
                }
                ProducerMetrics m = p.metrics();
                LoggerFactory.getLogger(ProducerFailoverIT.class).info("after the failover of broker {}: {}", stopped, m);
                assertThat(m.recordsSent()).isEqualTo(total);
                assertThat(futures.size()).as("still writing after the stop").isEqualTo(total);
                assertThat(m.retries()).as("batches in flight at the stop were sent again").isPositive();
            }
            int down = stopped;
            Map<String, List<Long>> perKey = new HashMap<>();
            Set<Long> seen = new HashSet<>();
            for (int partition = 0; partition < 2; partition++) {
                int part = partition;
                await().atMost(Duration.ofSeconds(60)).until(() -> {
                    int l = brokers.leaderOf(topic, part);
                    return l > 0 && l != down;
                });
                for (Record r : RawReader.records(brokers, topic, partition)) {
                    long v = r.value().getLong(0);
                    assertThat(seen.add(v)).as("value %d written once", v).isTrue();
                    perKey.computeIfAbsent(StandardCharsets.UTF_8.decode(r.key()).toString(), k -> new ArrayList<>())
                            .add(v);
                }
            }
            assertThat(seen).hasSize(total);
            for (Map.Entry<String, List<Long>> e : perKey.entrySet()) {
                assertThat(e.getValue()).as("order of %s", e.getKey()).isSorted();
            }
        }
    }
}
