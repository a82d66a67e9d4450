package io.tributary.client.consumer;

import static io.tributary.client.TestBrokers.recs;
import static io.tributary.client.consumer.ConsumerTests.pollN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tributary.client.ConsumerRecord;
import io.tributary.client.TestBrokers;
import io.tributary.client.TopicPartition;
import io.tributary.client.errors.OffsetOutOfRangeException;
import io.tributary.record.Compression;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Out-of-range positions, a compacted topic, the memory bound, and a fenced member; one real broker. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ConsumerEdgeIT {

    private static final AtomicInteger NAMES = new AtomicInteger();

    TestBrokers brokers;

    @BeforeAll
    void start(@TempDir Path dir) {
        // Frequent Raft snapshots and tiny Raft log segments, so that compaction (which acts only below
        // what Raft may still read) can run within a test.
        brokers = new TestBrokers(dir, 1, Map.of("group.offsets.topic.partitions", "1",
                "group.heartbeat.interval.ms", "200", "group.min.session.timeout.ms", "2000",
                "raft.server.snapshot.auto.trigger.threshold", "20", "raft.server.log.purge.gap", "4",
                "raft.server.log.segment.size.max", "1KB")).start();
    }

    @AfterAll
    void stop() {
        if (brokers != null) {
            brokers.close();
        }
    }

    private String topic(int partitions, Map<String, String> configs) {
        String t = "e" + NAMES.incrementAndGet();
        brokers.createTopic(t, partitions, 1, configs);
        return t;
    }

    private Consumer<String, String> consumer(Map<String, Object> extra) {
        return ConsumerTests.consumer(brokers.bootstrap(), extra);
    }

    /** A listener that adds "revoked N", "assigned N" or "lost N" to {@code events} (N partitions). */
    private static RebalanceListener counting(List<String> events) {
        return new RebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                events.add("revoked " + partitions.size());
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                events.add("assigned " + partitions.size());
            }

            @Override
            public void onPartitionsLost(Collection<TopicPartition> partitions) {
                events.add("lost " + partitions.size());
            }
        };
    }

    @Test
    void shouldResetAPositionOutOfRangeByThePolicy() {
        String t = topic(1, Map.of());
        TopicPartition tp = new TopicPartition(t, 0);
        brokers.produce(t, 0, Compression.NONE, recs("a", 10, 10));
        try (Consumer<String, String> c = consumer(Map.of("auto.offset.reset", "earliest"))) {
            c.assign(List.of(tp));
            c.seek(tp, 1_000);
            List<ConsumerRecord<String, String>> got = pollN(c, 10);
            assertThat(got.get(0).offset()).isZero();
        }
        try (Consumer<String, String> c = consumer(Map.of("auto.offset.reset", "latest"))) {
            c.assign(List.of(tp));
            c.seek(tp, 1_000);
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                c.poll(Duration.ofMillis(100));
                return c.position(tp) == 10;
            });
        }
        try (Consumer<String, String> c = consumer(Map.of("auto.offset.reset", "none"))) {
            c.assign(List.of(tp));
            c.seek(tp, 1_000);
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                try {
                    c.poll(Duration.ofMillis(100));
                    return false;
                } catch (OffsetOutOfRangeException e) {
                    thrown.set(e);
                    return true;
                }
            });
            assertThat(thrown.get()).hasMessageContaining("1000").hasMessageContaining("0..10")
                    .hasMessageContaining("auto.offset.reset is none");
            c.seek(tp, 9);
            assertThat(pollN(c, 1).get(0).offset()).isEqualTo(9);
        }
    }

    @Test
    void shouldKeepBufferedBytesUnderTheBound() {
        String t = topic(2, Map.of());
        int perPartition = 0;
        for (int i = 0; i < 40; i++) {
            for (int p = 0; p < 2; p++) {
                brokers.produce(t, p, Compression.NONE, recs("m" + i, 10, 1000)); // ~10 KB batches
            }
            perPartition += 10;
        }
        long bound = 64 * 1024;
        int fetchMax = 16 * 1024;
        try (Consumer<String, String> c = consumer(Map.of("max.buffered.bytes", bound, "fetch.max.bytes", fetchMax,
                "max.poll.records", 1))) {
            c.assign(List.of(new TopicPartition(t, 0), new TopicPartition(t, 1)));
            assertThat(c.poll(Duration.ofSeconds(10)).count()).isEqualTo(1);
            // The fetcher fills up to the bound and stops: at most the bound plus one message in flight
            // (fetch.max.bytes or one batch) per subscription (one broker here).
            long limit = bound + fetchMax + 12 * 1024;
            await().pollDelay(Duration.ofMillis(500)).atMost(Duration.ofSeconds(10))
                    .until(() -> c.bufferedBytes() > bound / 2);
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
                    .until(() -> c.bufferedBytes() <= limit);
            // Everything still arrives, in order, through the small buffer.
            List<ConsumerRecord<String, String>> rest = pollN(c, 2 * perPartition - 1);
            assertThat(rest).hasSize(2 * perPartition - 1);
            for (int p = 0; p < 2; p++) {
                int part = p;
                List<Long> offsets = rest.stream().filter(r -> r.partition() == part).map(ConsumerRecord::offset).toList();
                for (int i = 1; i < offsets.size(); i++) {
                    assertThat(offsets.get(i)).isEqualTo(offsets.get(i - 1) + 1);
                }
            }
        }
    }

    @Test
    void shouldReadACompactedTopicWithOffsetGaps() {
        String t = topic(1, Map.of("cleanup.policy", "compact", "segment.bytes", "2048",
                "min.cleanable.dirty.ratio", "0.01", "min.compaction.lag.ms", "0", "max.message.bytes", "2000"));
        TopicPartition tp = new TopicPartition(t, 0);
        Map<String, String> latest = new HashMap<>();
        int produced = 0;
        for (int i = 0; i < 150; i++) {
            // Unique keys survive compaction; the two hot keys keep only their last record, so the
            // survivors are separated by offset gaps.
            String key = i % 3 == 0 ? "unique" + i : "hot" + (i % 2);
            String value = "value-" + i + "-" + "y".repeat(100);
            brokers.produce(t, 0, Compression.NONE, List.of(new TestBrokers.Rec(key, value)));
            latest.put(key, value);
            produced++;
        }
        int total = produced;
        try (Consumer<String, String> c = consumer(Map.of())) {
            c.assign(List.of(tp));
            AtomicReference<List<ConsumerRecord<String, String>>> read = new AtomicReference<>();
            // The cleaner runs every 15 s by default; wait until a full read shows it removed records.
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).until(() -> {
                c.seekToBeginning(List.of(tp));
                List<ConsumerRecord<String, String>> all = new ArrayList<>();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (c.position(tp) < total && System.nanoTime() < deadline) {
                    c.poll(Duration.ofMillis(100)).forEach(all::add);
                }
                read.set(all);
                return c.position(tp) == total && all.size() < total && all.get(0).offset() == 0;
            });
            List<ConsumerRecord<String, String>> all = read.get();
            boolean gap = false;
            for (int i = 1; i < all.size(); i++) {
                assertThat(all.get(i).offset()).isGreaterThan(all.get(i - 1).offset());
                gap |= all.get(i).offset() > all.get(i - 1).offset() + 1;
            }
            assertThat(gap).as("offsets read: %s", all.stream().map(ConsumerRecord::offset).toList()).isTrue();
            Map<String, String> last = new HashMap<>();
            all.forEach(r -> last.put(r.key(), r.value()));
            assertThat(last).isEqualTo(latest);
            assertThat(c.position(tp)).isEqualTo(total);
        }
    }

    @Test
    void shouldLeaveTheGroupWhenTheApplicationStopsPollingAndJoinAgainAtTheNextPoll() throws Exception {
        String t = topic(2, Map.of());
        String g = "stuck" + NAMES.incrementAndGet();
        List<String> events = new CopyOnWriteArrayList<>();
        RebalanceListener l = counting(events);
        try (Consumer<String, String> stuck = consumer(Map.of("group.id", g, "max.poll.interval.ms", 1500,
                "client.id", "stuck"))) {
            stuck.subscribe(List.of(t), l);
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                stuck.poll(Duration.ofMillis(100));
                return stuck.assignment().size() == 2;
            });
            try (BackgroundMember other = new BackgroundMember(g, t, "worker")) {
                // The stuck member does not poll: it leaves by itself and the worker gets both partitions
                // (no revocation is needed: the stuck member's partitions are free once it left).
                await().atMost(Duration.ofSeconds(30)).until(() -> other.owns.get() == 2);
                await().atMost(Duration.ofSeconds(30)).until(() -> {
                    stuck.poll(Duration.ofMillis(100));
                    return events.contains("lost 2") && stuck.assignment().size() == 1;
                });
                await().atMost(Duration.ofSeconds(30)).until(() -> other.owns.get() == 1);
            }
        }
    }

    @Test
    void shouldLosePartitionsWithoutCommittingWhenFencedAndJoinAgain() throws Exception {
        String t = topic(2, Map.of());
        String g = "fenced" + NAMES.incrementAndGet();
        List<String> events = new CopyOnWriteArrayList<>();
        RebalanceListener l = counting(events);
        try (Consumer<String, String> slow = consumer(Map.of("group.id", g, "rebalance.timeout.ms", 1500,
                "session.timeout.ms", 6000, "client.id", "slow"))) {
            slow.subscribe(List.of(t), l);
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                slow.poll(Duration.ofMillis(100));
                return slow.assignment().size() == 2;
            });
            // A second member joins while the first does not poll for longer than its rebalance
            // timeout: the coordinator removes the first, which learns it from UNKNOWN_MEMBER_ID.
            try (BackgroundMember other = new BackgroundMember(g, t, "other")) {
                // The other member gets a partition only once the slow one was removed (the slow one, not
                // polling, cannot revoke); the slow one may already have joined again by then.
                await().atMost(Duration.ofSeconds(30)).until(() -> other.owns.get() >= 1);
                // The slow member polls again: its partitions are lost (not revoked), and it rejoins.
                await().atMost(Duration.ofSeconds(30)).until(() -> {
                    slow.poll(Duration.ofMillis(100));
                    return events.contains("lost 2") && slow.assignment().size() == 1;
                });
                assertThat(events).doesNotContain("revoked 2");
                await().atMost(Duration.ofSeconds(30)).until(() -> other.owns.get() == 1);
            }
        }
    }

    /**
     * A member of {@code group} subscribed to {@code topic} that polls on its own thread (named
     * {@code <clientId>-member}) and publishes how many partitions it owns; {@link #close} stops it
     * and checks that it failed with nothing.
     */
    private final class BackgroundMember implements AutoCloseable {
        final AtomicInteger owns = new AtomicInteger();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final AtomicBoolean stop = new AtomicBoolean();
        private final Thread thread;

        BackgroundMember(String group, String topic, String clientId) {
            thread = new Thread(() -> {
                try (Consumer<String, String> o = consumer(Map.of("group.id", group, "client.id", clientId))) {
                    o.subscribe(List.of(topic));
                    while (!stop.get()) {
                        o.poll(Duration.ofMillis(100));
                        owns.set(o.assignment().size());
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            }, clientId + "-member");
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            thread.join(30_000);
            assertThat(failure.get()).isNull();
        }
    }
}
