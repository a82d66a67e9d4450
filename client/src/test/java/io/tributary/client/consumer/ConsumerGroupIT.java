package io.tributary.client.consumer;

import static io.tributary.client.TestBrokers.recs;
import static io.tributary.client.consumer.ConsumerTests.pollN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.tributary.client.ConsumerRecord;
import io.tributary.client.TestBrokers;
import io.tributary.client.TopicPartition;
import io.tributary.client.errors.GroupNotEmptyException;
import io.tributary.client.errors.InvalidRequestException;
import io.tributary.record.Compression;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** Commits and consumer groups against one real broker with its group coordinator. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ConsumerGroupIT {

    private static final AtomicInteger NAMES = new AtomicInteger();

    TestBrokers brokers;

    @BeforeAll
    void start(@TempDir Path dir) {
        brokers = new TestBrokers(dir, 1, Map.of("group.offsets.topic.partitions", "2",
                "group.heartbeat.interval.ms", "300", "group.min.session.timeout.ms", "2000")).start();
    }

    @AfterAll
    void stop() {
        if (brokers != null) {
            brokers.close();
        }
    }

    private String name(String prefix) {
        return prefix + NAMES.incrementAndGet();
    }

    private Consumer<String, String> consumer(Map<String, Object> extra) {
        return ConsumerTests.consumer(brokers.bootstrap(), extra);
    }

    @Test
    void shouldCommitAndReadCommittedOffsetsWithAssign() {
        String t = name("commits");
        String g = name("g");
        brokers.createTopic(t, 2, 1, Map.of());
        brokers.produce(t, 0, Compression.NONE, recs("a", 10));
        brokers.produce(t, 1, Compression.NONE, recs("b", 10));
        TopicPartition p0 = new TopicPartition(t, 0);
        TopicPartition p1 = new TopicPartition(t, 1);
        try (Consumer<String, String> c = consumer(Map.of("group.id", g, "enable.auto.commit", "false"))) {
            c.assign(List.of(p0, p1));
            assertThat(c.committed(Set.of(p0, p1))).containsEntry(p0, null).containsEntry(p1, null);
            pollN(c, 20);
            c.commitSync();
            assertThat(c.committed(Set.of(p0, p1))).containsEntry(p0, new OffsetAndMetadata(10))
                    .containsEntry(p1, new OffsetAndMetadata(10));
            c.commitSync(Map.of(p0, new OffsetAndMetadata(4, "host-a")));
            assertThat(c.committed(Set.of(p0)).get(p0)).isEqualTo(new OffsetAndMetadata(4, "host-a"));
            AtomicReference<Exception> result = new AtomicReference<>(new Exception("not called"));
            c.commitAsync(Map.of(p1, new OffsetAndMetadata(7)), (offsets, e) -> result.set(e));
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                c.poll(Duration.ofMillis(50));
                return result.get() == null;
            });
            assertThat(c.committed(Set.of(p1)).get(p1).offset()).isEqualTo(7);
        }
        // A new consumer of the group starts at the committed offsets.
        try (Consumer<String, String> c = consumer(Map.of("group.id", g, "enable.auto.commit", "false"))) {
            c.assign(List.of(p0, p1));
            assertThat(c.position(p0)).isEqualTo(4);
            assertThat(c.position(p1)).isEqualTo(7);
            List<ConsumerRecord<String, String>> got = pollN(c, 9);
            assertThat(got).extracting(ConsumerRecord::offset).containsExactlyInAnyOrder(4L, 5L, 6L, 7L, 8L, 9L, 7L,
                    8L, 9L);
        }
        // Auto-commit on close.
        try (Consumer<String, String> c = consumer(Map.of("group.id", g))) {
            c.assign(List.of(p0));
            assertThat(pollN(c, 6)).isNotEmpty();
        }
        try (Consumer<String, String> c = consumer(Map.of("group.id", g))) {
            assertThat(c.committed(Set.of(p0)).get(p0).offset()).isEqualTo(10);
        }
        // close() waits for an async commit in flight and runs its callback.
        AtomicReference<Exception> closing = new AtomicReference<>(new Exception("not called"));
        Consumer<String, String> last = consumer(Map.of("group.id", g, "enable.auto.commit", "false"));
        last.assign(List.of(p0));
        last.commitAsync(Map.of(p0, new OffsetAndMetadata(3, "async")), (offsets, e) -> closing.set(e));
        last.close();
        assertThat(closing.get()).isNull();
        try (Consumer<String, String> c = consumer(Map.of("group.id", g))) {
            assertThat(c.committed(Set.of(p0)).get(p0)).isEqualTo(new OffsetAndMetadata(3, "async"));
        }
    }

    @Test
    void shouldThrowTheCoordinatorsRefusalFromPoll() {
        String t = name("refused");
        brokers.createTopic(t, 1, 1, Map.of());
        try (Consumer<String, String> c = consumer(Map.of("group.id", name("g"), "session.timeout.ms", 500))) {
            c.subscribe(List.of(t));
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                try {
                    c.poll(Duration.ofMillis(100));
                    return false;
                } catch (InvalidRequestException e) {
                    thrown.set(e);
                    return true;
                }
            });
            assertThat(thrown.get()).hasMessageContaining("session");
            assertThat(c.assignment()).isEmpty();
        }
    }

    /** One group member on its own thread, recording what it receives and what its listener is told. */
    final class Member implements Runnable, RebalanceListener {
        final String id;
        final Consumer<String, String> consumer;
        final Thread thread;
        final ConcurrentLinkedQueue<ConsumerRecord<String, String>> received = new ConcurrentLinkedQueue<>();
        final java.util.concurrent.ConcurrentHashMap<String, Long> receivedAtNanos = new java.util.concurrent.ConcurrentHashMap<>();
        final CopyOnWriteArrayList<String> events = new CopyOnWriteArrayList<>();
        final AtomicReference<Set<TopicPartition>> assignment = new AtomicReference<>(Set.of());
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        volatile boolean stop;

        Member(String id, String group, String topic) {
            this.id = id;
            this.consumer = consumer(Map.of("group.id", group, "client.id", id, "auto.commit.interval.ms", 200,
                    "session.timeout.ms", 6000));
            this.consumer.subscribe(List.of(topic), this);
            this.thread = new Thread(this, "member-" + id);
        }

        Member start() {
            thread.start();
            return this;
        }

        @Override
        public void run() {
            try {
                while (!stop) {
                    for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(100))) {
                        received.add(r);
                        receivedAtNanos.put(r.value(), System.nanoTime());
                    }
                    assignment.set(consumer.assignment());
                }
            } catch (Throwable t) {
                failure.set(t);
            } finally {
                consumer.close();
            }
        }

        void close() throws InterruptedException {
            stop = true;
            thread.join(30_000);
            assertThat(thread.isAlive()).isFalse();
            assertThat(failure.get()).isNull();
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            events.add("revoked " + partitions);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            events.add("assigned " + partitions);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            events.add("lost " + partitions);
        }

        Set<String> values() {
            Set<String> out = new HashSet<>();
            received.forEach(r -> out.add(r.value()));
            return out;
        }
    }

    @Test
    void shouldShareSixPartitionsAmongThreeMembersAndMoveOnlyTheLeaversPartitions() throws Exception {
        String t = name("shared");
        String g = name("group");
        brokers.createTopic(t, 6, 1, Map.of());
        Set<TopicPartition> all = new HashSet<>();
        for (int p = 0; p < 6; p++) {
            all.add(new TopicPartition(t, p));
        }
        List<Member> members = new ArrayList<>();
        for (String id : List.of("a", "b", "c")) {
            members.add(new Member(id, g, t).start());
        }
        try {
            // Every partition owned by exactly one member, two each.
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                Set<TopicPartition> union = new HashSet<>();
                int total = 0;
                for (Member m : members) {
                    assertThat(m.failure.get()).isNull();
                    union.addAll(m.assignment.get());
                    total += m.assignment.get().size();
                    assertThat(m.assignment.get()).hasSize(2);
                }
                assertThat(total).isEqualTo(6);
                assertThat(union).isEqualTo(all);
            });
            int sent = 0;
            for (int p = 0; p < 6; p++) {
                brokers.produce(t, p, Compression.NONE, recs("r1-p" + p, 10));
                sent += 10;
            }
            int firstRound = sent;
            await().atMost(Duration.ofSeconds(30)).until(() -> members.stream().mapToInt(m -> m.received.size()).sum()
                    == firstRound);

            Member a = members.get(0);
            Member b = members.get(1);
            Member c = members.get(2);
            Set<TopicPartition> aBefore = a.assignment.get();
            Set<TopicPartition> bBefore = b.assignment.get();
            int aEvents = a.events.size();
            int bEvents = b.events.size();
            // While c leaves, a keeps receiving from its partitions without a pause.
            AtomicInteger live = new AtomicInteger();
            java.util.concurrent.ConcurrentHashMap<String, Long> producedAtNanos = new java.util.concurrent.ConcurrentHashMap<>();
            AtomicReference<Throwable> producerFailure = new AtomicReference<>();
            java.util.concurrent.atomic.AtomicBoolean producing = new java.util.concurrent.atomic.AtomicBoolean(true);
            List<TopicPartition> aParts = new ArrayList<>(aBefore);
            Thread producer = new Thread(() -> {
                try {
                    while (producing.get()) {
                        int i = live.get();
                        TopicPartition tp = aParts.get(i % aParts.size());
                        brokers.produce(t, tp.partition(), Compression.NONE,
                                List.of(new TestBrokers.Rec("live", "live-" + i)));
                        producedAtNanos.put("live-" + i, System.nanoTime());
                        live.incrementAndGet();
                    }
                } catch (Throwable e) {
                    producerFailure.set(e);
                }
            }, "live-producer");
            producer.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> a.receivedAtNanos.containsKey("live-10"));
            c.close();
            // Only c's partitions move: a and b keep theirs, are never told of a revocation, and gain c's.
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                Set<TopicPartition> union = new HashSet<>(a.assignment.get());
                union.addAll(b.assignment.get());
                assertThat(union).isEqualTo(all);
                assertThat(a.assignment.get().size() + b.assignment.get().size()).isEqualTo(6);
            });
            int liveAtReassignment = live.get();
            await().atMost(Duration.ofSeconds(10)).until(() -> live.get() >= liveAtReassignment + 10);
            producing.set(false);
            producer.join(30_000);
            assertThat(producerFailure.get()).isNull();
            int liveSent = live.get();
            await().atMost(Duration.ofSeconds(10)).until(() -> a.receivedAtNanos.containsKey("live-" + (liveSent - 1)));
            // A pause would show as a long delay between a record's acknowledgement and its receipt
            // (measured per record, so a slow produce on a loaded machine does not count as a pause).
            long maxDelayMs = 0;
            for (int i = 0; i < liveSent; i++) {
                long delay = a.receivedAtNanos.get("live-" + i) - producedAtNanos.get("live-" + i);
                maxDelayMs = Math.max(maxDelayMs, TimeUnit.NANOSECONDS.toMillis(delay));
            }
            LoggerFactory.getLogger(ConsumerGroupIT.class).info("while c left, a received {} live records, the slowest {} ms "
                    + "after its acknowledgement", liveSent, maxDelayMs);
            assertThat(maxDelayMs).as("longest delivery delay in a's partitions while c left (%s live records)",
                    liveSent).isLessThan(3_000);
            sent += liveSent;
            assertThat(a.assignment.get()).containsAll(aBefore);
            assertThat(b.assignment.get()).containsAll(bBefore);
            assertThat(a.events.subList(aEvents, a.events.size())).allMatch(e -> e.startsWith("assigned"));
            assertThat(b.events.subList(bEvents, b.events.size())).allMatch(e -> e.startsWith("assigned"));

            // The remaining members receive from all six partitions, c's former ones from its committed offsets.
            for (int p = 0; p < 6; p++) {
                brokers.produce(t, p, Compression.GZIP, recs("r2-p" + p, 10));
                sent += 10;
            }
            Set<String> expected = new HashSet<>();
            for (int p = 0; p < 6; p++) {
                for (int i = 0; i < 10; i++) {
                    expected.add("r1-p" + p + "-v" + i);
                    expected.add("r2-p" + p + "-v" + i);
                }
            }
            for (int i = 0; i < liveSent; i++) {
                expected.add("live-" + i);
            }
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                Set<String> seen = new HashSet<>();
                members.forEach(m -> seen.addAll(m.values()));
                assertThat(seen).isEqualTo(expected);
            });
            int total = members.stream().mapToInt(m -> m.received.size()).sum();
            assertThat(total).as("c committed on close, so nothing is delivered twice").isEqualTo(sent);
            a.close();
            b.close();

            // A full restart of the group: commits survive, nothing lost, nothing delivered twice.
            List<Member> second = new ArrayList<>();
            for (String id : List.of("d", "e", "f")) {
                second.add(new Member(id, g, t).start());
            }
            members.addAll(second);
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                for (Member m : second) {
                    assertThat(m.assignment.get()).hasSize(2);
                }
            });
            for (int p = 0; p < 6; p++) {
                brokers.produce(t, p, Compression.ZSTD, recs("r3-p" + p, 10));
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> second.stream().mapToInt(m -> m.received.size()).sum()
                    >= 60);
            Set<String> third = new HashSet<>();
            second.forEach(m -> third.addAll(m.values()));
            for (int p = 0; p < 6; p++) {
                for (int i = 0; i < 10; i++) {
                    assertThat(third).contains("r3-p" + p + "-v" + i);
                }
            }
            assertThat(second.stream().mapToInt(m -> m.received.size()).sum()).isEqualTo(60);
            assertThat(third).allMatch(v -> v.startsWith("r3-"));
        } finally {
            for (Member m : members) {
                if (m.thread.isAlive()) {
                    m.stop = true;
                    m.thread.join(30_000);
                }
            }
        }
    }

    @Test
    void shouldRefuseAStandaloneCommitWhileTheGroupHasMembers() throws Exception {
        String t = name("busy");
        String g = name("g");
        brokers.createTopic(t, 1, 1, Map.of());
        Member m = new Member("m", g, t).start();
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> m.assignment.get().size() == 1);
            try (Consumer<String, String> c = consumer(Map.of("group.id", g, "enable.auto.commit", "false"))) {
                TopicPartition tp = new TopicPartition(t, 0);
                c.assign(List.of(tp));
                assertThatThrownBy(() -> c.commitSync(Map.of(tp, new OffsetAndMetadata(0))))
                        .isInstanceOf(GroupNotEmptyException.class);
            }
        } finally {
            m.close();
        }
    }

    @Test
    void shouldUseCommittedOffsetsAfterRejoiningWithAnotherSubscription() {
        String t1 = name("s1");
        String t2 = name("s2");
        String g = name("g");
        brokers.createTopic(t1, 1, 1, Map.of());
        brokers.createTopic(t2, 1, 1, Map.of());
        brokers.produce(t1, 0, Compression.NONE, recs("one", 5));
        brokers.produce(t2, 0, Compression.NONE, recs("two", 5));
        List<String> events = new CopyOnWriteArrayList<>();
        RebalanceListener l = new RebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                events.add("revoked " + partitions);
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                events.add("assigned " + partitions);
            }
        };
        try (Consumer<String, String> c = consumer(Map.of("group.id", g))) {
            c.subscribe(List.of(t1), l);
            assertThat(pollN(c, 5)).allMatch(r -> r.topic().equals(t1));
            assertThat(c.subscription()).containsExactly(t1);
            c.subscribe(List.of(t2), l);
            assertThat(pollN(c, 5)).allMatch(r -> r.topic().equals(t2));
            assertThat(new LinkedHashSet<>(events)).containsExactly("assigned [" + t1 + "-0]", "revoked [" + t1 + "-0]",
                    "assigned [" + t2 + "-0]");
            assertThat(c.committed(Set.of(new TopicPartition(t1, 0))).get(new TopicPartition(t1, 0)).offset())
                    .isEqualTo(5);
        }
    }
}
