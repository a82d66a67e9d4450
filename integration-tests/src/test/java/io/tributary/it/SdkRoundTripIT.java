package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.tributary.client.ConsumerRecord;
import io.tributary.client.ProducerRecord;
import io.tributary.client.RecordMetadata;
import io.tributary.client.consumer.Consumer;
import io.tributary.client.consumer.OffsetAndTimestamp;
import io.tributary.client.errors.ExpectedOffsetMismatchException;
import io.tributary.client.producer.Condition;
import io.tributary.client.producer.Producer;
import io.tributary.client.serde.Serdes;
import io.tributary.examples.AccountStore;
import io.tributary.record.Header;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 4 §5: the SDK against a real 3-broker cluster (separate JVMs on 127.0.0.1): a round trip
 * with keys, headers and every compression codec; seek by offset and by time; conditional append
 * with two writers racing on one key; the event-sourcing example; and the tributary command
 * ({@link CliScenario}). One cluster serves every test of the class.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
@ExtendWith(BrokerLogsOnFailure.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SdkRoundTripIT {

    private static final Duration WAIT = Duration.ofSeconds(60);

    private TestCluster cluster;

    @BeforeAll
    void startCluster() {
        cluster = TestCluster.start(3);
        cluster.awaitReady();
    }

    @AfterAll
    void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private Producer<String, String> producer(Map<String, String> extra) {
        Map<String, String> config = new HashMap<>(Map.of("bootstrap.servers", cluster.bootstrap(), "linger.ms", "5"));
        config.putAll(extra);
        return new Producer<>(config, Serdes.stringSerializer(), Serdes.stringSerializer());
    }

    private Consumer<String, String> consumer(Map<String, String> extra) {
        Map<String, String> config = new HashMap<>(Map.of("bootstrap.servers", cluster.bootstrap(),
                "auto.offset.reset", "earliest"));
        config.putAll(extra);
        return new Consumer<>(config, Serdes.stringDeserializer(), Serdes.stringDeserializer());
    }

    private static List<io.tributary.client.TopicPartition> partitions(String topic, int count) {
        List<io.tributary.client.TopicPartition> list = new ArrayList<>();
        for (int p = 0; p < count; p++) {
            list.add(new io.tributary.client.TopicPartition(topic, p));
        }
        return list;
    }

    private static List<ConsumerRecord<String, String>> pollUntil(Consumer<String, String> consumer, int count) {
        List<ConsumerRecord<String, String>> got = new ArrayList<>();
        await("" + count + " records").atMost(WAIT).until(() -> {
            consumer.poll(Duration.ofMillis(200)).forEach(got::add);
            return got.size() >= count;
        });
        return got;
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "gzip", "snappy", "lz4", "zstd"})
    void shouldRoundTripKeysHeadersAndValuesWithEveryCodec(String codec) throws Exception {
        String topic = "round-trip-" + codec;
        cluster.createTopic(topic, 3, 3);
        int count = 300;
        Map<String, RecordMetadata> written = new HashMap<>();
        try (Producer<String, String> producer = producer(Map.of("compression.type", codec))) {
            List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                List<Header> headers = List.of(new Header("n", Integer.toString(i).getBytes(StandardCharsets.UTF_8)),
                        new Header("codec", codec.getBytes(StandardCharsets.UTF_8)));
                // Null keys every 10th record: the sticky partitioner spreads them.
                String key = i % 10 == 0 ? null : "key-" + (i % 17);
                futures.add(producer.send(new ProducerRecord<>(topic, key, "value-" + i, headers)));
            }
            for (int i = 0; i < count; i++) {
                written.put("value-" + i, futures.get(i).get(30, TimeUnit.SECONDS));
            }
        }

        try (Consumer<String, String> consumer = consumer(Map.of())) {
            consumer.assign(partitions(topic, 3));
            List<ConsumerRecord<String, String>> got = pollUntil(consumer, count);
            assertThat(got).hasSize(count);
            Map<String, Integer> partitionOfKey = new HashMap<>();
            Map<Integer, Long> lastOffset = new HashMap<>();
            for (ConsumerRecord<String, String> r : got) {
                RecordMetadata md = written.get(r.value());
                assertThat(md).as("record %s was acknowledged", r.value()).isNotNull();
                assertThat(r.partition()).isEqualTo(md.partition());
                assertThat(r.offset()).isEqualTo(md.offset());
                int i = Integer.parseInt(r.value().substring("value-".length()));
                assertThat(r.key()).isEqualTo(i % 10 == 0 ? null : "key-" + (i % 17));
                assertThat(new String(r.lastHeader("n").value(), StandardCharsets.UTF_8)).isEqualTo(Integer.toString(i));
                assertThat(new String(r.lastHeader("codec").value(), StandardCharsets.UTF_8)).isEqualTo(codec);
                if (r.key() != null) {
                    Integer before = partitionOfKey.putIfAbsent(r.key(), r.partition());
                    assertThat(before == null || before == r.partition()).as("one partition per key").isTrue();
                }
                Long previous = lastOffset.put(r.partition(), r.offset());
                assertThat(previous == null || previous < r.offset()).as("offsets increase within a partition").isTrue();
            }
        }
    }

    @Test
    void shouldSeekByOffsetAndByTime() throws Exception {
        String topic = "seek";
        cluster.createTopic(topic, 1, 3);
        long t0 = System.currentTimeMillis() - 1_000_000;
        try (Producer<String, String> producer = producer(Map.of())) {
            List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                futures.add(producer.send(new ProducerRecord<>(topic, 0, t0 + i * 1000L, "k", "v" + i, List.of())));
            }
            for (CompletableFuture<RecordMetadata> f : futures) {
                f.get(30, TimeUnit.SECONDS);
            }
        }
        io.tributary.client.TopicPartition tp = new io.tributary.client.TopicPartition(topic, 0);
        try (Consumer<String, String> consumer = consumer(Map.of())) {
            consumer.assign(List.of(tp));
            consumer.seek(tp, 50);
            assertThat(pollUntil(consumer, 1).get(0).offset()).isEqualTo(50);

            Map<io.tributary.client.TopicPartition, OffsetAndTimestamp> byTime =
                    consumer.offsetsForTimes(Map.of(tp, t0 + 70_000 - 500));
            assertThat(byTime.get(tp).offset()).isEqualTo(70);
            assertThat(byTime.get(tp).timestamp()).isEqualTo(t0 + 70_000);
            consumer.seek(tp, byTime.get(tp).offset());
            ConsumerRecord<String, String> first = pollUntil(consumer, 1).get(0);
            assertThat(first.value()).isEqualTo("v70");
            assertThat(first.timestamp()).isEqualTo(t0 + 70_000);

            consumer.seekToBeginning(List.of(tp));
            assertThat(pollUntil(consumer, 1).get(0).offset()).isEqualTo(0);
            consumer.seekToEnd(List.of(tp));
            assertThat(consumer.position(tp)).isEqualTo(100);
            assertThat(consumer.endOffsets(List.of(tp))).containsEntry(tp, 100L);
        }
    }

    @Test
    void shouldLetExactlyOneOfTwoWritersRacingOnAKeyWinEachRound() throws Exception {
        String topic = "aggregates";
        cluster.createTopic(topic, 2, 3);
        String key = "order-42";
        int rounds = 20;
        try (Producer<String, String> a = producer(Map.of("linger.ms", "0"));
             Producer<String, String> b = producer(Map.of("linger.ms", "0"))) {
            // Another key in the same partition moves the partition's end, not this key's last offset.
            long expected = -1;
            List<Long> winners = new ArrayList<>();
            for (int round = 0; round < rounds; round++) {
                CountDownLatch go = new CountDownLatch(1);
                long expectedNow = expected;
                int r = round;
                CompletableFuture<CompletableFuture<RecordMetadata>> fa = CompletableFuture.supplyAsync(() -> {
                    awaitLatch(go);
                    return a.send(new ProducerRecord<>(topic, key, "a-" + r), Condition.keyLastOffset(expectedNow));
                });
                CompletableFuture<CompletableFuture<RecordMetadata>> fb = CompletableFuture.supplyAsync(() -> {
                    awaitLatch(go);
                    return b.send(new ProducerRecord<>(topic, key, "b-" + r), Condition.keyLastOffset(expectedNow));
                });
                go.countDown();
                Outcome oa = outcome(fa.get(30, TimeUnit.SECONDS));
                Outcome ob = outcome(fb.get(30, TimeUnit.SECONDS));
                assertThat(oa.won() ^ ob.won()).as("round %d: exactly one writer wins (a=%s, b=%s)", round, oa, ob).isTrue();
                Outcome won = oa.won() ? oa : ob;
                Outcome lost = oa.won() ? ob : oa;
                assertThat(lost.actualOffset()).as("the loser is told the key's actual last offset").isEqualTo(won.offset());
                winners.add(won.offset());
                expected = won.offset();
                if (round % 5 == 0) {
                    // Unrelated writes to other keys of the topic do not disturb the key's condition.
                    a.send(new ProducerRecord<>(topic, "other-" + round, "x")).get(30, TimeUnit.SECONDS);
                }
            }
            assertThat(winners).hasSize(rounds).doesNotHaveDuplicates().isSorted();

            // A stale expectation fails with the actual offset and writes nothing.
            int partition = a.send(new ProducerRecord<>(topic, key, "probe"), Condition.keyLastOffset(expected))
                    .get(30, TimeUnit.SECONDS).partition();
            long stale = expected;
            assertThatThrownBy(() -> b.send(new ProducerRecord<>(topic, key, "stale"), Condition.keyLastOffset(stale))
                    .get(30, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(ExpectedOffsetMismatchException.class);

            // Partition-level condition: append only at the expected end offset.
            io.tributary.client.TopicPartition tp = new io.tributary.client.TopicPartition(topic, partition);
            long end;
            try (Consumer<String, String> consumer = consumer(Map.of())) {
                end = consumer.endOffsets(List.of(tp)).get(tp);
            }
            RecordMetadata md = a.send(new ProducerRecord<>(topic, partition, key, "at-end"), Condition.partitionEndOffset(end))
                    .get(30, TimeUnit.SECONDS);
            assertThat(md.offset()).isEqualTo(end);
            ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> b.send(new ProducerRecord<>(topic, partition, key, "late"), Condition.partitionEndOffset(end))
                            .get(30, TimeUnit.SECONDS));
            assertThat(((ExpectedOffsetMismatchException) e.getCause()).actualOffset()).isEqualTo(end + 1);
        }
    }

    /**
     * The event-sourcing example (docs/event-sourcing.md): two stores withdraw concurrently from one
     * account; conditional append on the account's key means no balance is ever spent twice.
     */
    @Test
    void shouldNeverOverdrawAnAccountWhenTwoEventSourcedWritersRace() throws Exception {
        cluster.createTopic("accounts", 3, 3);
        try (AccountStore first = new AccountStore(cluster.bootstrap(), "accounts");
             AccountStore second = new AccountStore(cluster.bootstrap(), "accounts")) {
            first.deposit("alice", 100);
            first.deposit("bob", 7); // another account, maybe in the same partition
            AtomicInteger withdrawn = new AtomicInteger();
            AtomicInteger rejected = new AtomicInteger();
            CountDownLatch go = new CountDownLatch(1);
            List<CompletableFuture<Void>> writers = new ArrayList<>();
            for (AccountStore store : List.of(first, second)) {
                writers.add(CompletableFuture.runAsync(() -> {
                    awaitLatch(go);
                    for (int i = 0; i < 15; i++) {
                        try {
                            store.withdraw("alice", 10);
                            withdrawn.incrementAndGet();
                        } catch (AccountStore.Rejected e) {
                            rejected.incrementAndGet();
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    }
                }));
            }
            go.countDown();
            CompletableFuture.allOf(writers.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
            assertThat(withdrawn.get()).as("withdrawals of 10 from 100").isEqualTo(10);
            assertThat(rejected.get()).isEqualTo(20);
            assertThat(first.load("alice").balance()).isZero();
            assertThat(second.load("bob").balance()).isEqualTo(7);
            assertThat(second.find("carol")).isEmpty();
        }
    }

    /** The tributary command, each invocation its own JVM (see {@link CliScenario}). */
    @Test
    void shouldProduceAndConsumeStdinLinesAndDescribeTheGroupWithTheTributaryCommand() throws Exception {
        CliScenario.produceConsumeAndDescribeTheGroup(cluster);
    }

    private static void awaitLatch(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private record Outcome(boolean won, long offset, long actualOffset) {
    }

    private static Outcome outcome(CompletableFuture<RecordMetadata> send) throws Exception {
        try {
            return new Outcome(true, send.get(30, TimeUnit.SECONDS).offset(), -1);
        } catch (ExecutionException | CompletionException e) {
            if (e.getCause() instanceof ExpectedOffsetMismatchException m) {
                return new Outcome(false, -1, m.actualOffset());
            }
            throw e;
        }
    }
}
