package io.tributary.client.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.client.RecordMetadata;
import io.tributary.client.TopicPartition;
import io.tributary.client.errors.ClientClosedException;
import io.tributary.client.errors.ConfigException;
import io.tributary.record.Compression;
import io.tributary.record.Header;
import io.tributary.record.Record;
import io.tributary.record.RecordBatch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Producer pieces without a broker: config, accumulator, memory limiter, batch restamping. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ProducerUnitTest {

    static final TopicPartition TP = new TopicPartition("t", 0);
    static final Header[] NO_HEADERS = new Header[0];

    @Test
    void shouldValidateProducerSettings() {
        ProducerConfig c = new ProducerConfig(Map.of("bootstrap.servers", "a:1"));
        assertThat(c.idempotence()).isTrue();
        assertThat(c.acksAll()).isTrue();
        assertThat(c.compression()).isEqualTo(Compression.NONE);
        assertThat(c.getInt(ProducerConfig.BATCH_BYTES)).isEqualTo(256 * 1024);
        assertThat(new ProducerConfig(Map.of("bootstrap.servers", "a:1", "acks", "none")).idempotence()).isFalse();
        assertThat(new ProducerConfig(Map.of("bootstrap.servers", "a:1", "compression.type", "ZSTD")).compression())
                .isEqualTo(Compression.ZSTD);
        assertThatThrownBy(() -> new ProducerConfig(Map.of("bootstrap.servers", "a:1", "acks", "none",
                "enable.idempotence", "true"))).isInstanceOf(ConfigException.class).hasMessageContaining("acks=all");
        assertThatThrownBy(() -> new ProducerConfig(Map.of("bootstrap.servers", "a:1", "acks", "1")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("acks");
        assertThatThrownBy(() -> new ProducerConfig(Map.of("bootstrap.servers", "a:1",
                "max.in.flight.requests.per.connection", "6"))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("at most 5");
        assertThat(new ProducerConfig(Map.of("bootstrap.servers", "a:1", "enable.idempotence", "false",
                "max.in.flight.requests.per.connection", "20")).idempotence()).isFalse();
        assertThatThrownBy(() -> new ProducerConfig(Map.of("bootstrap.servers", "a:1", "delivery.timeout.ms", "1000")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("linger.ms + request.timeout.ms");
        assertThatThrownBy(() -> new ProducerConfig(Map.of("bootstrap.servers", "a:1", "compression.type", "brotli")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("compression.type");
        assertThat(new ProducerConfig(Map.of("bootstrap.servers", "a:1", "batch.bytes", "2000000",
                "max.request.bytes", "1000000")).batchBytes()).as("capped by max.request.bytes").isEqualTo(1_000_000);
        assertThat(c.batchBytes()).isEqualTo(256 * 1024);
        assertThatThrownBy(() -> new ProducerConfig(Map.of("bootstrap.servers", "a:1", "batch.bytes", "10")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("batch.bytes");
    }

    @Test
    void shouldFillABatchUpToBatchBytesThenStartANewOne() {
        RecordAccumulator acc = new RecordAccumulator(Compression.NONE, 1024);
        List<RecordAccumulator.AppendResult> results = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            results.add(acc.append(TP, 1L, null, new byte[100], NO_HEADERS, 132, false, 0L));
        }
        assertThat(results.get(0).newBatch()).isTrue();
        long newBatches = results.stream().filter(RecordAccumulator.AppendResult::newBatch).count();
        assertThat(newBatches).isEqualTo(3); // about 8 records of 108 bytes after a 61-byte header per KiB
        RecordAccumulator.PartitionQueue q = acc.queue(TP);
        ProducerBatch first = acc.pollFirst(q);
        assertThat(first.isClosed()).isTrue();
        assertThat(first.estimatedSizeInBytes()).isLessThanOrEqualTo(1024);
        assertThat(first.recordCount() + acc.pollFirst(q).recordCount() + acc.pollFirst(q).recordCount()).isEqualTo(20);
        assertThat(acc.incomplete()).hasSize(3);
    }

    @Test
    void shouldAbortAStickyAppendThatNeedsANewBatch() {
        RecordAccumulator acc = new RecordAccumulator(Compression.NONE, 1024);
        assertThat(acc.append(TP, 1L, null, new byte[10], NO_HEADERS, 42, true, 0L).abortedForNewBatch()).isTrue();
        acc.append(TP, 1L, null, new byte[10], NO_HEADERS, 42, false, 0L);
        assertThat(acc.append(TP, 1L, null, new byte[10], NO_HEADERS, 42, true, 0L).abortedForNewBatch()).isFalse();
        assertThat(acc.append(TP, 1L, null, new byte[2000], NO_HEADERS, 2032, true, 0L).abortedForNewBatch())
                .isTrue();
    }

    @Test
    void shouldPutAConditionalRecordAloneInAClosedBatch() {
        RecordAccumulator acc = new RecordAccumulator(Compression.NONE, 1 << 20);
        acc.append(TP, 1L, "a".getBytes(), new byte[10], NO_HEADERS, 42, false, 0L);
        acc.appendConditional(TP, 1L, "k".getBytes(), new byte[10], NO_HEADERS, 42, Condition.keyLastOffset(-1), 0L);
        RecordAccumulator.AppendResult after = acc.append(TP, 1L, "b".getBytes(), new byte[10], NO_HEADERS, 42,
                false, 0L);
        assertThat(after.newBatch()).isTrue();
        RecordAccumulator.PartitionQueue q = acc.queue(TP);
        assertThat(acc.pollFirst(q).recordCount()).isEqualTo(1);
        ProducerBatch conditional = acc.pollFirst(q);
        assertThat(conditional.recordCount()).isEqualTo(1);
        assertThat(conditional.condition).isEqualTo(Condition.keyLastOffset(-1));
        assertThat(conditional.conditionKey).containsExactly('k');
        assertThat(acc.pollFirst(q).recordCount()).isEqualTo(1);
    }

    @Test
    void shouldRefuseAppendsOnceClosed() {
        RecordAccumulator acc = new RecordAccumulator(Compression.NONE, 1024);
        acc.append(TP, 1L, null, new byte[10], NO_HEADERS, 42, false, 0L);
        assertThat(acc.closeAndDrain()).hasSize(1);
        assertThatThrownBy(() -> acc.append(TP, 1L, null, new byte[10], NO_HEADERS, 42, false, 0L))
                .isInstanceOf(ClientClosedException.class);
    }

    @Test
    void shouldBlockOnMemoryUntilReleasedOrTimedOut() throws Exception {
        MemoryLimiter memory = new MemoryLimiter(1000);
        assertThat(memory.reserve(600, 0)).isTrue();
        assertThat(memory.reserve(600, TimeUnit.MILLISECONDS.toNanos(50))).isFalse();
        assertThat(memory.available()).isEqualTo(400);
        CountDownLatch waiting = new CountDownLatch(1);
        AtomicBoolean got = new AtomicBoolean();
        Thread t = new Thread(() -> {
            waiting.countDown();
            try {
                got.set(memory.reserve(600, TimeUnit.SECONDS.toNanos(20)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        waiting.await();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(memory::hasWaiters);
        assertThat(memory.reserve(100, 0)).as("a newcomer queues behind a waiter").isFalse();
        memory.release(600);
        t.join(10_000);
        assertThat(got).isTrue();
        assertThat(memory.available()).isEqualTo(400);
        assertThatThrownBy(() -> memory.reserve(1001, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldFailAWaitingReservationWhenClosed() throws Exception {
        MemoryLimiter memory = new MemoryLimiter(100);
        assertThat(memory.reserve(100, 0)).isTrue();
        CompletableFuture<Boolean> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return memory.reserve(50, TimeUnit.SECONDS.toNanos(20));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(memory::hasWaiters);
        memory.close();
        assertThatThrownBy(() -> waiting.get(10, TimeUnit.SECONDS)).cause().isInstanceOf(ClientClosedException.class);
        assertThatThrownBy(() -> memory.reserve(1, 0)).isInstanceOf(ClientClosedException.class);
    }

    @Test
    void shouldRestampProducerStateWithAValidChecksum() {
        ProducerBatch b = new ProducerBatch(TP, Compression.LZ4, 1 << 20, 0L, null, null);
        CompletableFuture<RecordMetadata> f0 = b.tryAppend(5L, "k".getBytes(), "v0".getBytes(), NO_HEADERS, 10);
        CompletableFuture<RecordMetadata> f1 = b.tryAppend(7L, null, "v1".getBytes(), NO_HEADERS, 10);
        RecordBatch built = b.build(42, (short) 1, 10);
        built.validate();
        RecordBatch restamped = b.build(42, (short) 2, 0);
        restamped.validate();
        assertThat(restamped.producerEpoch()).isEqualTo((short) 2);
        assertThat(restamped.baseSequence()).isZero();
        assertThat(restamped.compression()).isEqualTo(Compression.LZ4);
        List<Record> records = restamped.recordList();
        assertThat(records).hasSize(2);
        assertThat(records.get(1).sequence()).isEqualTo(1);
        assertThat(b.build(42, (short) 2, 0)).isSameAs(restamped);
        b.complete(100, -1);
        assertThat(f0.join().offset()).isEqualTo(100);
        assertThat(f1.join().offset()).isEqualTo(101);
        assertThat(f1.join().timestamp()).isEqualTo(7L);
        assertThat(f0.join().serializedKeySize()).isEqualTo(1);
        assertThat(f1.join().serializedKeySize()).isEqualTo(-1);
    }

    @Test
    void shouldWrapSequencesLikeTheBroker() {
        assertThat(Sender.incrementSequence(5, 3)).isEqualTo(8);
        assertThat(Sender.incrementSequence(Integer.MAX_VALUE, 1)).isZero();
        assertThat(Sender.incrementSequence(Integer.MAX_VALUE - 1, 3)).isEqualTo(1);
    }
}
