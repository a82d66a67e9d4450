package io.tributary.replication.partition;

import io.tributary.log.LogConfig;
import io.tributary.log.LogReadResult;
import io.tributary.record.Compression;
import io.tributary.record.RecordBatchBuilder;
import io.tributary.replication.BrokerInfo;
import io.tributary.replication.PartitionReplica;
import io.tributary.replication.ReplicationConfig;
import io.tributary.replication.ReplicationNode;
import io.tributary.replication.TopicPartition;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.awaitility.Awaitility.await;

/**
 * A script-like fixture: N replication nodes (no metadata quorum) in this JVM on 127.0.0.1, each
 * with its own directories; partitions created on all of them directly through
 * {@link LocalPartitions}.
 */
final class PartitionCluster implements AutoCloseable {
    final Path root;
    final int size;
    final int[] ports;
    final ReplicationNode[] nodes;
    final Map<String, String> raftProperties;
    final String topicId = UUID.randomUUID().toString();

    /**
     * Ratis' leader-to-follower retry policy. By default ({@code 1ms,10, 1s,20, 5s,1000}) a leader
     * that failed more than 30 times to reach a stopped follower retries only every 5 s, so a
     * restarted follower waited up to 5 s before the leader sent it anything. Tests that stop and
     * start nodes use short retries instead: the same catch-up, without the wait.
     */
    static final String RETRY_POLICY_KEY = "raft.server.log.appender.retry.policy";
    static final String RETRY_POLICY = "1ms,10, 100ms,1000000";

    private PartitionCluster(Path root, int size, Map<String, String> raftProperties) {
        this.root = root;
        this.size = size;
        this.ports = new int[size];
        this.nodes = new ReplicationNode[size];
        Map<String, String> props = new java.util.HashMap<>();
        props.put(RETRY_POLICY_KEY, RETRY_POLICY);
        props.putAll(raftProperties);
        this.raftProperties = Map.copyOf(props);
        for (int i = 0; i < size; i++) {
            ports[i] = freePort();
        }
    }

    static PartitionCluster start(Path root, int size, Map<String, String> raftProperties) throws IOException {
        PartitionCluster c = new PartitionCluster(root, size, raftProperties);
        for (int i = 0; i < size; i++) {
            c.startNode(i);
        }
        return c;
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    ReplicationConfig config(int i) {
        return new ReplicationConfig(i, "127.0.0.1", 0, ports[i], "", List.of(root.resolve("b" + i).resolve("data")),
                root.resolve("b" + i).resolve("meta"), Map.of(0, "127.0.0.1:" + ports[0]), 1, 3, LogConfig.defaults(),
                10_000, 60_000, 60_000, raftProperties);
    }

    void startNode(int i) throws IOException {
        nodes[i] = ReplicationNode.start(config(i), null);
    }

    void stopNode(int i) {
        nodes[i].close();
        nodes[i] = null;
    }

    List<BrokerInfo> brokers() {
        List<BrokerInfo> out = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            out.add(new BrokerInfo(i, "127.0.0.1", 0, "127.0.0.1:" + ports[i], "", true, false));
        }
        return out;
    }

    void createPartition(TopicPartition tp, Map<String, String> configs) {
        for (int i = 0; i < size; i++) {
            nodes[i].localPartitions().ensureReplica(tp, topicId, brokers(), configs);
        }
    }

    /** Waits for a leader every live replica agrees on, able to commit; returns its node index. */
    int awaitLeader(TopicPartition tp) {
        int[] leader = {-1};
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            for (int i = 0; i < size; i++) {
                if (nodes[i] == null) {
                    continue;
                }
                var r = nodes[i].localPartitions().replica(tp);
                if (r.isPresent() && ((PartitionReplicaImpl) r.get()).isLeaderReady()) {
                    for (int j = 0; j < size; j++) {
                        if (nodes[j] != null) {
                            var o = nodes[j].localPartitions().replica(tp);
                            if (o.isEmpty() || o.get().leaderId() != i) {
                                return false;
                            }
                        }
                    }
                    leader[0] = i;
                    return true;
                }
            }
            return false;
        });
        return leader[0];
    }

    /**
     * Appends through whichever node leads now, retrying when leadership moves (on a loaded
     * machine elections happen); an append that failed with "lost the leadership" may still have
     * committed, so callers must not count on exact offsets.
     */
    io.tributary.replication.AppendResult appendToLeader(TopicPartition tp, ByteBuffer batch) throws Exception {
        for (int attempt = 0; ; attempt++) {
            PartitionReplica l = replica(awaitLeader(tp), tp);
            try {
                return l.append(new io.tributary.replication.AppendRequest(batch.duplicate(), true, -1, 20_000))
                        .get(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                if (!(e.getCause() instanceof io.tributary.replication.NotLeaderException) || attempt >= 10) {
                    throw e;
                }
            }
        }
    }

    PartitionReplica replica(int node, TopicPartition tp) {
        return nodes[node].localPartitions().replica(tp).orElseThrow();
    }

    /** One batch of {@code records} records, values {@code prefix-i}, padded to about {@code valueBytes}. */
    static ByteBuffer batch(String prefix, int records, int valueBytes) {
        RecordBatchBuilder b = new RecordBatchBuilder(Compression.NONE, Integer.MAX_VALUE);
        for (int i = 0; i < records; i++) {
            byte[] v = new byte[Math.max(valueBytes, 1)];
            byte[] label = (prefix + "-" + i).getBytes(StandardCharsets.UTF_8);
            System.arraycopy(label, 0, v, 0, Math.min(label.length, v.length));
            b.append(System.currentTimeMillis(), null, ByteBuffer.wrap(v));
        }
        return b.build().buffer().duplicate();
    }

    /** Every committed byte of the replica's log from offset 0 (or its log start) to its high watermark. */
    static byte[] committedBytes(PartitionReplica r) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        long next = r.logStartOffset();
        long hw = r.highWatermark();
        while (next < hw) {
            LogReadResult res = r.read(next, 1 << 20);
            if (res.isEmpty()) {
                break;
            }
            ByteBuffer b = res.records();
            byte[] a = new byte[b.remaining()];
            b.get(a);
            out.writeBytes(a);
            next = res.nextOffset();
        }
        return out.toByteArray();
    }

    static Map<String, String> props(String... kv) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    @Override
    public void close() {
        for (int i = 0; i < size; i++) {
            if (nodes[i] != null) {
                try {
                    nodes[i].close();
                } catch (RuntimeException e) {
                    // keep closing the others
                }
                nodes[i] = null;
            }
        }
    }
}
