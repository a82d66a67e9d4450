package io.tributary.replication.partition;

import io.tributary.record.Compression;
import io.tributary.record.RecordBatchBuilder;
import io.tributary.replication.AppendRequest;
import io.tributary.replication.AppendResult;
import io.tributary.replication.ExpectedOffsetMismatchException;
import io.tributary.replication.InvalidProducerEpochException;
import io.tributary.replication.OutOfOrderSequenceException;
import io.tributary.replication.PartitionReplica;
import io.tributary.replication.TopicPartition;
import io.tributary.replication.UnknownProducerIdException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Idempotent producers and key conditions on a replicated partition (3 replicas in this JVM): the
 * decisions are the state machine's, so they hold across leader changes, restarts and snapshot
 * installs.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class PartitionIdempotenceTest {
    private static final TopicPartition TP = new TopicPartition("orders", 0);

    @TempDir
    Path dir;
    PartitionCluster cluster;

    @AfterEach
    void tearDown() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** An idempotent batch of {@code records} records with key {@code key} (null: none). */
    static ByteBuffer idempotent(long pid, int epoch, int seq, int records, String key) {
        RecordBatchBuilder b = new RecordBatchBuilder(Compression.NONE, Integer.MAX_VALUE);
        if (pid >= 0) {
            b.producer(pid, (short) epoch, seq);
        }
        for (int i = 0; i < records; i++) {
            b.append(System.currentTimeMillis(), key == null ? null : ByteBuffer.wrap(key.getBytes(StandardCharsets.UTF_8)),
                    ByteBuffer.wrap(("p" + pid + "-s" + (seq + i)).getBytes(StandardCharsets.UTF_8)));
        }
        return b.build().buffer().duplicate();
    }

    static AppendRequest req(ByteBuffer b) {
        return new AppendRequest(b, true, -1, 20_000);
    }

    static AppendRequest keyed(ByteBuffer b, String key, long expected) {
        return new AppendRequest(b, true, -1, 20_000,
                List.of(new AppendRequest.KeyCondition(key.getBytes(StandardCharsets.UTF_8), expected)));
    }

    private PartitionReplica leader() {
        return cluster.replica(cluster.awaitLeader(TP), TP);
    }

    /** Appends through the current leader, retrying on leadership moves (an idempotent retry is safe). */
    private AppendResult append(AppendRequest r) throws Exception {
        for (int attempt = 0; ; attempt++) {
            try {
                return leader().append(new AppendRequest(r.batches().duplicate(), r.acksAll(), r.expectedEndOffset(),
                        r.timeoutMs(), r.keyConditions())).get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof io.tributary.replication.NotLeaderException) || attempt >= 10) {
                    throw e;
                }
            }
        }
    }

    private void awaitConverged(long hw) {
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            for (int i = 0; i < cluster.size; i++) {
                if (cluster.nodes[i] != null) {
                    var r = cluster.nodes[i].localPartitions().replica(TP);
                    if (r.isEmpty() || r.get().highWatermark() < hw) {
                        return false;
                    }
                }
            }
            return true;
        });
    }

    private PartitionStateMachine sm(int node) {
        return ((PartitionReplicaImpl) cluster.replica(node, TP)).stateMachine();
    }

    @Test
    void shouldAnswerARetryAfterALeaderTransferWithTheOriginalOffset() throws Exception {
        cluster = PartitionCluster.start(dir, 3, Map.of());
        cluster.createPartition(TP, Map.of());
        int leader = cluster.awaitLeader(TP);
        append(req(idempotent(-1, 0, 0, 3, null)));
        ByteBuffer unit = idempotent(42, 0, 0, 4, null);
        AppendResult original = cluster.replica(leader, TP).append(req(unit.duplicate())).get(30, TimeUnit.SECONDS);
        assertThat(original.baseOffset()).isEqualTo(3);
        assertThat(original.duplicate()).isFalse();
        awaitConverged(7);

        int target = (leader + 1) % 3;
        cluster.nodes[leader].localPartitions().transferLeadership(TP, target).get(30, TimeUnit.SECONDS);
        assertThat(cluster.awaitLeader(TP)).isEqualTo(target);
        AppendResult retry = cluster.replica(target, TP).append(req(unit.duplicate())).get(30, TimeUnit.SECONDS);
        assertThat(retry.duplicate()).isTrue();
        assertThat(retry.baseOffset()).isEqualTo(3);
        assertThat(retry.lastOffset()).isEqualTo(6);
        AppendResult next = append(req(idempotent(42, 0, 4, 1, null)));
        assertThat(next.baseOffset()).isEqualTo(7);
        awaitConverged(8);
        for (int i = 0; i < 3; i++) {
            assertThat(cluster.replica(i, TP).highWatermark()).as("node " + i).isEqualTo(8);
            assertThat(sm(i).producerState(42).lastSequence()).as("node " + i).isEqualTo(4);
        }
    }

    @Test
    void shouldAnswerARetryWithTheOriginalOffsetAfterTheLeaderIsStopped() throws Exception {
        cluster = PartitionCluster.start(dir, 3, Map.of());
        cluster.createPartition(TP, Map.of());
        int leader = cluster.awaitLeader(TP);
        ByteBuffer unit = idempotent(43, 2, 0, 3, "k");
        AppendResult original = cluster.replica(leader, TP).append(req(unit.duplicate())).get(30, TimeUnit.SECONDS);
        cluster.stopNode(leader);
        AppendResult retry = append(req(unit.duplicate()));
        assertThat(retry.duplicate()).isTrue();
        assertThat(retry.baseOffset()).isEqualTo(original.baseOffset());
        assertThat(leader().highWatermark()).isEqualTo(3);
        cluster.startNode(leader);
        AppendResult next = append(req(idempotent(43, 2, 3, 1, "k")));
        assertThat(next.baseOffset()).isEqualTo(3);
        awaitConverged(4);
        assertThat(sm(leader).producerState(43).lastSequence()).isEqualTo(3);
    }

    @Test
    void shouldReportGapsFencingAndUnknownProducers() throws Exception {
        cluster = PartitionCluster.start(dir, 3, Map.of());
        cluster.createPartition(TP, Map.of());
        append(req(idempotent(5, 0, 0, 2, null)));
        assertThatThrownBy(() -> append(req(idempotent(5, 0, 3, 1, null)))).cause()
                .isInstanceOfSatisfying(OutOfOrderSequenceException.class, e -> {
                    assertThat(e.expectedSequence()).isEqualTo(2);
                    assertThat(e.receivedSequence()).isEqualTo(3);
                });
        assertThatThrownBy(() -> append(req(idempotent(6, 0, 7, 1, null)))).cause()
                .isInstanceOf(UnknownProducerIdException.class);
        append(req(idempotent(5, 1, 0, 1, null))); // the bumped epoch fences epoch 0
        assertThatThrownBy(() -> append(req(idempotent(5, 0, 2, 1, null)))).cause()
                .isInstanceOfSatisfying(InvalidProducerEpochException.class, e -> {
                    assertThat(e.currentEpoch()).isEqualTo(1);
                    assertThat(e.receivedEpoch()).isZero();
                });
        assertThat(leader().highWatermark()).isEqualTo(3);
    }

    @Test
    void shouldForgetAnIdleProducerAfterTheTopicsExpiry() throws Exception {
        cluster = PartitionCluster.start(dir, 3, Map.of());
        cluster.createPartition(TP, Map.of("producer.id.expiration.ms", "1000"));
        append(req(idempotent(5, 0, 0, 1, null)));
        append(req(idempotent(5, 0, 1, 1, null)));
        long idleFrom = System.currentTimeMillis();
        await().pollDelay(Duration.ofMillis(1200)).atMost(Duration.ofSeconds(5))
                .until(() -> System.currentTimeMillis() - idleFrom > 1100);
        assertThatThrownBy(() -> append(req(idempotent(5, 0, 2, 1, null)))).cause()
                .isInstanceOf(UnknownProducerIdException.class);
        assertThat(append(req(idempotent(5, 0, 0, 1, null))).duplicate()).as("a new sequence").isFalse();
        long hw = leader().highWatermark();
        awaitConverged(hw);
        for (int i = 0; i < 3; i++) {
            PartitionState.ProducerEntry p = sm(i).producerState(5);
            assertThat(p.lastSequence()).as("node " + i).isZero();
            assertThat(p.batches()).as("node " + i).hasSize(1);
            assertThat(p.lastAppendMs()).as("the leader's stamp, the same on node " + i)
                    .isEqualTo(sm(0).producerState(5).lastAppendMs());
        }
    }

    @Test
    void shouldKeepProducerStateAcrossARestartWithoutASnapshotAtStop() throws Exception {
        Map<String, String> settings = new HashMap<>(PartitionReplicationTest.FAST_SNAPSHOTS);
        settings.put("raft.server.snapshot.trigger-when-stop.enabled", "false");
        cluster = PartitionCluster.start(dir, 3, settings);
        cluster.createPartition(TP, Map.of());
        List<ByteBuffer> units = new ArrayList<>();
        List<AppendResult> results = new ArrayList<>();
        for (int i = 0; i < 45; i++) { // snapshots at about 20 and 40, then entries after them
            ByteBuffer u = idempotent(9, 0, i, 1, "key-" + (i % 3));
            units.add(u);
            results.add(append(req(u.duplicate())));
        }
        long hw = leader().highWatermark();
        awaitConverged(hw);
        for (int i = 0; i < 3; i++) {
            cluster.stopNode(i);
        }
        for (int i = 0; i < 3; i++) {
            cluster.startNode(i);
        }
        for (int back = 1; back <= 5; back++) {
            AppendResult dup = append(req(units.get(45 - back).duplicate()));
            assertThat(dup.duplicate()).as("unit " + (45 - back)).isTrue();
            assertThat(dup.baseOffset()).isEqualTo(results.get(45 - back).baseOffset());
        }
        assertThatThrownBy(() -> append(req(units.get(30).duplicate()))).cause()
                .isInstanceOf(io.tributary.replication.DuplicateSequenceException.class);
        // The key index survived too: key-2's last record is unit 44's.
        AppendResult ok = append(keyed(idempotent(9, 0, 45, 1, "key-2"), "key-2", results.get(44).baseOffset()));
        assertThat(ok.baseOffset()).isEqualTo(hw);
        awaitConverged(hw + 1);
        for (int i = 0; i < 3; i++) {
            assertThat(sm(i).keyLastOffset("key-1".getBytes(StandardCharsets.UTF_8))).as("node " + i)
                    .isEqualTo(results.get(43).baseOffset());
        }
    }

    @Test
    void shouldDetectADuplicateOnAReplicaThatInstalledASnapshot() throws Exception {
        cluster = PartitionCluster.start(dir, 3, PartitionReplicationTest.FAST_SNAPSHOTS);
        cluster.createPartition(TP, Map.of("segment.bytes", "16384", "max.message.bytes", "16000"));
        int leader = cluster.awaitLeader(TP);
        append(req(idempotent(3, 0, 0, 1, "k")));
        awaitConverged(1);
        int follower = (leader + 1) % 3;
        cluster.stopNode(follower);
        ByteBuffer last = null;
        AppendResult lastResult = null;
        for (int i = 0; i < 100; i++) { // units of 2 records: sequences 1..200
            last = idempotent(3, 0, 1 + 2 * i, 2, "k");
            lastResult = append(req(last.duplicate()));
        }
        int leaderNow = cluster.awaitLeader(TP);
        var division = cluster.nodes[leaderNow].raftServer().getDivision(RaftIds.partitionGroupId(cluster.topicId, TP));
        await().atMost(Duration.ofSeconds(30)).until(() -> division.getRaftLog().getStartIndex() > 40);
        cluster.startNode(follower);
        awaitConverged(leader().highWatermark());
        await().atMost(Duration.ofSeconds(30)).until(() -> sm(follower).snapshotsInstalled() > 0);
        assertThat(sm(follower).producerState(3).lastSequence()).isEqualTo(200);
        assertThat(sm(follower).keyLastOffset("k".getBytes(StandardCharsets.UTF_8))).isEqualTo(lastResult.lastOffset());

        cluster.nodes[cluster.awaitLeader(TP)].localPartitions().transferLeadership(TP, follower).get(30,
                TimeUnit.SECONDS);
        assertThat(cluster.awaitLeader(TP)).isEqualTo(follower);
        AppendResult dup = cluster.replica(follower, TP).append(req(last.duplicate())).get(30, TimeUnit.SECONDS);
        assertThat(dup.duplicate()).isTrue();
        assertThat(dup.baseOffset()).isEqualTo(lastResult.baseOffset());
        AppendResult next = append(keyed(idempotent(3, 0, 2 * 100 + 1, 1, "k"), "k", lastResult.lastOffset()));
        assertThat(next.baseOffset()).isEqualTo(lastResult.lastOffset() + 1);
    }

    @Test
    void shouldLetExactlyOneOfTwoWritersRacingOnAKeyWin() throws Exception {
        cluster = PartitionCluster.start(dir, 3, Map.of());
        cluster.createPartition(TP, Map.of());
        PartitionReplica l = leader();
        long keyOffset = l.append(keyed(idempotent(-1, 0, 0, 1, "agg-1"), "agg-1", -1)).get(30, TimeUnit.SECONDS)
                .baseOffset();
        for (int round = 0; round < 20; round++) {
            // Another key moves the end offset: the condition is on the key, not on the partition.
            l.append(req(idempotent(-1, 0, 0, 1, "other"))).get(30, TimeUnit.SECONDS);
            CompletableFuture<AppendResult> a = l.append(keyed(idempotent(-1, 0, 0, 1, "agg-1"), "agg-1", keyOffset));
            CompletableFuture<AppendResult> b = l.append(keyed(idempotent(-1, 0, 0, 1, "agg-1"), "agg-1", keyOffset));
            int won = 0;
            long winner = -1;
            List<ExpectedOffsetMismatchException> lost = new ArrayList<>();
            for (CompletableFuture<AppendResult> f : List.of(a, b)) {
                try {
                    winner = f.get(30, TimeUnit.SECONDS).baseOffset();
                    won++;
                } catch (ExecutionException e) {
                    assertThat(e.getCause()).isInstanceOf(ExpectedOffsetMismatchException.class);
                    lost.add((ExpectedOffsetMismatchException) e.getCause());
                }
            }
            assertThat(won).as("round " + round).isEqualTo(1);
            assertThat(lost).hasSize(1);
            assertThat(lost.get(0).isKeyCondition()).isTrue();
            assertThat(lost.get(0).actualOffset()).isEqualTo(winner);
            assertThat(new String(lost.get(0).key(), StandardCharsets.UTF_8)).isEqualTo("agg-1");
            keyOffset = winner;
        }
        // A tombstone: the key counts as absent again.
        RecordBatchBuilder tb = new RecordBatchBuilder(Compression.NONE, Integer.MAX_VALUE);
        tb.append(System.currentTimeMillis(), ByteBuffer.wrap("agg-1".getBytes(StandardCharsets.UTF_8)), null);
        long tombstone = l.append(keyed(tb.build().buffer().duplicate(), "agg-1", keyOffset)).get(30, TimeUnit.SECONDS)
                .baseOffset();
        assertThatThrownBy(() -> l.append(keyed(idempotent(-1, 0, 0, 1, "x"), "agg-1", tombstone))
                .get(30, TimeUnit.SECONDS)).cause().isInstanceOfSatisfying(ExpectedOffsetMismatchException.class,
                        e -> assertThat(e.actualOffset()).isEqualTo(-1));
        l.append(keyed(idempotent(-1, 0, 0, 1, "agg-1"), "agg-1", -1)).get(30, TimeUnit.SECONDS);
        awaitConverged(l.highWatermark());
        long expected = sm(0).keyLastOffset("agg-1".getBytes(StandardCharsets.UTF_8));
        for (int i = 1; i < 3; i++) {
            assertThat(sm(i).keyLastOffset("agg-1".getBytes(StandardCharsets.UTF_8))).isEqualTo(expected);
        }
    }
}
