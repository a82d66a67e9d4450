package io.tributary.client.consumer;

import io.tributary.client.ProducerRecord;
import io.tributary.client.TestBrokers;
import io.tributary.client.TopicPartition;
import io.tributary.client.producer.Producer;
import io.tributary.client.serde.Serdes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Measures consumer throughput (assign, from the beginning, records already written) against one
 * in-process broker, for 100 B and 1 KiB records on 1 and 4 partitions and two buffer bounds.
 * Slow: {@code mvn -Pslow verify -pl client -Dit.test=ConsumerThroughputIT}; the results are
 * logged ("consumer throughput:" lines). Broker, producer and consumer share the JVM and the
 * machine's cores: an upper bound of the consumer's cost, not a cluster measurement.
 */
@Tag("slow")
@Timeout(value = 20, unit = TimeUnit.MINUTES)
class ConsumerThroughputIT {

    private static final Logger LOG = LoggerFactory.getLogger(ConsumerThroughputIT.class);

    @Test
    void measureThroughput(@TempDir Path dir) throws Exception {
        try (TestBrokers brokers = new TestBrokers(dir, 1, Map.of()).start()) {
            int run = 0;
            for (int recordSize : new int[] {100, 1024}) {
                for (int partitions : new int[] {1, 4}) {
                    String topic = "perf-" + run++;
                    brokers.createTopic(topic, partitions, 1, Map.of());
                    int records = (int) Math.min(2_000_000, 200L * 1024 * 1024 / recordSize);
                    produce(brokers, topic, recordSize, records);
                    for (long buffered : new long[] {4L * 1024 * 1024, 32L * 1024 * 1024}) {
                        consume(brokers, topic, partitions, recordSize, records, buffered);
                    }
                }
            }
        }
    }

    private static void produce(TestBrokers brokers, String topic, int recordSize, int records) throws Exception {
        byte[] value = new byte[recordSize];
        new Random(1).nextBytes(value);
        try (Producer<byte[], byte[]> p = new Producer<>(Map.of("bootstrap.servers", brokers.bootstrap(),
                "batch.bytes", 256 * 1024, "linger.ms", 5), Serdes.bytesSerializer(), Serdes.bytesSerializer())) {
            List<CompletableFuture<?>> last = new ArrayList<>();
            for (int i = 0; i < records; i++) {
                last.add(p.send(new ProducerRecord<>(topic, null, value)));
                if (last.size() >= 10_000) {
                    CompletableFuture.allOf(last.toArray(CompletableFuture[]::new)).get();
                    last.clear();
                }
            }
            p.flush();
            CompletableFuture.allOf(last.toArray(CompletableFuture[]::new)).get();
        }
    }

    private static void consume(TestBrokers brokers, String topic, int partitions, int recordSize, int records,
                                long buffered) {
        try (Consumer<byte[], byte[]> c = new Consumer<>(Map.of("bootstrap.servers", brokers.bootstrap(),
                "auto.offset.reset", "earliest", "max.buffered.bytes", buffered, "max.poll.records", 2000),
                Serdes.bytesDeserializer(), Serdes.bytesDeserializer())) {
            List<TopicPartition> tps = new ArrayList<>();
            for (int p = 0; p < partitions; p++) {
                tps.add(new TopicPartition(topic, p));
            }
            c.assign(tps);
            long start = System.nanoTime();
            long count = 0;
            long bytes = 0;
            while (count < records) {
                for (var r : c.poll(Duration.ofSeconds(1))) {
                    count++;
                    bytes += r.serializedValueSize();
                }
                if (System.nanoTime() - start > TimeUnit.MINUTES.toNanos(5)) {
                    throw new AssertionError("only " + count + " of " + records + " records after 5 minutes");
                }
            }
            double s = (System.nanoTime() - start) / 1e9;
            LOG.info("consumer throughput: {} records of {} B, {} partition(s), max.buffered.bytes {}: {} records/s, "
                    + "{} MB/s ({} s)", records, recordSize, partitions, buffered, Math.round(count / s),
                    String.format("%.1f", bytes / s / 1e6), String.format("%.2f", s));
        }
    }
}
