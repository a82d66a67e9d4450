package io.tributary.replication.metadata;

import io.tributary.record.Compression;
import io.tributary.record.RecordBatchBuilder;
import io.tributary.replication.AppendRequest;
import io.tributary.replication.BrokerInfo;
import io.tributary.replication.ClusterMetadata;
import io.tributary.replication.PartitionInfo;
import io.tributary.replication.TopicException;
import io.tributary.replication.TopicInfo;
import io.tributary.replication.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The metadata quorum on three in-process brokers: commands, validation, snapshots, failover. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class MetadataQuorumTest {

    @TempDir
    Path dir;

    static java.nio.ByteBuffer batch(int records) {
        RecordBatchBuilder b = new RecordBatchBuilder(Compression.NONE, Integer.MAX_VALUE);
        for (int i = 0; i < records; i++) {
            b.append(System.currentTimeMillis(), null, java.nio.ByteBuffer.wrap(("v" + i).getBytes()));
        }
        return b.build().buffer().duplicate();
    }

    private static <T> T get(CompletableFuture<T> f) throws Exception {
        return f.get(30, TimeUnit.SECONDS);
    }

    private static TopicException.Reason reasonOf(CompletableFuture<?> f) {
        try {
            f.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(TopicException.class);
            return ((TopicException) e.getCause()).reason();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("the request succeeded");
    }

    @Test
    void shouldApplyAndValidateTopicCommandsFromAnyBroker() throws Exception {
        try (MetadataCluster c = MetadataCluster.start(dir, 3, 1500, 60_000, 60_000)) {
            int controller = c.awaitController();
            int other = c.anyRunningExcept(controller);
            ClusterMetadata md = c.view(other);
            assertThat(md.brokers()).containsOnlyKeys(1, 2, 3);
            assertThat(md.brokers().values()).allSatisfy(b -> assertThat(b.alive()).isTrue());
            assertThat(md.brokers().values()).allSatisfy(b -> assertThat(b.controllerVoter()).isTrue());
            assertThat(md.controllerId()).contains(controller);
            assertThat(md.clusterId()).isNotEmpty();

            TopicInfo dry = get(c.admin(other).createTopic("orders", 3, 3, Map.of(), true));
            assertThat(dry.partitions()).hasSize(3);
            assertThat(c.view(other).topics()).doesNotContainKey("orders");

            TopicInfo created = get(c.admin(other).createTopic("orders", 3, 3, Map.of("retention.ms", "60000"), false));
            assertThat(created.partitions()).hasSize(3)
                    .allSatisfy(p -> assertThat(p.replicas()).containsExactlyInAnyOrder(1, 2, 3));
            assertThat(c.view(other).topics()).containsKey("orders");
            assertThat(reasonOf(c.admin(controller).createTopic("orders", 1, 1, Map.of(), false)))
                    .isEqualTo(TopicException.Reason.TOPIC_ALREADY_EXISTS);
            assertThat(reasonOf(c.admin(other).createTopic("bad name", 1, 1, Map.of(), false)))
                    .isEqualTo(TopicException.Reason.INVALID_TOPIC_NAME);
            assertThat(reasonOf(c.admin(other).createTopic("..", 1, 1, Map.of(), false)))
                    .isEqualTo(TopicException.Reason.INVALID_TOPIC_NAME);
            assertThat(reasonOf(c.admin(other).createTopic("t4", 1, 4, Map.of(), false)))
                    .isEqualTo(TopicException.Reason.INVALID_REPLICATION_FACTOR);
            assertThat(reasonOf(c.admin(other).createTopic("t0", 0, 1, Map.of(), false)))
                    .isEqualTo(TopicException.Reason.INVALID_PARTITIONS);
            assertThat(reasonOf(c.admin(other).createTopic("tc", 1, 1, Map.of("retention.ms", "x"), false)))
                    .isEqualTo(TopicException.Reason.INVALID_CONFIG);
            assertThat(reasonOf(c.admin(other).deleteTopic("nope"))).isEqualTo(TopicException.Reason.UNKNOWN_TOPIC);

            // Every broker hosts a replica of every partition, and the partitions elect leaders.
            TopicInfo led = c.awaitLeaders("orders");
            assertThat(led.partitions()).allSatisfy(p -> assertThat(p.inSyncReplicas()).isNotEmpty());
            for (int id = 1; id <= 3; id++) {
                assertThat(c.nodes[id].localPartitions().hosted()).hasSize(3);
            }

            // Config changes reach the metadata and every replica.
            TopicInfo altered = get(c.admin(controller).alterTopicConfig("orders", Map.of("retention.ms", "1234"),
                    Set.of()));
            assertThat(altered.configs()).containsEntry("retention.ms", "1234");
            await().atMost(Duration.ofSeconds(20)).until(() -> List.of(1, 2, 3).stream().allMatch(id ->
                    "1234".equals(c.view(id).topics().get("orders").configs().get("retention.ms"))));

            TopicInfo grown = get(c.admin(other).createPartitions("orders", 5));
            assertThat(grown.partitions()).hasSize(5);
            assertThat(reasonOf(c.admin(other).createPartitions("orders", 2)))
                    .isEqualTo(TopicException.Reason.INVALID_PARTITIONS);
            c.awaitLeaders("orders");

            Set<Long> ids = new HashSet<>();
            for (int i = 0; i < 5; i++) {
                for (int id = 1; id <= 3; id++) {
                    ids.add(get(c.admin(id).allocateProducerId()));
                }
            }
            assertThat(ids).hasSize(15);

        }
    }

    @Test
    void shouldRemoveGroupsAndDataWhenATopicIsDeleted() throws Exception {
        try (MetadataCluster c = MetadataCluster.start(dir, 3, 1500, 60_000, 60_000)) {
            int other = c.anyRunningExcept(c.awaitController());
            get(c.admin(other).createTopic("orders", 5, 3, Map.of(), false));
            c.awaitLeaders("orders");
            // Deletion removes the groups and the data on every broker.
            List<Path> logDirs = List.of(dir.resolve("b1/data/orders-0"), dir.resolve("b2/data/orders-4"));
            assertThat(logDirs).allSatisfy(p -> assertThat(p).isDirectory());
            get(c.admin(other).deleteTopic("orders"));
            assertThat(c.view(other).topics()).doesNotContainKey("orders");
            await().atMost(Duration.ofSeconds(30)).until(() -> List.of(1, 2, 3).stream()
                    .allMatch(id -> c.nodes[id].localPartitions().hosted().isEmpty()));
            await().atMost(Duration.ofSeconds(10)).until(() -> logDirs.stream().noneMatch(Files::exists));
        }
    }

    @Test
    void shouldRestoreTheStateFromASnapshotAfterAFullRestart() throws Exception {
        try (MetadataCluster c = MetadataCluster.start(dir, 3, 1500, 60_000, 60_000)) {
            int controller = c.awaitController();
            get(c.admin(1).createTopic("a", 2, 2, Map.of("cleanup.policy", "compact"), false));
            get(c.admin(2).createTopic("b", 1, 3, Map.of(), false));
            long producerId = get(c.admin(3).allocateProducerId());
            await().until(() -> List.of(1, 2, 3).stream().allMatch(id ->
                    c.managers[id].localImage().topics().size() == 2));
            MetadataImage before = c.managers[controller].localImage();
            for (int id = 1; id <= 3; id++) {
                long idx = c.managers[id].takeSnapshot();
                assertThat(idx).isPositive();
            }
            // Snapshot files exist in each voter's metadata group directory.
            try (var files = Files.walk(dir.resolve("b1/meta"))) {
                assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("snapshot.")))
                        .isNotEmpty();
            }
            for (int id = 1; id <= 3; id++) {
                c.stopNode(id);
            }
            for (int id = 1; id <= 3; id++) {
                c.startNode(id);
            }
            c.awaitRegistered();
            int again = c.awaitController();
            await().atMost(Duration.ofSeconds(30)).until(() -> c.managers[again].localImage().topics().size() == 2);
            MetadataImage after = c.managers[again].localImage();
            assertThat(after.topics()).isEqualTo(before.topics());
            assertThat(after.clusterId()).isEqualTo(before.clusterId());
            assertThat(after.nextProducerId()).isEqualTo(before.nextProducerId());
            // A new block starts after the old one: ids never repeat across restarts.
            assertThat(get(c.admin(1).allocateProducerId())).isGreaterThan(producerId);
            assertThat(c.view(1).topics()).containsOnlyKeys("a", "b");
        }
    }

    @Test
    void shouldKeepServingWhenTheControllerFailsAndCatchUpWhenItReturns() throws Exception {
        try (MetadataCluster c = MetadataCluster.start(dir, 3, 1000, 60_000, 60_000)) {
            int controller = c.awaitController();
            get(c.admin(controller).createTopic("before", 1, 3, Map.of(), false));
            c.stopNode(controller);

            int next = c.awaitController();
            assertThat(next).isNotEqualTo(controller);
            int other = c.anyRunningExcept(next);
            // A new controller gives every broker one session timeout of grace before declaring it dead.
            await().atMost(Duration.ofSeconds(20)).until(() -> !c.view(other).brokers().get(controller).alive());
            TopicInfo t = get(c.admin(other).createTopic("after", 2, 2, Map.of(), false));
            assertThat(t.partitions()).allSatisfy(p -> assertThat(p.replicas()).doesNotContain(controller));
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                ClusterMetadata md = c.view(other);
                return md.controllerId().equals(java.util.Optional.of(next))
                        && !md.brokers().get(controller).alive();
            });
            c.awaitLeaders("after");

            // Records written while it is away...
            TopicPartition before0 = new TopicPartition("before", 0);
            long[] written = {-1};
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
                PartitionInfo p = c.view(other).topics().get("before").partitions().get(0);
                if (!p.hasLeader() || p.leaderId() == controller) {
                    return false;
                }
                written[0] = c.nodes[p.leaderId()].replica(before0).orElseThrow()
                        .append(AppendRequest.of(batch(5))).get(10, TimeUnit.SECONDS).lastOffset();
                return true;
            });

            c.startNode(controller);
            c.awaitRegistered();
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    c.managers[controller].localImage().topics().keySet().equals(Set.of("before", "after"))
                            && c.view(controller).topics().containsKey("after"));
            // Its replica of "before" rejoins: the leader counts it in sync again.
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                PartitionInfo p = c.view(other).topics().get("before").partitions().get(0);
                return p.hasLeader() && p.inSyncReplicas().contains(controller);
            });
            // ...reach it when it returns: it catches up through Raft.
            await().atMost(Duration.ofSeconds(30)).until(() -> c.nodes[controller].replica(before0)
                    .map(r -> r.highWatermark() > written[0]).orElse(false));
            assertThat(c.view(controller).brokers().values()).allSatisfy(b -> assertThat(b.alive()).isTrue());
            assertThat(c.view(controller).brokers().values().stream().map(BrokerInfo::id)).hasSize(3);
        }
    }
}
