package io.tributary.client.consumer;

import static io.tributary.client.TestBrokers.recs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tributary.client.ConsumerRecord;
import io.tributary.client.TestBrokers;
import io.tributary.client.TopicPartition;
import io.tributary.proto.v1.FindCoordinatorRequest;
import io.tributary.proto.v1.GroupCoordinator;
import io.tributary.record.Compression;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Three real brokers: the consumer follows a partition leader that moves, and a group its coordinator. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ConsumerFailoverIT {

    TestBrokers brokers;

    @BeforeAll
    void start(@TempDir Path dir) {
        brokers = new TestBrokers(dir, 3, Map.of("group.offsets.topic.partitions", "1",
                "group.heartbeat.interval.ms", "300", "group.min.session.timeout.ms", "2000",
                // Election timeouts for a loaded 2-core machine: no spurious leader changes mid-test.
                "raft.server.rpc.timeout.min", "1s", "raft.server.rpc.timeout.max", "2s")).start();
    }

    @AfterAll
    void stop() {
        if (brokers != null) {
            brokers.close();
        }
    }

    private Consumer<String, String> consumer(Map<String, Object> extra) {
        return ConsumerTests.consumer(brokers.bootstrap(), extra);
    }

    private void restart(int id) {
        brokers.startBroker(id);
        await().atMost(Duration.ofSeconds(60)).until(() -> brokers.broker(id).isReady());
    }

    @Test
    void shouldFollowTheLeaderOfItsPartitionsWithoutLossOrDuplicates() {
        String t = "moving";
        brokers.createTopic(t, 2, 3, Map.of());
        for (int p = 0; p < 2; p++) {
            brokers.produce(t, p, Compression.NONE, recs("before-p" + p, 50));
        }
        try (Consumer<String, String> c = consumer(Map.of())) {
            c.assign(List.of(new TopicPartition(t, 0), new TopicPartition(t, 1)));
            List<ConsumerRecord<String, String>> got = new ArrayList<>();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                c.poll(Duration.ofMillis(100)).forEach(got::add);
                return got.size() >= 100;
            });
            int leader = brokers.leaderOf(t, 0);
            brokers.stopBroker(leader);
            try {
                for (int p = 0; p < 2; p++) {
                    brokers.produce(t, p, Compression.SNAPPY, recs("after-p" + p, 50));
                }
                await().atMost(Duration.ofSeconds(60)).until(() -> {
                    c.poll(Duration.ofMillis(100)).forEach(got::add);
                    return got.size() >= 200;
                });
                c.poll(Duration.ofMillis(500)).forEach(got::add);
                assertThat(got).hasSize(200);
                for (int p = 0; p < 2; p++) {
                    int part = p;
                    List<String> values = got.stream().filter(r -> r.partition() == part).map(ConsumerRecord::value)
                            .toList();
                    List<String> expected = new ArrayList<>();
                    recs("before-p" + p, 50).forEach(r -> expected.add(r.value()));
                    recs("after-p" + p, 50).forEach(r -> expected.add(r.value()));
                    assertThat(values).containsExactlyElementsOf(expected);
                }
            } finally {
                restart(leader);
            }
        }
    }

    @Test
    void shouldKeepAGroupConsumingAndCommittingWhenItsCoordinatorStops() throws Exception {
        String t = "grouped";
        String g = "survivors";
        brokers.createTopic(t, 4, 3, Map.of());
        ConcurrentLinkedQueue<String> received = new ConcurrentLinkedQueue<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<AtomicReference<Set<TopicPartition>>> assignments = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            AtomicReference<Set<TopicPartition>> a = new AtomicReference<>(Set.of());
            assignments.add(a);
            String id = "m" + i;
            Thread th = new Thread(() -> {
                try (Consumer<String, String> c = consumer(Map.of("group.id", g, "client.id", id,
                        "auto.commit.interval.ms", 200, "session.timeout.ms", 10_000))) {
                    c.subscribe(List.of(t));
                    while (!stop.get()) {
                        c.poll(Duration.ofMillis(100)).forEach(r -> received.add(r.value()));
                        a.set(c.assignment());
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            }, "member-" + id);
            th.start();
            threads.add(th);
        }
        int coordinator = -1;
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> assignments.stream().allMatch(a -> a.get().size() == 2));
            for (int p = 0; p < 4; p++) {
                brokers.produce(t, p, Compression.NONE, recs("one-p" + p, 20));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> received.size() == 80);
            GroupCoordinator gc = brokers.metadata().findCoordinator(FindCoordinatorRequest.newBuilder().addGroupIds(g)
                    .build()).getCoordinators(0);
            coordinator = gc.getCoordinator().getBrokerId();
            brokers.stopBroker(coordinator);
            for (int p = 0; p < 4; p++) {
                brokers.produce(t, p, Compression.NONE, recs("two-p" + p, 20));
            }
            await().atMost(Duration.ofSeconds(90)).until(() -> received.size() >= 160);
            assertThat(failure.get()).isNull();
            Set<String> distinct = new HashSet<>(received);
            assertThat(distinct).hasSize(160);
            // The members' auto-commits reach the new coordinator: the committed offsets catch up.
            try (Consumer<String, String> probe = consumer(Map.of("group.id", g, "enable.auto.commit", "false"))) {
                Set<TopicPartition> all = new HashSet<>();
                for (int p = 0; p < 4; p++) {
                    all.add(new TopicPartition(t, p));
                }
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                    Map<TopicPartition, OffsetAndMetadata> committed = probe.committed(all);
                    for (TopicPartition tp : all) {
                        assertThat(committed.get(tp)).as("committed offset of %s", tp).isNotNull();
                        assertThat(committed.get(tp).offset()).isEqualTo(40);
                    }
                });
            }
            // Every partition still owned by exactly one member.
            Set<TopicPartition> union = new HashSet<>();
            assignments.forEach(a -> union.addAll(a.get()));
            assertThat(union).hasSize(4);
            assertThat(assignments.get(0).get().size() + assignments.get(1).get().size()).isEqualTo(4);
        } finally {
            stop.set(true);
            for (Thread th : threads) {
                th.join(60_000);
            }
            if (coordinator > 0) {
                restart(coordinator);
            }
        }
        assertThat(failure.get()).isNull();
        assertThat(received).hasSize(160);
    }
}
