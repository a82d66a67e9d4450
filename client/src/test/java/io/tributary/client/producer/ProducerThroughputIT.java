package io.tributary.client.producer;

import io.tributary.client.ProducerRecord;
import io.tributary.client.RecordMetadata;
import io.tributary.client.TestBrokers;
import io.tributary.client.serde.Serdes;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Measures producer throughput against one in-process broker (acks=all, idempotent), for 100 B
 * and 1 KiB records and a few batch sizes. Slow: {@code mvn -Pslow verify -pl client
 * -Dit.test=ProducerThroughputIT}; the results are logged ("throughput:" lines). The broker, the
 * producer and the test share the JVM and the machine's cores, so this bounds the producer's
 * cost from above rather than measuring a cluster.
 */
@Tag("slow")
@Timeout(value = 20, unit = TimeUnit.MINUTES)
class ProducerThroughputIT {

    private static final Logger LOG = LoggerFactory.getLogger(ProducerThroughputIT.class);

    @Test
    void measureThroughput(@TempDir Path dir) throws Exception {
        try (TestBrokers brokers = new TestBrokers(dir, 1).start()) {
            int run = 0;
            for (int recordSize : new int[] {100, 1024}) {
                for (int batchBytes : new int[] {64 * 1024, 256 * 1024, 1024 * 1024}) {
                    for (int partitions : new int[] {1, 4}) {
                        String topic = "perf-" + run++;
                        brokers.createTopic(topic, partitions, 1, Map.of());
                        long bytesTarget = 100L * 1024 * 1024;
                        int records = (int) Math.min(1_000_000, bytesTarget / recordSize);
                        measure(brokers, topic, recordSize, batchBytes, records, partitions);
                    }
                }
            }
        }
    }

    @Test
    void measureCodecsAndAcks(@TempDir Path dir) throws Exception {
        try (TestBrokers brokers = new TestBrokers(dir, 1).start()) {
            int run = 0;
            // 1 KiB of text-like bytes (compressible about 3:1, like JSON events).
            for (String codec : new String[] {"none", "lz4", "snappy", "zstd", "gzip"}) {
                String topic = "codec-" + run++;
                brokers.createTopic(topic, 1, 1, Map.of());
                measure(brokers, topic, 1024, 256 * 1024, 100_000, 1, "all", codec, true);
            }
            String topic = "acks-none";
            brokers.createTopic(topic, 1, 1, Map.of());
            measure(brokers, topic, 1024, 256 * 1024, 100_000, 1, "none", "none", false);
        }
    }

    private void measure(TestBrokers brokers, String topic, int recordSize, int batchBytes, int records,
                         int partitions) throws Exception {
        measure(brokers, topic, recordSize, batchBytes, records, partitions, "all", "none", false);
    }

    private void measure(TestBrokers brokers, String topic, int recordSize, int batchBytes, int records,
                         int partitions, String acks, String codec, boolean text) throws Exception {
        byte[] value = new byte[recordSize];
        Random random = new Random(1);
        if (text) {
            String[] words = {"order", "created", "customer", "amount", "\"id\":", "\"status\":", "paid", "42"};
            StringBuilder sb = new StringBuilder();
            while (sb.length() < recordSize) {
                sb.append(words[random.nextInt(words.length)]).append(random.nextInt(1000)).append(' ');
            }
            System.arraycopy(sb.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8), 0, value, 0, recordSize);
        } else {
            random.nextBytes(value);
        }
        try (Producer<byte[], byte[]> p = new Producer<>(Map.of("bootstrap.servers", brokers.bootstrap(),
                "batch.bytes", batchBytes, "linger.ms", 5, "buffer.memory", 64L * 1024 * 1024, "acks", acks,
                "compression.type", codec), Serdes.bytesSerializer(), Serdes.bytesSerializer())) {
            p.partitionCount(topic);
            // Warm-up: a tenth of the records.
            send(p, topic, value, records / 10);
            p.flush();
            long start = System.nanoTime();
            send(p, topic, value, records);
            p.flush();
            double seconds = (System.nanoTime() - start) / 1e9;
            ProducerMetrics m = p.metrics();
            LOG.info(String.format("throughput: %5d B records, batch.bytes %7d, %d partition(s), acks=%s, %s: "
                            + "%,10.0f records/s, %6.1f MB/s (payload), %d records in %.1f s; %s", recordSize,
                    batchBytes, partitions, acks, codec, records / seconds,
                    records * (double) recordSize / seconds / 1e6, records, seconds, m));
        }
    }

    private static void send(Producer<byte[], byte[]> p, String topic, byte[] value, int count) {
        AtomicReference<Throwable> error = new AtomicReference<>();
        CompletableFuture<RecordMetadata> last = null;
        for (int i = 0; i < count; i++) {
            last = p.send(new ProducerRecord<>(topic, value));
            if ((i & 1023) == 0) {
                last.whenComplete((md, e) -> {
                    if (e != null) {
                        error.compareAndSet(null, e);
                    }
                });
            }
        }
        if (last != null) {
            last.join();
        }
        if (error.get() != null) {
            throw new AssertionError("a send failed", error.get());
        }
    }
}
