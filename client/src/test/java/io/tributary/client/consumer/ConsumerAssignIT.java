package io.tributary.client.consumer;

import static io.tributary.client.TestBrokers.recs;
import static io.tributary.client.consumer.ConsumerTests.pollN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.tributary.client.ConsumerRecord;
import io.tributary.client.TestBrokers;
import io.tributary.client.TopicPartition;
import io.tributary.client.errors.ClientClosedException;
import io.tributary.client.errors.ConfigException;
import io.tributary.client.errors.SerializationException;
import io.tributary.client.errors.UnknownTopicOrPartitionException;
import io.tributary.client.serde.Serdes;
import io.tributary.record.Compression;
import io.tributary.record.Header;
import io.tributary.record.TimestampType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The consumer with assign(): round trip, seeks, pause/resume, resets, bad input; one real broker. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ConsumerAssignIT {

    private static final AtomicInteger TOPICS = new AtomicInteger();

    TestBrokers brokers;

    @BeforeAll
    void start(@TempDir Path dir) {
        brokers = new TestBrokers(dir, 1, Map.of()).start();
    }

    @AfterAll
    void stop() {
        if (brokers != null) {
            brokers.close();
        }
    }

    private String topic(int partitions) {
        String t = "t" + TOPICS.incrementAndGet();
        brokers.createTopic(t, partitions, 1, Map.of());
        return t;
    }

    private Consumer<String, String> consumer(Map<String, Object> extra) {
        return ConsumerTests.consumer(brokers.bootstrap(), extra);
    }

    @Test
    void shouldReadKeysValuesHeadersAndTimestampsOfEveryCodec() {
        String t = topic(2);
        long ts = 1_700_000_000_000L;
        int expected = 0;
        Map<Integer, List<TestBrokers.Rec>> sent = new HashMap<>();
        for (Compression codec : Compression.values()) {
            for (int p = 0; p < 2; p++) {
                List<TestBrokers.Rec> batch = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    String key = i == 3 ? null : codec + "-key-" + i;
                    String value = i == 5 ? null : codec + "-value-" + i + "-" + "x".repeat(i * 10);
                    List<Header> headers = i % 2 == 0 ? List.of(new Header("h", ("hv" + i).getBytes(StandardCharsets.UTF_8)),
                            new Header("empty", null)) : List.of();
                    batch.add(new TestBrokers.Rec(key, value, ts + i, headers));
                }
                brokers.produce(t, p, codec, batch);
                sent.computeIfAbsent(p, k -> new ArrayList<>()).addAll(batch);
                expected += batch.size();
            }
        }
        try (Consumer<String, String> c = consumer(Map.of())) {
            TopicPartition p0 = new TopicPartition(t, 0);
            TopicPartition p1 = new TopicPartition(t, 1);
            c.assign(List.of(p0, p1));
            assertThat(c.assignment()).containsExactlyInAnyOrder(p0, p1);
            List<ConsumerRecord<String, String>> got = pollN(c, expected);
            assertThat(got).hasSize(expected);
            for (int p = 0; p < 2; p++) {
                int part = p;
                List<ConsumerRecord<String, String>> mine = got.stream().filter(r -> r.partition() == part).toList();
                List<TestBrokers.Rec> want = sent.get(p);
                assertThat(mine).hasSize(want.size());
                for (int i = 0; i < mine.size(); i++) {
                    ConsumerRecord<String, String> r = mine.get(i);
                    TestBrokers.Rec w = want.get(i);
                    assertThat(r.offset()).isEqualTo(i);
                    assertThat(r.key()).isEqualTo(w.key());
                    assertThat(r.value()).isEqualTo(w.value());
                    assertThat(r.timestamp()).isEqualTo(w.timestamp());
                    assertThat(r.timestampType()).isEqualTo(TimestampType.CREATE_TIME);
                    assertThat(r.headers()).isEqualTo(w.headers());
                    assertThat(r.serializedKeySize()).isEqualTo(w.key() == null ? -1
                            : w.key().getBytes(StandardCharsets.UTF_8).length);
                    assertThat(r.serializedValueSize()).isEqualTo(w.value() == null ? -1
                            : w.value().getBytes(StandardCharsets.UTF_8).length);
                    assertThat(r.leaderEpoch()).isPresent();
                }
                assertThat(c.position(new TopicPartition(t, p))).isEqualTo(want.size());
            }
            assertThat(c.endOffsets(List.of(p0, p1))).containsEntry(p0, 100L).containsEntry(p1, 100L);
            assertThat(c.currentLag(p0)).hasValue(0);
            c.seek(p0, 40);
            assertThat(c.currentLag(p0)).hasValue(60);
            assertThat(c.beginningOffsets(List.of(p0))).containsEntry(p0, 0L);
        }
    }

    @Test
    void shouldReturnAtMostMaxPollRecords() {
        String t = topic(1);
        brokers.produce(t, 0, Compression.NONE, recs("a", 50));
        try (Consumer<String, String> c = consumer(Map.of("max.poll.records", 7))) {
            c.assign(List.of(new TopicPartition(t, 0)));
            List<ConsumerRecord<String, String>> all = new ArrayList<>();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                ConsumerRecords<String, String> rs = c.poll(Duration.ofMillis(200));
                assertThat(rs.count()).isLessThanOrEqualTo(7);
                rs.forEach(all::add);
                return all.size() == 50;
            });
            for (int i = 0; i < 50; i++) {
                assertThat(all.get(i).offset()).isEqualTo(i);
            }
        }
    }

    @Test
    void shouldSeekByOffsetBeginningEndAndTime() {
        String t = topic(1);
        TopicPartition tp = new TopicPartition(t, 0);
        long base = System.currentTimeMillis() - 60_000;
        List<TestBrokers.Rec> first = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            first.add(new TestBrokers.Rec("k" + i, "v" + i, base + i * 1000L, List.of()));
        }
        brokers.produce(t, 0, Compression.LZ4, first.subList(0, 15));
        brokers.produce(t, 0, Compression.NONE, first.subList(15, 30));
        try (Consumer<String, String> c = consumer(Map.of())) {
            c.assign(List.of(tp));
            // Into the middle of a compressed batch: records before the offset are skipped.
            c.seek(tp, 7);
            List<ConsumerRecord<String, String>> got = pollN(c, 23);
            assertThat(got.get(0).offset()).isEqualTo(7);
            assertThat(got.get(0).value()).isEqualTo("v7");
            assertThat(c.position(tp)).isEqualTo(30);

            c.seekToBeginning(List.of(tp));
            assertThat(c.position(tp)).isZero();
            assertThat(pollN(c, 30).get(0).offset()).isZero();

            c.seekToEnd(List.of(tp));
            assertThat(c.position(tp)).isEqualTo(30);
            assertThat(c.poll(Duration.ofMillis(300)).isEmpty()).isTrue();
            brokers.produce(t, 0, Compression.ZSTD, recs("late", 3));
            List<ConsumerRecord<String, String>> late = pollN(c, 3);
            assertThat(late).extracting(ConsumerRecord::offset).containsExactly(30L, 31L, 32L);

            // By time: the first record at or after base + 12.5 s is offset 13.
            Map<TopicPartition, OffsetAndTimestamp> found = c.offsetsForTimes(Map.of(tp, base + 12_500));
            assertThat(found.get(tp)).isEqualTo(new OffsetAndTimestamp(13, base + 13_000));
            c.seek(tp, found.get(tp).offset());
            assertThat(pollN(c, 1).get(0).value()).isEqualTo("v13");
            // A time after every record: null.
            assertThat(c.offsetsForTimes(Map.of(tp, System.currentTimeMillis() + 3_600_000)).get(tp)).isNull();
        }
    }

    @Test
    void shouldPauseAndResume() {
        String t = topic(2);
        TopicPartition p0 = new TopicPartition(t, 0);
        TopicPartition p1 = new TopicPartition(t, 1);
        try (Consumer<String, String> c = consumer(Map.of())) {
            c.assign(List.of(p0, p1));
            c.poll(Duration.ofMillis(100));
            c.pause(List.of(p0));
            assertThat(c.paused()).containsExactly(p0);
            brokers.produce(t, 0, Compression.NONE, recs("p0", 5));
            brokers.produce(t, 1, Compression.NONE, recs("p1", 5));
            List<ConsumerRecord<String, String>> got = pollN(c, 5);
            assertThat(got).allMatch(r -> r.partition() == 1);
            // Still nothing from the paused partition.
            assertThat(c.poll(Duration.ofMillis(500)).isEmpty()).isTrue();
            c.resume(List.of(p0));
            assertThat(c.paused()).isEmpty();
            List<ConsumerRecord<String, String>> after = pollN(c, 5);
            assertThat(after).allMatch(r -> r.partition() == 0);
            assertThat(after).extracting(ConsumerRecord::value).containsExactly("p0-v0", "p0-v1", "p0-v2", "p0-v3",
                    "p0-v4");
        }
    }

    @Test
    void shouldStartAtTheEndWithLatestAndThrowWithNone() {
        String t = topic(1);
        TopicPartition tp = new TopicPartition(t, 0);
        brokers.produce(t, 0, Compression.NONE, recs("old", 4));
        try (Consumer<String, String> c = consumer(Map.of("auto.offset.reset", "latest"))) {
            c.assign(List.of(tp));
            assertThat(c.position(tp)).isEqualTo(4);
            brokers.produce(t, 0, Compression.NONE, recs("new", 2));
            assertThat(pollN(c, 2)).extracting(ConsumerRecord::value).containsExactly("new-v0", "new-v1");
        }
        try (Consumer<String, String> c = consumer(Map.of("auto.offset.reset", "none"))) {
            c.assign(List.of(tp));
            assertThatThrownBy(() -> c.poll(Duration.ofSeconds(5)))
                    .isInstanceOf(NoOffsetForPartitionException.class)
                    .hasMessageContaining(tp.toString()).hasMessageContaining("auto.offset.reset is none");
            c.seek(tp, 5);
            assertThat(pollN(c, 1).get(0).value()).isEqualTo("new-v1");
        }
    }

    @Test
    void shouldRejectBadInputClearly() {
        String t = topic(1);
        TopicPartition tp = new TopicPartition(t, 0);
        try (Consumer<String, String> c = consumer(Map.of())) {
            assertThatThrownBy(() -> c.poll(Duration.ofMillis(10))).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("subscribe() or assign()");
            assertThatThrownBy(() -> c.subscribe(List.of(t))).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("group.id");
            assertThatThrownBy(() -> c.commitSync()).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("group.id");
            assertThatThrownBy(() -> c.seek(tp, 0)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("does not own");
            c.assign(List.of(tp));
            assertThatThrownBy(() -> c.seek(tp, -1)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("-1");
            assertThatThrownBy(() -> c.seek(new TopicPartition(t, 5), 0)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(t + "-5");
            assertThatThrownBy(() -> c.pause(List.of(new TopicPartition("other", 0))))
                    .isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> c.poll(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> c.offsetsForTimes(Map.of(tp, -5L))).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> c.endOffsets(List.of(new TopicPartition("no-such-topic", 0)),
                    Duration.ofSeconds(10))).isInstanceOf(UnknownTopicOrPartitionException.class);
            assertThatThrownBy(() -> c.endOffsets(List.of(new TopicPartition(t, 9)), Duration.ofSeconds(10)))
                    .isInstanceOf(UnknownTopicOrPartitionException.class).hasMessageContaining("has 1 partitions");
            assertThatCode(() -> c.assign(List.of())).doesNotThrowAnyException();
            assertThat(c.assignment()).isEmpty();
        }
        assertThatThrownBy(() -> consumer(Map.of("auto.offset.reset", "sometimes")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("auto.offset.reset");
        assertThatThrownBy(() -> consumer(Map.of("enable.auto.commit", "true")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("group.id");
    }

    @Test
    void shouldReportAnUnknownTopicADeserializerFailureAndAClosedConsumerClearly() {
        try (Consumer<String, String> c = consumer(Map.of())) {
            c.assign(List.of(new TopicPartition("never-created", 0)));
            long start = System.nanoTime();
            assertThatThrownBy(() -> {
                while (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(30)) {
                    c.poll(Duration.ofMillis(200));
                }
            }).isInstanceOf(UnknownTopicOrPartitionException.class).hasMessageContaining("never-created");
        }
        String t = topic(1);
        TopicPartition tp = new TopicPartition(t, 0);
        brokers.produce(t, 0, Compression.NONE, recs("s", 3));
        Map<String, Object> cfg = Map.of("bootstrap.servers", brokers.bootstrap(), "auto.offset.reset", "earliest");
        Consumer<String, Long> c = new Consumer<>(cfg, Serdes.stringDeserializer(), (topic, data) -> {
            String s = new String(data, StandardCharsets.UTF_8);
            if (s.endsWith("1")) {
                throw new IllegalArgumentException("not a number: " + s);
            }
            return (long) s.length();
        });
        c.assign(List.of(tp));
        List<ConsumerRecord<String, Long>> got = new ArrayList<>();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            c.poll(Duration.ofMillis(100)).forEach(got::add);
            return got.size() == 1;
        });
        // The bad record stops the partition at its offset, with a message naming it, until the application seeks past.
        assertThatThrownBy(() -> c.poll(Duration.ofSeconds(5))).isInstanceOf(SerializationException.class)
                .hasMessageContaining("offset 1 of " + tp).hasMessageContaining("not a number");
        assertThat(c.position(tp)).isEqualTo(1);
        assertThatThrownBy(() -> c.poll(Duration.ofSeconds(5))).isInstanceOf(SerializationException.class);
        c.seek(tp, 2);
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            c.poll(Duration.ofMillis(100)).forEach(got::add);
            return got.size() == 2;
        });
        assertThat(got.get(1).offset()).isEqualTo(2);
        c.close();
        c.close();
        assertThatThrownBy(() -> c.poll(Duration.ofMillis(10))).isInstanceOf(ClientClosedException.class);
    }

    @Test
    void shouldThrowWakeupExceptionFromABlockedPoll() {
        String t = topic(1);
        try (Consumer<String, String> c = consumer(Map.of())) {
            c.assign(Set.of(new TopicPartition(t, 0)));
            java.util.concurrent.CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS).execute(c::wakeup);
            long start = System.nanoTime();
            assertThatThrownBy(() -> c.poll(Duration.ofSeconds(30))).isInstanceOf(WakeupException.class);
            assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).isLessThan(10);
        }
    }
}
