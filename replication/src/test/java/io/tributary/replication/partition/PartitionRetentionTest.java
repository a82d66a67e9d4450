package io.tributary.replication.partition;

import io.tributary.proto.internal.v1.PartitionSnapshotMeta;
import io.tributary.replication.AppendRequest;
import io.tributary.replication.PartitionReplica;
import io.tributary.replication.ReplicationException;
import io.tributary.replication.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Retention bounded by what Raft may still read, and topic settings reaching a live partition. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PartitionRetentionTest {
    private static final TopicPartition TP = new TopicPartition("metrics", 0);

    @TempDir
    Path dir;
    PartitionCluster cluster;

    @AfterEach
    void tearDown() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static Map<String, String> settings(boolean fastSnapshots) {
        Map<String, String> m = new HashMap<>(fastSnapshots ? PartitionReplicationTest.FAST_SNAPSHOTS : Map.of());
        m.put(PartitionManager.RETENTION_CHECK_INTERVAL_MS, "100");
        // Election timeouts for a loaded 2-core machine: no spurious leader changes mid-test.
        m.put("raft.server.rpc.timeout.min", "1s");
        m.put("raft.server.rpc.timeout.max", "2s");
        return m;
    }

    private static AppendRequest req(ByteBuffer b) {
        return new AppendRequest(b, true, -1, 20_000);
    }

    private static PartitionStateMachine sm(PartitionReplica r) {
        return ((PartitionReplicaImpl) r).stateMachine();
    }

    @Test
    void shouldDeleteOldSegmentsOnlyBelowTheSnapshotAndTheRaftLogStart() throws Exception {
        cluster = PartitionCluster.start(dir, 3, settings(true));
        cluster.createPartition(TP, Map.of("segment.bytes", "4096", "retention.bytes", "8192",
                "max.message.bytes", "4000"));
        int follower = (cluster.awaitLeader(TP) + 1) % 3;
        cluster.stopNode(follower);
        for (int i = 0; i < 150; i++) {
            cluster.appendToLeader(TP, PartitionCluster.batch("r" + i, 5, 100));
            // The invariant, sampled while retention runs: nothing Raft may read is gone.
            for (int n = 0; n < 3; n++) {
                if (cluster.nodes[n] != null) {
                    PartitionReplica r = cluster.replica(n, TP);
                    assertThat(r.logStartOffset()).as("log start of node " + n).isLessThanOrEqualTo(sm(r).retainFrom());
                }
            }
        }
        PartitionReplica l = cluster.replica(cluster.awaitLeader(TP), TP);
        assertThat(l.highWatermark()).isGreaterThanOrEqualTo(750);
        PartitionStateMachine lsm = sm(l);
        await().atMost(Duration.ofSeconds(30)).until(() -> l.logStartOffset() > 0
                && l.sizeInBytes() <= 8192 + 2 * 4096);
        assertThat(l.logStartOffset()).isLessThanOrEqualTo(lsm.latestSnapshotMeta().getOffset());
        // The snapshot no longer holds (hard links to) the deleted segments.
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            PartitionSnapshotMeta m = lsm.latestSnapshotMeta();
            return m.getSegmentsCount() < 2 || m.getSegments(1).getBaseOffset() > l.logStartOffset();
        });
        assertThat(l.read(l.logStartOffset(), 1 << 16).firstOffset()).isEqualTo(l.logStartOffset());

        // The stopped follower comes back behind the leader's purged Raft log and deleted segments.
        cluster.startNode(follower);
        PartitionReplica l2 = cluster.replica(cluster.awaitLeader(TP), TP);
        cluster.appendToLeader(TP, PartitionCluster.batch("post", 5, 100));
        long hw2 = l2.highWatermark();
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            for (int i = 0; i < 3; i++) {
                if (cluster.replica(i, TP).highWatermark() < hw2) {
                    return false;
                }
            }
            return true;
        });
        PartitionReplica f = cluster.replica(follower, TP);
        assertThat(f.logEndOffset()).isEqualTo(hw2);
        long from = 0;
        for (int i = 0; i < 3; i++) {
            from = Math.max(from, cluster.replica(i, TP).logStartOffset());
        }
        byte[] reference = PartitionReplicationTest.segmentBytes(l2, from, hw2);
        for (int i = 0; i < 3; i++) {
            assertThat(PartitionReplicationTest.segmentBytes(cluster.replica(i, TP), from, hw2))
                    .as("segment bytes of node " + i + " from " + from).isEqualTo(reference);
        }
    }

    @Test
    void shouldKeepEverythingWhileTheRaftLogStillHoldsIt() throws Exception {
        // No snapshot yet (default threshold): the Raft log holds every entry, so retention waits.
        cluster = PartitionCluster.start(dir, 3, settings(false));
        cluster.createPartition(TP, Map.of("segment.bytes", "4096", "retention.bytes", "1", "retention.ms", "1",
                "max.message.bytes", "4000"));
        PartitionReplica l = cluster.replica(cluster.awaitLeader(TP), TP);
        for (int i = 0; i < 40; i++) {
            cluster.appendToLeader(TP, PartitionCluster.batch("k" + i, 5, 100));
        }
        assertThat(sm(l).log().numberOfSegments()).isGreaterThan(3);
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5))
                .until(() -> l.logStartOffset() == 0 && sm(l).retainFrom() == 0);
    }

    @Test
    void shouldCompactOnlyBelowWhatRaftMayStillRead() throws Exception {
        Map<String, String> m = settings(true);
        m.put("log.cleaner.backoff.ms", "100");
        m.put("log.cleaner.dedupe.buffer.size", "1048576");
        cluster = PartitionCluster.start(dir, 3, m);
        cluster.createPartition(TP, Map.of("cleanup.policy", "compact", "segment.bytes", "4096",
                "max.message.bytes", "4000", "min.cleanable.dirty.ratio", "0.01", "min.compaction.lag.ms", "0"));
        int appended = 0;
        for (int i = 0; i < 120; i++) {
            // Ten keys, each rewritten over and over.
            cluster.appendToLeader(TP, keyed("k" + (i % 10), "v" + i, 200));
            appended++;
        }
        int total = appended;
        PartitionReplica l = cluster.replica(cluster.awaitLeader(TP), TP);
        await().atMost(Duration.ofSeconds(60)).until(() -> liveRecords(l, l.logStartOffset(), l.highWatermark()) < total);
        long bound = sm(l).retainFrom();
        long hw = l.highWatermark();
        // Everything Raft may still serve as entries is untouched: one record per offset.
        assertThat(liveRecords(l, bound, hw)).isEqualTo(hw - bound);
        assertThat(bound).isLessThanOrEqualTo(hw);
    }

    private static ByteBuffer keyed(String key, String value, int padding) {
        io.tributary.record.RecordBatchBuilder b = new io.tributary.record.RecordBatchBuilder(
                io.tributary.record.Compression.NONE, Integer.MAX_VALUE);
        byte[] v = new byte[padding];
        byte[] label = value.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        System.arraycopy(label, 0, v, 0, label.length);
        b.append(System.currentTimeMillis(), ByteBuffer.wrap(key.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                ByteBuffer.wrap(v));
        return b.build().buffer().duplicate();
    }

    /** Records (not offsets) stored in [from, to). */
    private static long liveRecords(PartitionReplica r, long from, long to) {
        var log = sm(r).log();
        long count = 0;
        long next = from;
        while (next < to) {
            var res = log.read(next, 1 << 20, to);
            if (res.isEmpty()) {
                break;
            }
            ByteBuffer buf = res.records();
            int pos = buf.position();
            while (pos < buf.limit()) {
                int size = io.tributary.record.RecordBatch.sizeInBytes(buf, pos);
                ByteBuffer one = buf.duplicate();
                one.position(pos).limit(pos + size);
                io.tributary.record.RecordBatch batch = io.tributary.record.RecordBatch.wrap(one.slice());
                if (batch.baseOffset() >= from && batch.lastOffset() < to) {
                    count += batch.recordCount();
                }
                pos += size;
            }
            next = res.nextOffset();
        }
        return count;
    }

    @Test
    void shouldApplyChangedTopicSettingsToTheLiveLogAndTheLeadersChecks() throws Exception {
        cluster = PartitionCluster.start(dir, 3, settings(false));
        cluster.createPartition(TP, Map.of("max.message.bytes", "100000"));
        int leader = cluster.awaitLeader(TP);
        PartitionReplica l = cluster.replica(leader, TP);
        l.append(req(PartitionCluster.batch("big", 5, 1000))).get(30, TimeUnit.SECONDS);

        Map<String, String> changed = Map.of("max.message.bytes", "2000", "segment.bytes", "65536");
        for (int i = 0; i < 3; i++) {
            cluster.nodes[i].localPartitions().ensureReplica(TP, cluster.topicId, cluster.brokers(), changed);
        }
        assertThatThrownBy(() -> l.append(req(PartitionCluster.batch("big2", 5, 1000))).get(30, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(ReplicationException.class).hasMessageContaining("max.message.bytes=2000");
        l.append(req(PartitionCluster.batch("small", 1, 100))).get(30, TimeUnit.SECONDS);
        for (int i = 0; i < 3; i++) {
            assertThat(sm(cluster.replica(i, TP)).log().config().segmentBytes()).isEqualTo(65536);
        }
        // The settings survive a restart (persisted with the replica).
        cluster.stopNode(leader);
        cluster.startNode(leader);
        int restarted = leader;
        await().atMost(Duration.ofSeconds(30)).until(() -> cluster.nodes[restarted].localPartitions().replica(TP).isPresent());
        assertThat(sm(cluster.replica(restarted, TP)).spec().config().maxMessageBytes()).isEqualTo(2000);
    }
}
