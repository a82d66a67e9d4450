package io.tributary.replication.partition;

import io.tributary.replication.AppendRequest;
import io.tributary.replication.AppendResult;
import io.tributary.replication.ExpectedOffsetMismatchException;
import io.tributary.replication.PartitionReplica;
import io.tributary.replication.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PartitionReplicationTest {
    private static final Logger LOG = LoggerFactory.getLogger(PartitionReplicationTest.class);
    private static final TopicPartition TP = new TopicPartition("events", 0);

    @TempDir
    Path dir;
    PartitionCluster cluster;

    @AfterEach
    void tearDown() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static AppendRequest req(ByteBuffer b) {
        return new AppendRequest(b, true, -1, 20_000);
    }

    /** Appends {@code n} batches concurrently (pipelined) through the leader; returns results in order. */
    private List<AppendResult> appendMany(PartitionReplica leader, String prefix, int n, int records, int valueBytes)
            throws Exception {
        List<CompletableFuture<AppendResult>> fs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            fs.add(leader.append(req(PartitionCluster.batch(prefix + i, records, valueBytes))));
        }
        List<AppendResult> out = new ArrayList<>();
        for (CompletableFuture<AppendResult> f : fs) {
            out.add(f.get(60, TimeUnit.SECONDS));
        }
        return out;
    }

    private void awaitConverged(TopicPartition tp, long hw) {
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            for (int i = 0; i < cluster.size; i++) {
                if (cluster.nodes[i] == null) {
                    continue;
                }
                var r = cluster.nodes[i].localPartitions().replica(tp);
                if (r.isEmpty() || r.get().highWatermark() < hw) {
                    return false;
                }
            }
            return true;
        });
    }

    private void assertReplicasIdentical(TopicPartition tp) {
        byte[] first = null;
        for (int i = 0; i < cluster.size; i++) {
            if (cluster.nodes[i] == null) {
                continue;
            }
            byte[] b = PartitionCluster.committedBytes(cluster.replica(i, tp));
            if (first == null) {
                first = b;
            } else {
                assertThat(b).as("committed bytes of node " + i).isEqualTo(first);
            }
        }
    }

    private static void assertDense(List<AppendResult> results, long start) {
        long next = start;
        for (AppendResult r : results) {
            assertThat(r.baseOffset()).isEqualTo(next);
            next = r.lastOffset() + 1;
        }
    }

    /**
     * Bytes written to the machine's block devices (all of them, so other processes count too: an
     * upper bound), from {@code /sys/block/<dev>/stat} (sectors written, 512 bytes each); -1 when
     * unreadable. Unlike {@code write_bytes} of {@code /proc/self/io}, which on this kernel (6.18)
     * charges a page again to the thread that fsyncs it (the Raft log worker calling our flush):
     * strace shows each payload byte written once by pwrite, while write_bytes reported 1.03 to 2.03
     * per replica between runs of the same workload.
     */
    private static long deviceWriteBytes() {
        long total = 0;
        try (var devices = Files.list(Path.of("/sys/block"))) {
            for (Path d : (Iterable<Path>) devices::iterator) {
                String name = d.getFileName().toString();
                if (name.startsWith("loop") || name.startsWith("ram") || name.startsWith("zram")
                        || !Files.exists(d.resolve("stat"))) {
                    continue;
                }
                String[] f = Files.readString(d.resolve("stat")).trim().split("\\s+");
                total += Long.parseLong(f[6]) * 512;
            }
        } catch (Exception e) {
            return -1;
        }
        return total;
    }

    private static long procWriteBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/io"))) {
                if (line.startsWith("write_bytes:")) {
                    return Long.parseLong(line.substring("write_bytes:".length()).trim());
                }
            }
        } catch (Exception e) {
            return -1;
        }
        return -1;
    }

    @Test
    void shouldCommitAppendsWithDenseOffsetsIdenticalOnAllReplicas() throws Exception {
        cluster = PartitionCluster.start(dir, 3, Map.of());
        cluster.createPartition(TP, Map.of());
        int leader = cluster.awaitLeader(TP);
        PartitionReplica l = cluster.replica(leader, TP);

        List<AppendResult> results = appendMany(l, "a", 200, 10, 100);
        assertDense(results, 0);
        assertThat(l.highWatermark()).isEqualTo(2000);
        awaitConverged(TP, 2000);
        assertReplicasIdentical(TP);
        for (int i = 0; i < 3; i++) {
            assertThat(cluster.replica(i, TP).logEndOffset()).isEqualTo(2000);
        }
    }

    @Test
    void shouldReleaseEachAppendsTimeoutTimerWhenTheAppendCompletes() throws Exception {
        // A timer left pending holds its append, bytes included, for the whole timeout: under a
        // sustained load of 27 MB/s with 30 s timeouts a 512 MB broker ran out of heap.
        cluster = PartitionCluster.start(dir, 1, Map.of());
        cluster.createPartition(TP, Map.of());
        PartitionReplica l = cluster.replica(cluster.awaitLeader(TP), TP);

        List<CompletableFuture<AppendResult>> fs = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            fs.add(l.append(new AppendRequest(PartitionCluster.batch("t" + i, 10, 100), true, -1, 600_000)));
        }
        assertDense(appendResults(fs), 0);
        await().atMost(Duration.ofSeconds(10)).until(() -> PartitionReplicaImpl.pendingAppendTimeouts() == 0);
    }

    private static List<AppendResult> appendResults(List<CompletableFuture<AppendResult>> fs) throws Exception {
        List<AppendResult> out = new ArrayList<>();
        for (CompletableFuture<AppendResult> f : fs) {
            out.add(f.get(60, TimeUnit.SECONDS));
        }
        return out;
    }

    /** A measurement (logged, not asserted): slow, run by {@code mvn -Pslow verify}. */
    @Test
    @Tag("slow")
    void shouldMeasureDiskBytesPerPayloadByte() throws Exception {
        cluster = PartitionCluster.start(dir, 3, Map.of());
        cluster.createPartition(TP, Map.of());
        PartitionReplica l = cluster.replica(cluster.awaitLeader(TP), TP);
        appendMany(l, "warm", 10, 10, 1000);
        // Small appends (~16 KiB, coalesced by group commit), then large ones (~256 KiB).
        measureRatio(l, "16KiB appends", 20, 64, 16);
        measureRatio(l, "256KiB appends", 10, 16, 256);
        LOG.info("MEASURE threads in the JVM with 3 nodes x 1 partition: {}", Thread.activeCount());
    }

    private void measureRatio(PartitionReplica l, String what, int rounds, int perRound, int records)
            throws Exception {
        long before = procWriteBytes();
        long deviceBefore = deviceWriteBytes();
        long payload = 0;
        for (int r = 0; r < rounds; r++) {
            List<CompletableFuture<AppendResult>> fs = new ArrayList<>();
            for (int i = 0; i < perRound; i++) {
                ByteBuffer b = PartitionCluster.batch("m" + r + "-" + i, records, 1000);
                payload += b.remaining();
                fs.add(l.append(req(b)));
            }
            for (var f : fs) {
                f.get(60, TimeUnit.SECONDS);
            }
        }
        awaitConverged(TP, l.highWatermark());
        long written = procWriteBytes() - before;
        long device = deviceWriteBytes() - deviceBefore;
        LOG.info("MEASURE {}: bytes written per payload byte per replica (3 replicas, {} payload bytes): block devices"
                        + " {} ({} bytes, whole machine: an upper bound); process write_bytes {} ({} bytes, over-counts"
                        + " pages fsynced by another thread)", what, payload, String.format("%.3f", device / (3.0 * payload)),
                device, String.format("%.3f", written / (3.0 * payload)), written);
    }

    @Test
    void shouldKeepOffsetsAcrossLeaderTransferMidStream() throws Exception {
        cluster = PartitionCluster.start(dir, 3, Map.of());
        cluster.createPartition(TP, Map.of());
        int leader = cluster.awaitLeader(TP);
        PartitionReplica l = cluster.replica(leader, TP);
        List<CompletableFuture<AppendResult>> inFlight = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            inFlight.add(l.append(req(PartitionCluster.batch("t" + i, 5, 200))));
        }
        int target = (leader + 1) % 3;
        cluster.nodes[leader].localPartitions().transferLeadership(TP, target).get(30, TimeUnit.SECONDS);
        List<AppendResult> ok = new ArrayList<>();
        for (var f : inFlight) {
            try {
                ok.add(f.get(30, TimeUnit.SECONDS));
            } catch (ExecutionException e) {
                LOG.info("append during transfer failed (allowed): {}", e.getCause().toString());
            }
        }
        int newLeader = cluster.awaitLeader(TP);
        assertThat(newLeader).isEqualTo(target);
        PartitionReplica nl = cluster.replica(newLeader, TP);
        List<AppendResult> after = appendMany(nl, "after", 50, 5, 200);
        assertThat(after.get(0).baseOffset()).isGreaterThanOrEqualTo(ok.isEmpty() ? 0 : ok.get(ok.size() - 1).lastOffset() + 1);
        assertDense(after, after.get(0).baseOffset());
        awaitConverged(TP, nl.highWatermark());
        assertReplicasIdentical(TP);
        // Every acknowledged append is readable at its offset, with its own bytes.
        for (AppendResult r : ok) {
            var read = nl.read(r.baseOffset(), 1 << 16);
            assertThat(read.firstOffset()).isEqualTo(r.baseOffset());
        }
    }

    @Test
    void shouldLetExactlyOneOfTwoConditionalAppendsWin() throws Exception {
        cluster = PartitionCluster.start(dir, 3, Map.of());
        cluster.createPartition(TP, Map.of());
        PartitionReplica l = cluster.replica(cluster.awaitLeader(TP), TP);
        appendMany(l, "base", 3, 2, 10);
        long end = l.logEndOffset();
        assertThat(end).isEqualTo(6);
        for (int round = 0; round < 20; round++) {
            long expected = l.logEndOffset();
            var a = l.append(new AppendRequest(PartitionCluster.batch("x" + round, 1, 10), true, expected, 20_000));
            var b = l.append(new AppendRequest(PartitionCluster.batch("y" + round, 1, 10), true, expected, 20_000));
            int won = 0;
            int lost = 0;
            for (var f : List.of(a, b)) {
                try {
                    AppendResult r = f.get(30, TimeUnit.SECONDS);
                    assertThat(r.baseOffset()).isEqualTo(expected);
                    won++;
                } catch (ExecutionException e) {
                    assertThat(e.getCause()).isInstanceOf(ExpectedOffsetMismatchException.class);
                    assertThat(((ExpectedOffsetMismatchException) e.getCause()).actualOffset()).isEqualTo(expected + 1);
                    lost++;
                }
            }
            assertThat(won).isEqualTo(1);
            assertThat(lost).isEqualTo(1);
        }
        awaitConverged(TP, l.highWatermark());
        assertReplicasIdentical(TP);
        assertThat(l.highWatermark()).isEqualTo(26);
    }

    @Test
    void shouldCatchUpARestartedReplica() throws Exception {
        cluster = PartitionCluster.start(dir, 3, Map.of());
        cluster.createPartition(TP, Map.of());
        int leader = cluster.awaitLeader(TP);
        appendMany(cluster.replica(leader, TP), "pre", 20, 5, 100);
        int follower = (leader + 1) % 3;
        cluster.stopNode(follower);
        PartitionReplica l = cluster.replica(cluster.awaitLeader(TP), TP);
        appendMany(l, "during", 50, 5, 100);
        cluster.startNode(follower);
        PartitionReplica l2 = cluster.replica(cluster.awaitLeader(TP), TP);
        appendMany(l2, "post", 10, 5, 100);
        awaitConverged(TP, l2.highWatermark());
        assertThat(l2.highWatermark()).isEqualTo(400);
        assertReplicasIdentical(TP);
    }

    /** Test-only Raft settings: tiny Raft log segments and frequent snapshots, so purge happens within a test. */
    static final Map<String, String> FAST_SNAPSHOTS = Map.of(
            "raft.server.snapshot.auto.trigger.threshold", "20",
            "raft.server.log.purge.gap", "4",
            "raft.server.log.segment.size.max", "1KB",
            "raft.server.log.preallocated.size", "1KB",
            // Election timeouts for a loaded 2-core machine: no spurious leader changes mid-test.
            "raft.server.rpc.timeout.min", "1s",
            "raft.server.rpc.timeout.max", "2s");

    /** Appends one batch at a time: each append is its own Raft entry (no group commit). */
    private static List<AppendResult> appendSequentially(PartitionReplica leader, String prefix, int n, int records,
                                                         int valueBytes) throws Exception {
        List<AppendResult> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(leader.append(req(PartitionCluster.batch(prefix + i, records, valueBytes))).get(30, TimeUnit.SECONDS));
        }
        return out;
    }

    @Test
    void shouldInstallSnapshotOnAFollowerBehindThePurgedLog() throws Exception {
        cluster = PartitionCluster.start(dir, 3, FAST_SNAPSHOTS);
        cluster.createPartition(TP, Map.of("segment.bytes", "16384", "max.message.bytes", "16000"));
        int leader = cluster.awaitLeader(TP);
        appendSequentially(cluster.replica(leader, TP), "pre", 10, 5, 100);
        int follower = (leader + 1) % 3;
        awaitConverged(TP, 50);
        cluster.stopNode(follower);
        int leaderNow = cluster.awaitLeader(TP);
        PartitionReplica l = cluster.replica(leaderNow, TP);
        appendSequentially(l, "during", 120, 5, 300);
        var division = cluster.nodes[leaderNow].raftServer().getDivision(RaftIds.partitionGroupId(cluster.topicId, TP));
        await().atMost(Duration.ofSeconds(30)).until(() -> division.getRaftLog().getStartIndex() > 40);
        LOG.info("leader's Raft log now starts at {}", division.getRaftLog().getStartIndex());

        cluster.startNode(follower);
        PartitionReplica l2 = cluster.replica(cluster.awaitLeader(TP), TP);
        appendSequentially(l2, "post", 5, 5, 100);
        awaitConverged(TP, l2.highWatermark());
        assertThat(l2.highWatermark()).isEqualTo(50 + 600 + 25);
        assertReplicasIdentical(TP);
        PartitionReplica f = cluster.replica(follower, TP);
        assertThat(f.logEndOffset()).isEqualTo(l2.highWatermark());
        PartitionStateMachine fsm = ((PartitionReplicaImpl) f).stateMachine();
        assertThat(fsm.snapshotsInstalled()).as("snapshots installed on the follower").isPositive();
        assertThat(fsm.spec().logDir().resolve("partition.metadata")).exists();
        assertSegmentBytesEqualUpToHighWatermark(leaderNow == follower ? (follower + 1) % 3 : leaderNow, follower);

        // The installed replica keeps working across a restart (its Raft log restarts after the snapshot).
        cluster.stopNode(follower);
        cluster.startNode(follower);
        PartitionReplica l3 = cluster.replica(cluster.awaitLeader(TP), TP);
        appendSequentially(l3, "again", 5, 5, 100);
        awaitConverged(TP, l3.highWatermark());
        assertReplicasIdentical(TP);
    }

    @Test
    void shouldServeRaftEntriesAtOrBelowTheSnapshotAfterARestart() throws Exception {
        // Ratis purges whole closed Raft log segments only, so after a restart the Raft log still holds
        // entries at or below the snapshot index; a lagging follower may be sent them, so the restarted
        // replica must know their offsets (recorded in the snapshot) to read their records. No snapshot
        // at stop (as after a crash), so the restarted replica's Raft log reaches well below its snapshot.
        Map<String, String> settings = new java.util.HashMap<>(FAST_SNAPSHOTS);
        settings.put("raft.server.snapshot.trigger-when-stop.enabled", "false");
        // ~40 entries per Raft log segment, a snapshot every 20: the purge leaves entries below the snapshot.
        settings.put("raft.server.log.segment.size.max", "4KB");
        cluster = PartitionCluster.start(dir, 3, settings);
        cluster.createPartition(TP, Map.of("segment.bytes", "16384", "max.message.bytes", "16000"));
        int leader = cluster.awaitLeader(TP);
        var gid = RaftIds.partitionGroupId(cluster.topicId, TP);
        int restarted = (leader + 1) % 3;
        assertThat(leader).isNotEqualTo(restarted);
        // Write until the replica to restart holds Raft entries at or below its snapshot index.
        long start = -1;
        long snapIndex = -1;
        for (int attempt = 0; attempt < 5 && !(start > 0 && start < snapIndex); attempt++) {
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                for (int i = 0; i < 3; i++) {
                    cluster.appendToLeader(TP, PartitionCluster.batch("e" + i, 2, 50));
                }
                var d = cluster.nodes[restarted].raftServer().getDivision(gid);
                var meta = ((PartitionReplicaImpl) cluster.replica(restarted, TP)).stateMachine().latestSnapshotMeta();
                return meta != null && d.getRaftLog().getStartIndex() < meta.getRaftIndex() - 2
                        && d.getRaftLog().getStartIndex() > 0;
            });
            awaitConverged(TP, cluster.replica(cluster.awaitLeader(TP), TP).highWatermark());
            cluster.stopNode(restarted);
            cluster.startNode(restarted);
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> cluster.nodes[restarted].localPartitions().replica(TP).isPresent());
            var d = cluster.nodes[restarted].raftServer().getDivision(gid);
            start = d.getRaftLog().getStartIndex();
            snapIndex = ((PartitionReplicaImpl) cluster.replica(restarted, TP)).stateMachine().latestSnapshotMeta()
                    .getRaftIndex();
            LOG.info("restart {}: Raft log starts at {}, snapshot at {}", attempt, start, snapIndex);
        }
        var division = cluster.nodes[restarted].raftServer().getDivision(gid);
        PartitionStateMachine sm = ((PartitionReplicaImpl) cluster.replica(restarted, TP)).stateMachine();
        assertThat(start).as("Raft log start after the restart").isLessThan(snapIndex);
        int other = (restarted + 1) % 3;
        var reference = ((PartitionReplicaImpl) cluster.replica(other, TP)).stateMachine().log();
        int served = 0;
        long previousBase = -1;
        for (long i = start; i <= snapIndex; i++) {
            var entry = division.getRaftLog().get(i);
            if (entry == null || !entry.hasStateMachineLogEntry()) {
                continue;
            }
            byte[] bytes = sm.read(entry, null).get(10, TimeUnit.SECONDS).toByteArray();
            long base = ByteBuffer.wrap(bytes).getLong(0);
            assertThat(base).as("base offset of Raft entry " + i).isGreaterThan(previousBase);
            ByteBuffer expected = reference.read(base, bytes.length, Long.MAX_VALUE).records();
            byte[] e = new byte[Math.min(expected.remaining(), bytes.length)];
            expected.get(e);
            assertThat(bytes).as("records of Raft entry " + i + " at offset " + base).isEqualTo(e);
            previousBase = base;
            served++;
        }
        assertThat(served).isPositive();
        for (int i = 0; i < 3; i++) {
            cluster.appendToLeader(TP, PartitionCluster.batch("after" + i, 2, 50));
        }
        awaitConverged(TP, cluster.replica(cluster.awaitLeader(TP), TP).highWatermark());
        assertReplicasIdentical(TP);
    }

    @Test
    void shouldStopAndRemovePartitionsWithoutStateMachineErrors() throws Exception {
        // Ratis snapshots a group when its server stops (and, unless disabled, when the group is removed,
        // after the division is gone). A state machine that throws there once sent Ratis's updater thread
        // into a tight error loop that filled the disk; one that throws from apply takes the group down.
        ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(
                org.slf4j.Logger.ROOT_LOGGER_NAME);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> events =
                new ch.qos.logback.core.read.ListAppender<>();
        events.start();
        root.addAppender(events);
        try {
            cluster = PartitionCluster.start(dir, 3, Map.of());
            cluster.createPartition(TP, Map.of());
            TopicPartition other = new TopicPartition("events", 1);
            cluster.createPartition(other, Map.of());
            for (int i = 0; i < 5; i++) {
                cluster.appendToLeader(TP, PartitionCluster.batch("r" + i, 2, 50));
            }
            cluster.awaitLeader(other);
            // A stop takes a snapshot of every group; the restarted node recovers from it.
            int stopped = (cluster.awaitLeader(TP) + 1) % 3;
            cluster.stopNode(stopped);
            cluster.startNode(stopped);
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> cluster.nodes[stopped].localPartitions().replica(TP).isPresent());
            awaitConverged(TP, cluster.replica(cluster.awaitLeader(TP), TP).highWatermark());
            String group = RaftIds.partitionGroupId(cluster.topicId, TP).toString();
            for (int i = 0; i < 3; i++) {
                cluster.nodes[i].localPartitions().removeReplica(TP, true);
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> Thread.getAllStackTraces().keySet().stream()
                    .noneMatch(t -> t.isAlive() && t.getName().contains(group)));
            for (int i = 0; i < 3; i++) {
                assertThat(cluster.nodes[i].localPartitions().hosted()).containsExactly(other);
            }
            // The partition left on the nodes still works.
            cluster.appendToLeader(other, PartitionCluster.batch("after", 2, 50));
        } finally {
            root.detachAppender(events);
        }
        List<String> failures = new ArrayList<>();
        for (var e : List.copyOf(events.list)) {
            boolean updater = e.getThreadName().contains("StateMachineUpdater");
            boolean stateMachine = e.getLoggerName().endsWith("PartitionStateMachine");
            if (e.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.ERROR) && (updater || stateMachine)
                    || stateMachine && e.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.WARN)) {
                failures.add(e.getThreadName() + " " + e.getFormattedMessage());
            }
        }
        assertThat(failures).as("errors from state machine threads").isEmpty();
    }

    /** The segment files of two replicas hold the same bytes below the high watermark. */
    private void assertSegmentBytesEqualUpToHighWatermark(int a, int b) throws Exception {
        PartitionReplica ra = cluster.replica(a, TP);
        PartitionReplica rb = cluster.replica(b, TP);
        long hw = Math.min(ra.highWatermark(), rb.highWatermark());
        long from = Math.max(ra.logStartOffset(), rb.logStartOffset());
        assertThat(segmentBytes(ra, from, hw)).isEqualTo(segmentBytes(rb, from, hw));
    }

    /** The raw bytes of the segment files of a replica for offsets [from, to), concatenated. */
    static byte[] segmentBytes(PartitionReplica r, long from, long to) throws Exception {
        var log = ((PartitionReplicaImpl) r).stateMachine().log();
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        List<Long> bases = log.segmentBaseOffsets();
        for (int i = 0; i < bases.size(); i++) {
            long base = bases.get(i);
            long next = i + 1 < bases.size() ? bases.get(i + 1) : Long.MAX_VALUE;
            if (next <= from || base >= to) {
                continue;
            }
            Path file = log.dir().resolve(PartitionSnapshotStorage.segmentFileName(base));
            long start = PartitionSnapshotStorage.positionOf(file, from);
            long end = PartitionSnapshotStorage.positionOf(file, to);
            byte[] all = Files.readAllBytes(file);
            out.write(all, (int) start, (int) (end - start));
        }
        return out.toByteArray();
    }

    @Test
    void shouldKeepEveryCommittedRecordAtItsOffsetAcrossAFullRestart() throws Exception {
        cluster = PartitionCluster.start(dir, 3, Map.of());
        cluster.createPartition(TP, Map.of());
        PartitionReplica l = cluster.replica(cluster.awaitLeader(TP), TP);
        List<AppendResult> results = appendMany(l, "r", 40, 3, 50);
        awaitConverged(TP, 120);
        byte[] before = PartitionCluster.committedBytes(l);
        for (int i = 0; i < 3; i++) {
            cluster.stopNode(i);
        }
        for (int i = 0; i < 3; i++) {
            cluster.startNode(i);
        }
        PartitionReplica l2 = cluster.replica(cluster.awaitLeader(TP), TP);
        List<AppendResult> more = appendMany(l2, "s", 10, 3, 50);
        assertThat(more.get(0).baseOffset()).isEqualTo(120);
        assertDense(more, 120);
        awaitConverged(TP, 150);
        byte[] after = PartitionCluster.committedBytes(l2);
        assertThat(java.util.Arrays.copyOf(after, before.length)).isEqualTo(before);
        assertReplicasIdentical(TP);
        assertThat(results.get(39).lastOffset()).isEqualTo(119);
    }
}
