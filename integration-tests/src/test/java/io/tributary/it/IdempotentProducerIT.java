package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.tributary.client.ConsumerRecord;
import io.tributary.client.ProducerRecord;
import io.tributary.client.RecordMetadata;
import io.tributary.client.consumer.Consumer;
import io.tributary.client.producer.Producer;
import io.tributary.client.serde.Serdes;
import io.tributary.proto.v1.ProduceServiceGrpc;
import io.tributary.proto.v1.ProduceStreamRequest;
import io.tributary.proto.v1.ProduceStreamResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 4 §5: an idempotent producer whose requests are duplicated, and some of whose answers are
 * lost (so that it retries batches that were written), while the partition's leader is killed,
 * writes every record exactly once, in order. The duplication happens in the client's gRPC
 * channel ({@code grpc.interceptor.classes}), so the brokers see exactly what a network that
 * repeats messages, or a producer that retries, would send them.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
@ExtendWith(BrokerLogsOnFailure.class)
class IdempotentProducerIT {

    private static final String TOPIC = "exactly-once";
    private static final int PARTITIONS = 2;
    private static final int ROUNDS = 60;
    private static final int PER_ROUND = 40;

    /**
     * Sends every ProduceStream request twice (the copy under another correlation id, whose
     * answer it swallows), and swallows the answer of every 25th original request, so that the
     * producer times out and retries a batch the broker has written.
     */
    public static final class DuplicatingInterceptor implements ClientInterceptor {
        static final long COPY_BIT = 1L << 62;
        static final AtomicInteger DUPLICATED = new AtomicInteger();
        static final AtomicInteger ANSWERS_DROPPED = new AtomicInteger();
        static final AtomicInteger ORIGINALS = new AtomicInteger();

        @Override
        @SuppressWarnings("unchecked")
        public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
            ClientCall<Q, R> call = next.newCall(method, options);
            if (!method.getFullMethodName().equals(ProduceServiceGrpc.getProduceStreamMethod().getFullMethodName())) {
                return call;
            }
            return new ForwardingClientCall.SimpleForwardingClientCall<>(call) {
                private final java.util.Set<Long> dropAnswerOf = java.util.concurrent.ConcurrentHashMap.newKeySet();

                @Override
                public void start(Listener<R> listener, Metadata headers) {
                    ClientCall<Q, R> self = delegate();
                    super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                        @Override
                        public void onMessage(R message) {
                            long id = ((ProduceStreamResponse) message).getCorrelationId();
                            if ((id & COPY_BIT) != 0 || dropAnswerOf.remove(id)) {
                                if ((id & COPY_BIT) == 0) {
                                    ANSWERS_DROPPED.incrementAndGet();
                                }
                                self.request(1); // the application asked for a message it will not get
                                return;
                            }
                            super.onMessage(message);
                        }
                    }, headers);
                }

                @Override
                public void sendMessage(Q message) {
                    ProduceStreamRequest request = (ProduceStreamRequest) message;
                    super.sendMessage(message);
                    if (ORIGINALS.incrementAndGet() % 25 == 0) {
                        dropAnswerOf.add(request.getCorrelationId());
                    }
                    super.sendMessage((Q) request.toBuilder().setCorrelationId(request.getCorrelationId() | COPY_BIT).build());
                    DUPLICATED.incrementAndGet();
                }
            };
        }
    }

    @Test
    void shouldWriteEveryRecordExactlyOnceThroughDuplicatesRetriesAndALeaderKill() throws Exception {
        try (TestCluster cluster = TestCluster.start(3)) {
            cluster.awaitReady();
            cluster.createTopic(TOPIC, PARTITIONS, 3);
            int leader = cluster.awaitLeader(TopicPartition.of(TOPIC, 0));

            Map<Integer, List<String>> sent = new HashMap<>();
            Map<String, RecordMetadata> acked = new HashMap<>();
            Map<String, String> config = Map.of(
                    "bootstrap.servers", cluster.bootstrap(),
                    "linger.ms", "2",
                    "batch.bytes", "2048",
                    "request.timeout.ms", "3000",
                    "delivery.timeout.ms", "120000",
                    "grpc.interceptor.classes", DuplicatingInterceptor.class.getName());
            try (Producer<String, String> producer = new Producer<>(config, Serdes.stringSerializer(), Serdes.stringSerializer())) {
                int n = 0;
                for (int round = 0; round < ROUNDS; round++) {
                    if (round == ROUNDS / 3) {
                        cluster.kill(leader);
                    }
                    List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
                    List<String> values = new ArrayList<>();
                    for (int i = 0; i < PER_ROUND; i++, n++) {
                        int partition = n % PARTITIONS;
                        String value = "v" + n;
                        sent.computeIfAbsent(partition, p -> new ArrayList<>()).add(value);
                        values.add(value);
                        futures.add(producer.send(new ProducerRecord<>(TOPIC, partition, null, value)));
                    }
                    for (int i = 0; i < futures.size(); i++) {
                        acked.put(values.get(i), futures.get(i).get(120, TimeUnit.SECONDS));
                    }
                }
            }
            assertThat(DuplicatingInterceptor.DUPLICATED.get()).as("requests sent twice").isGreaterThan(ROUNDS);
            assertThat(DuplicatingInterceptor.ANSWERS_DROPPED.get()).as("answers lost, batches retried").isGreaterThan(0);

            try (Consumer<String, String> consumer = new Consumer<>(Map.of("bootstrap.servers", cluster.bootstrap(),
                    "auto.offset.reset", "earliest"), Serdes.stringDeserializer(), Serdes.stringDeserializer())) {
                for (int p = 0; p < PARTITIONS; p++) {
                    io.tributary.client.TopicPartition tp = new io.tributary.client.TopicPartition(TOPIC, p);
                    consumer.assign(List.of(tp));
                    consumer.seekToBeginning(List.of(tp));
                    List<ConsumerRecord<String, String>> got = new ArrayList<>();
                    int expected = sent.get(p).size();
                    await("partition " + p + " read back").atMost(Duration.ofSeconds(60)).until(() -> {
                        consumer.poll(Duration.ofMillis(200)).forEach(got::add);
                        return got.size() >= expected;
                    });
                    // Nothing beyond: the end offset is exactly the number of records sent.
                    assertThat(consumer.endOffsets(List.of(tp)).get(tp)).isEqualTo(expected);
                    assertThat(got.stream().map(ConsumerRecord::value).toList())
                            .as("partition %d: every record once, in the order sent", p)
                            .containsExactlyElementsOf(sent.get(p));
                    for (ConsumerRecord<String, String> r : got) {
                        assertThat(acked.get(r.value()).offset()).as("acknowledged offset of %s", r.value()).isEqualTo(r.offset());
                    }
                }
            }
        }
    }
}
