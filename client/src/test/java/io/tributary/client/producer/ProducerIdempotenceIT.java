package io.tributary.client.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.UnsafeByteOperations;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.tributary.client.ProducerRecord;
import io.tributary.client.RawReader;
import io.tributary.client.RecordMetadata;
import io.tributary.client.TestBrokers;
import io.tributary.client.errors.InvalidProducerEpochException;
import io.tributary.client.serde.Serdes;
import io.tributary.proto.v1.Acks;
import io.tributary.proto.v1.InitProducerIdRequest;
import io.tributary.proto.v1.PartitionProduceData;
import io.tributary.proto.v1.ProduceRequest;
import io.tributary.proto.v1.ProduceServiceGrpc;
import io.tributary.proto.v1.ProduceStreamResponse;
import io.tributary.proto.v1.ProducerIdAndEpoch;
import io.tributary.record.Compression;
import io.tributary.record.Record;
import io.tributary.record.RecordBatch;
import io.tributary.record.RecordBatchBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Idempotence against a real broker: answers lost after the write (the retry is a duplicate,
 * answered with the original offset), producer state expired on the broker (the producer bumps
 * its epoch), and a producer fenced by a newer epoch of its id (fatal).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ProducerIdempotenceIT {

    TestBrokers brokers;

    @BeforeAll
    void start(@TempDir Path dir) {
        brokers = new TestBrokers(dir, 1).start();
    }

    @AfterAll
    void stop() {
        if (brokers != null) {
            brokers.close();
        }
    }

    /**
     * Drops the answer of every 5th ProduceStream request after the broker sent it, then cuts the
     * stream: the write happened, the producer cannot know, and retries.
     */
    public static final class LoseAnswers implements ClientInterceptor {
        static final AtomicInteger ANSWERS = new AtomicInteger();
        static final AtomicInteger LOST = new AtomicInteger();

        @Override
        public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
            ClientCall<Q, R> call = next.newCall(method, options);
            if (!method.getFullMethodName().endsWith("/ProduceStream")) {
                return call;
            }
            return new ForwardingClientCall.SimpleForwardingClientCall<>(call) {
                @Override
                public void start(Listener<R> listener, Metadata headers) {
                    super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                        @Override
                        public void onMessage(R message) {
                            if (message instanceof ProduceStreamResponse && ANSWERS.incrementAndGet() % 5 == 0) {
                                LOST.incrementAndGet();
                                cancel("test: answer lost after the write", null);
                                return;
                            }
                            super.onMessage(message);
                        }
                    }, headers);
                }
            };
        }
    }

    @Test
    void shouldWriteOnceWhenAnswersAreLostAndBatchesRetried() throws Exception {
        String topic = "lost-answers";
        brokers.createTopic(topic, 2, 1, Map.of());
        int total = 3000;
        List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
        try (Producer<String, Long> p = new Producer<>(Map.of("bootstrap.servers", brokers.bootstrap(),
                "grpc.interceptor.classes", LoseAnswers.class.getName(), "linger.ms", 1, "batch.bytes", 2048,
                "retry.backoff.ms", 10, "retry.backoff.max.ms", 50), Serdes.stringSerializer(), Serdes.longSerializer())) {
            for (long i = 0; i < total; i++) {
                futures.add(p.send(new ProducerRecord<>(topic, "k" + (i % 7), i)));
                if (i % 100 == 99) {
                    futures.get((int) i).get(60, TimeUnit.SECONDS); // several requests, several lost answers
                }
            }
            p.flush();
            assertThat(LoseAnswers.LOST.get()).isPositive();
            assertThat(p.metrics().retries()).isPositive();
            assertThat(p.metrics().epochBumps()).isZero();
        }
        Map<Long, RecordMetadata> acknowledged = new HashMap<>();
        for (int i = 0; i < total; i++) {
            acknowledged.put((long) i, futures.get(i).get());
        }
        int read = 0;
        for (int partition = 0; partition < 2; partition++) {
            for (Record r : RawReader.records(brokers, topic, partition)) {
                long v = r.value().getLong(0);
                RecordMetadata md = acknowledged.remove(v);
                assertThat(md).as("value %d written once", v).isNotNull();
                assertThat(md.partition()).isEqualTo(partition);
                assertThat(md.offset()).as("the acknowledged offset of %d (a duplicate answers the original)", v)
                        .isEqualTo(r.offset());
                read++;
            }
        }
        assertThat(read).isEqualTo(total);
    }

    @Test
    void shouldNeverReorderWithoutIdempotenceWhenAnswersAreLost() throws Exception {
        String topic = "lost-answers-at-least-once";
        brokers.createTopic(topic, 2, 1, Map.of());
        int total = 2000;
        int lostBefore = LoseAnswers.LOST.get();
        List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
        try (Producer<String, Long> p = new Producer<>(Map.of("bootstrap.servers", brokers.bootstrap(),
                "enable.idempotence", "false", "grpc.interceptor.classes", LoseAnswers.class.getName(),
                "linger.ms", 1, "batch.bytes", 2048, "retry.backoff.ms", 10, "retry.backoff.max.ms", 50),
                Serdes.stringSerializer(), Serdes.longSerializer())) {
            for (long i = 0; i < total; i++) {
                futures.add(p.send(new ProducerRecord<>(topic, "k" + (i % 7), i)));
                if (i % 100 == 99) {
                    futures.get((int) i).get(60, TimeUnit.SECONDS);
                }
            }
            p.flush();
            for (CompletableFuture<RecordMetadata> f : futures) {
                f.get();
            }
            assertThat(LoseAnswers.LOST.get()).isGreaterThan(lostBefore);
            assertThat(p.metrics().retries()).isPositive();
        }
        // At least once: a batch whose answer was lost may be written again, but right after itself
        // (one batch per partition in flight), so the first occurrences of each key's values are in
        // send order.
        Map<String, List<Long>> perKey = new HashMap<>();
        java.util.Set<Long> seen = new java.util.HashSet<>();
        for (int partition = 0; partition < 2; partition++) {
            for (Record r : RawReader.records(brokers, topic, partition)) {
                long v = r.value().getLong(0);
                if (!seen.add(v)) {
                    continue;
                }
                perKey.computeIfAbsent(java.nio.charset.StandardCharsets.UTF_8.decode(r.key()).toString(),
                        k -> new ArrayList<>()).add(v);
            }
        }
        assertThat(seen).hasSize(total);
        perKey.forEach((key, values) -> assertThat(values).as("order of %s", key).isSorted());
        LoggerFactory.getLogger(ProducerIdempotenceIT.class).info("without idempotence: {} records written for {} sent",
                read(topic), total);
    }

    private int read(String topic) {
        int n = 0;
        for (int partition = 0; partition < 2; partition++) {
            n += RawReader.records(brokers, topic, partition).size();
        }
        return n;
    }

    @Test
    void shouldBumpTheEpochWhenTheBrokerForgotTheProducer() throws Exception {
        String topic = "expiring";
        brokers.createTopic(topic, 1, 1, Map.of("producer.id.expiration.ms", "200"));
        try (Producer<String, String> p = new Producer<>(Map.of("bootstrap.servers", brokers.bootstrap()),
                Serdes.stringSerializer(), Serdes.stringSerializer())) {
            assertThat(p.send(new ProducerRecord<>(topic, "a", "1")).get().offset()).isZero();
            // Idle longer than the expiry: the next batch (sequence 1) meets no producer state.
            await().pollDelay(Duration.ofMillis(600)).atMost(Duration.ofSeconds(5)).until(() -> true);
            assertThat(p.send(new ProducerRecord<>(topic, "a", "2")).get(30, TimeUnit.SECONDS).offset()).isEqualTo(1);
            assertThat(p.send(new ProducerRecord<>(topic, "a", "3")).get(30, TimeUnit.SECONDS).offset()).isEqualTo(2);
            assertThat(p.metrics().epochBumps()).isEqualTo(1);
        }
        List<RawReader.ReadBatch> batches = RawReader.readAll(brokers, topic, 0);
        assertThat(batches).hasSize(3);
        assertThat(batches.get(0).batch().producerEpoch()).isEqualTo((short) 0);
        assertThat(batches.get(1).batch().producerEpoch()).isEqualTo((short) 1);
        assertThat(batches.get(1).batch().baseSequence()).isZero();
        assertThat(batches.get(2).batch().baseSequence()).isEqualTo(1);
    }

    @Test
    void shouldFailEverySendOnceFencedByANewerEpochOfItsId() throws Exception {
        String topic = "fenced";
        brokers.createTopic(topic, 1, 1, Map.of());
        Producer<String, String> p = new Producer<>(Map.of("bootstrap.servers", brokers.bootstrap()),
                Serdes.stringSerializer(), Serdes.stringSerializer());
        try {
            assertThat(p.send(new ProducerRecord<>(topic, "a", "1")).get().offset()).isZero();
            RecordBatch mine = RawReader.readAll(brokers, topic, 0).get(0).batch();
            // Another instance takes the id over: bumps the epoch and writes with it.
            String[] hp = brokers.leaderAddress(topic, 0).split(":");
            ManagedChannel ch = ManagedChannelBuilder.forAddress(hp[0], Integer.parseInt(hp[1])).usePlaintext().build();
            try {
                ProducerIdAndEpoch bumped = ProduceServiceGrpc.newBlockingStub(ch).initProducerId(InitProducerIdRequest
                        .newBuilder().setCurrent(ProducerIdAndEpoch.newBuilder().setProducerId(mine.producerId())
                                .setProducerEpoch(mine.producerEpoch())).build()).getProducer();
                RecordBatchBuilder b = new RecordBatchBuilder(Compression.NONE, 1024)
                        .producer(bumped.getProducerId(), (short) bumped.getProducerEpoch(), 0);
                b.append(1L, null, java.nio.ByteBuffer.wrap("usurper".getBytes()));
                var result = ProduceServiceGrpc.newBlockingStub(ch).produce(ProduceRequest.newBuilder()
                        .setAcks(Acks.ACKS_ALL).addPartitions(PartitionProduceData.newBuilder().setTopic(topic)
                                .setPartition(0).setRecords(UnsafeByteOperations.unsafeWrap(b.build().buffer())))
                        .build()).getPartitions(0);
                assertThat(result.hasError()).as("%s", result.getError()).isFalse();
            } finally {
                ch.shutdownNow();
            }
            assertThatThrownBy(() -> p.send(new ProducerRecord<>(topic, "a", "2")).get(30, TimeUnit.SECONDS))
                    .cause().isInstanceOf(InvalidProducerEpochException.class).hasMessageContaining("fenced");
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThatThrownBy(() -> p.send(new ProducerRecord<>(topic, "a", "3")).get(1, TimeUnit.SECONDS))
                            .cause().isInstanceOf(InvalidProducerEpochException.class));
        } finally {
            p.close(Duration.ofSeconds(5));
        }
        List<String> values = new ArrayList<>();
        for (Record r : RawReader.records(brokers, topic, 0)) {
            values.add(java.nio.charset.StandardCharsets.UTF_8.decode(r.value()).toString());
        }
        assertThat(values).containsExactly("1", "usurper");
    }
}
