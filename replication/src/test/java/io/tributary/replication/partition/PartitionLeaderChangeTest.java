package io.tributary.replication.partition;

import io.tributary.log.Log;
import io.tributary.log.LogReadResult;
import io.tributary.replication.AppendRequest;
import io.tributary.replication.AppendResult;
import io.tributary.replication.PartitionReplica;
import io.tributary.replication.TopicPartition;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.util.CodeInjectionForTesting;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A leader holding entries in its Raft log and partition segment that never commit, then losing
 * its leadership: the new leader's entries replace them on every replica.
 *
 * <p>Faults are injected with Ratis's {@link CodeInjectionForTesting} hook on the followers'
 * {@code appendEntries} (one JVM-wide hook: removed after each test).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PartitionLeaderChangeTest {
    private static final Logger LOG = LoggerFactory.getLogger(PartitionLeaderChangeTest.class);
    private static final TopicPartition TP = new TopicPartition("orders", 0);
    /** RaftServerImpl.APPEND_ENTRIES (package-private in Ratis 3.2.2): runs on a follower for each request. */
    private static final String APPEND_ENTRIES = "RaftServerImpl.appendEntries";
    private static final String GHOST = "GHOST-UNCOMMITTED";

    @TempDir
    Path dir;
    PartitionCluster cluster;

    @AfterEach
    void tearDown() {
        CodeInjectionForTesting.remove(APPEND_ENTRIES);
        if (cluster != null) {
            cluster.close();
        }
    }

    private static AppendRequest acksAll(ByteBuffer b) {
        return new AppendRequest(b, true, -1, 20_000);
    }

    @Test
    void shouldTruncateALeadersUncommittedEntriesWhenANewLeaderTakesOver() throws Exception {
        // Election timeouts for a loaded 2-core machine: no spurious leader change before the fault.
        cluster = PartitionCluster.start(dir, 3, Map.of("raft.server.rpc.timeout.min", "1s",
                "raft.server.rpc.timeout.max", "2s"));
        cluster.createPartition(TP, Map.of("segment.bytes", "8192", "max.message.bytes", "8000"));
        int oldLeader = cluster.awaitLeader(TP);
        PartitionReplica l = cluster.replica(oldLeader, TP);
        for (int i = 0; i < 20; i++) {
            l.append(acksAll(PartitionCluster.batch("committed" + i, 4, 100))).get(30, TimeUnit.SECONDS);
        }
        long committedHw = l.highWatermark();
        assertThat(committedHw).isEqualTo(80);
        awaitHighWatermarks(committedHw);

        // Phase 1: the followers refuse the old leader's entries (heartbeats still pass, so nobody
        // starts an election): what it appends now reaches only its own log and segment.
        RaftPeerId oldLeaderPeer = RaftIds.peerId(oldLeader);
        AtomicBoolean dropHeartbeatsToo = new AtomicBoolean();
        CodeInjectionForTesting.put(APPEND_ENTRIES, (localId, remoteId, args) -> {
            if (!oldLeaderPeer.equals(remoteId)) {
                return false;
            }
            var request = (org.apache.ratis.proto.RaftProtos.AppendEntriesRequestProto) args[1];
            if (request.getEntriesCount() > 0 || dropHeartbeatsToo.get()) {
                throw new IllegalStateException("test: " + localId + " drops appendEntries from " + remoteId);
            }
            return true;
        });
        List<CompletableFuture<AppendResult>> ghosts = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            // acks=false: completes once written to the leader's own log (Kafka acks=1).
            ghosts.add(l.append(new AppendRequest(ghostBatch(i), false, -1, 20_000)));
        }
        for (var f : ghosts) {
            f.get(30, TimeUnit.SECONDS);
        }
        assertThat(l.logEndOffset()).isEqualTo(committedHw + 15);
        assertThat(l.highWatermark()).isEqualTo(committedHw);
        assertThat(containsGhost(cluster.replica(oldLeader, TP), l.logEndOffset())).isTrue();
        // The ghosts were decided on the old leader: its producer state and key index hold them.
        PartitionStateMachine oldSm = ((PartitionReplicaImpl) l).stateMachine();
        assertThat(oldSm.producerState(GHOST_PRODUCER).lastSequence()).isEqualTo(14);
        assertThat(oldSm.keyLastOffset(GHOST_KEY)).isEqualTo(committedHw + 14);

        // Phase 2: the followers stop hearing it at all and elect one of themselves.
        dropHeartbeatsToo.set(true);
        int[] newLeader = {-1};
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            for (int i = 0; i < 3; i++) {
                if (i != oldLeader && ((PartitionReplicaImpl) cluster.replica(i, TP)).isLeaderReady()) {
                    newLeader[0] = i;
                    return true;
                }
            }
            return false;
        });
        LOG.info("new leader {} (old leader {})", newLeader[0], oldLeader);
        PartitionReplica nl = cluster.replica(newLeader[0], TP);
        List<AppendResult> after = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            after.add(nl.append(acksAll(PartitionCluster.batch("after" + i, 2, 150))).get(30, TimeUnit.SECONDS));
        }
        // The new leader's first records take the offsets the ghosts had on the old leader.
        assertThat(after.get(0).baseOffset()).isEqualTo(committedHw);
        long hw = nl.highWatermark();
        assertThat(hw).isEqualTo(committedHw + 20);

        // The old leader hears the new term (its requests are still dropped, but it receives the
        // new leader's), truncates its uncommitted entries and catches up.
        awaitHighWatermarks(hw);
        await().atMost(Duration.ofSeconds(30)).until(() -> cluster.replica(oldLeader, TP).leaderId() == newLeader[0]);
        PartitionReplica old = cluster.replica(oldLeader, TP);
        assertThat(old.logEndOffset()).isEqualTo(hw);
        assertThat(containsGhost(old, old.logEndOffset())).isFalse();
        for (int i = 0; i < 3; i++) {
            PartitionStateMachine sm = ((PartitionReplicaImpl) cluster.replica(i, TP)).stateMachine();
            assertThat(sm.producerState(GHOST_PRODUCER)).as("ghost producer state on node " + i).isNull();
            assertThat(sm.keyLastOffset(GHOST_KEY)).as("ghost key on node " + i).isEqualTo(-1);
        }
        byte[] reference = PartitionReplicationTest.segmentBytes(nl, 0, hw);
        for (int i = 0; i < 3; i++) {
            PartitionReplica r = cluster.replica(i, TP);
            assertThat(r.logEndOffset()).as("log end of node " + i).isEqualTo(hw);
            assertThat(PartitionReplicationTest.segmentBytes(r, 0, hw)).as("segment bytes of node " + i)
                    .isEqualTo(reference);
        }

        // Heal: the old leader can lead again, and offsets go on densely.
        CodeInjectionForTesting.remove(APPEND_ENTRIES);
        cluster.nodes[newLeader[0]].localPartitions().transferLeadership(TP, oldLeader).get(30, TimeUnit.SECONDS);
        assertThat(cluster.awaitLeader(TP)).isEqualTo(oldLeader);
        AppendResult more = cluster.replica(oldLeader, TP).append(acksAll(PartitionCluster.batch("healed", 1, 10)))
                .get(30, TimeUnit.SECONDS);
        assertThat(more.baseOffset()).isEqualTo(hw);
        // The truncated ghosts are not duplicates: the producer's first unit is appended now.
        AppendResult retried = cluster.replica(oldLeader, TP).append(acksAll(ghostBatch(0))).get(30, TimeUnit.SECONDS);
        assertThat(retried.duplicate()).isFalse();
        assertThat(retried.baseOffset()).isEqualTo(hw + 1);
    }

    private static final long GHOST_PRODUCER = 77;
    private static final byte[] GHOST_KEY = "ghost-key".getBytes(StandardCharsets.UTF_8);

    /** Ghost unit i of an idempotent producer: 3 records keyed GHOST_KEY, sequences 3i..3i+2. */
    private static ByteBuffer ghostBatch(int i) {
        io.tributary.record.RecordBatchBuilder b = new io.tributary.record.RecordBatchBuilder(
                io.tributary.record.Compression.NONE, Integer.MAX_VALUE).producer(GHOST_PRODUCER, (short) 0, 3 * i);
        for (int j = 0; j < 3; j++) {
            byte[] v = new byte[200];
            byte[] label = (GHOST + i + "-" + j).getBytes(StandardCharsets.UTF_8);
            System.arraycopy(label, 0, v, 0, label.length);
            b.append(System.currentTimeMillis(), ByteBuffer.wrap(GHOST_KEY), ByteBuffer.wrap(v));
        }
        return b.build().buffer().duplicate();
    }

    private void awaitHighWatermarks(long hw) {
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            for (int i = 0; i < 3; i++) {
                if (cluster.replica(i, TP).highWatermark() < hw) {
                    return false;
                }
            }
            return true;
        });
    }

    /** Whether the replica's log, read up to {@code end} (past the high watermark), holds a ghost record. */
    private static boolean containsGhost(PartitionReplica r, long end) {
        Log log = ((PartitionReplicaImpl) r).stateMachine().log();
        long next = log.logStartOffset();
        StringBuilder all = new StringBuilder();
        while (next < end) {
            LogReadResult res = log.read(next, 1 << 20, end);
            if (res.isEmpty()) {
                break;
            }
            ByteBuffer b = res.records();
            byte[] a = new byte[b.remaining()];
            b.get(a);
            all.append(new String(a, StandardCharsets.ISO_8859_1));
            next = res.nextOffset();
        }
        return all.indexOf(GHOST) >= 0;
    }
}
