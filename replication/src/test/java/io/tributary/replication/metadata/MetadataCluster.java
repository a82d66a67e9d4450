package io.tributary.replication.metadata;

import io.tributary.log.LogConfig;
import io.tributary.replication.ClusterMetadata;
import io.tributary.replication.PartitionInfo;
import io.tributary.replication.ReplicationConfig;
import io.tributary.replication.ReplicationNode;
import io.tributary.replication.TopicAdmin;
import io.tributary.replication.TopicInfo;
import io.tributary.replication.TopicPartition;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

import static org.awaitility.Awaitility.await;

/**
 * A script-like fixture: N brokers (ReplicationNodes with the metadata quorum) in this JVM on
 * 127.0.0.1, each with its own directories; broker ids 1..N, the first three (or all, when fewer)
 * are controller voters. Heartbeats every 100 ms; timeouts as given.
 */
final class MetadataCluster implements AutoCloseable {

    final Path root;
    final int size;
    final int[] raftPorts;
    final ReplicationNode[] nodes;
    final MetadataManager[] managers;
    final Map<Integer, String> voters = new TreeMap<>();
    final long sessionTimeoutMs;
    final long replacementTimeoutMs;
    final long leaderBalanceIntervalMs;

    private MetadataCluster(Path root, int size, long sessionTimeoutMs, long replacementTimeoutMs,
                            long leaderBalanceIntervalMs) {
        this.root = root;
        this.size = size;
        this.raftPorts = new int[size + 1];
        this.nodes = new ReplicationNode[size + 1];
        this.managers = new MetadataManager[size + 1];
        this.sessionTimeoutMs = sessionTimeoutMs;
        this.replacementTimeoutMs = replacementTimeoutMs;
        this.leaderBalanceIntervalMs = leaderBalanceIntervalMs;
        for (int id = 1; id <= size; id++) {
            raftPorts[id] = freePort();
            if (id <= 3) {
                voters.put(id, "127.0.0.1:" + raftPorts[id]);
            }
        }
    }

    static MetadataCluster start(Path root, int size, long sessionTimeoutMs, long replacementTimeoutMs,
                                 long leaderBalanceIntervalMs) throws IOException {
        MetadataCluster c = new MetadataCluster(root, size, sessionTimeoutMs, replacementTimeoutMs,
                leaderBalanceIntervalMs);
        for (int id = 1; id <= size; id++) {
            c.startNode(id);
        }
        c.awaitRegistered();
        return c;
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static LogConfig smallLogs() {
        return LogConfig.builder().segmentBytes(2 << 20).segmentIndexBytes(64 * 1024).build();
    }

    ReplicationConfig config(int id) {
        return new ReplicationConfig(id, "127.0.0.1", 7000 + id, raftPorts[id], "",
                java.util.List.of(root.resolve("b" + id).resolve("data")), root.resolve("b" + id).resolve("meta"),
                voters, 1, 1, smallLogs(), sessionTimeoutMs, replacementTimeoutMs, leaderBalanceIntervalMs,
                // The test machine is shared and often overloaded: elections at 150-300 ms churn
                // leadership there; slower ones keep the scripted scenarios deterministic.
                // A short leader-to-follower retry (Ratis' default backs off to 5 s): a restarted
                // node is caught up at once instead of up to 5 s later.
                Map.of("raft.server.rpc.timeout.min", "1s", "raft.server.rpc.timeout.max", "2s",
                        "raft.server.log.appender.retry.policy", "1ms,10, 100ms,1000000"));
    }

    void startNode(int id) throws IOException {
        nodes[id] = ReplicationNode.start(config(id), config -> {
            MetadataManager m = new MetadataManager(config, MetadataManager.Options.defaults(config)
                    .withHeartbeatIntervalMs(100));
            managers[id] = m;
            return m;
        });
    }

    void stopNode(int id) {
        nodes[id].close();
        nodes[id] = null;
        managers[id] = null;
    }

    boolean isRunning(int id) {
        return nodes[id] != null;
    }

    TopicAdmin admin(int id) {
        return nodes[id].topicAdmin();
    }

    ClusterMetadata view(int id) {
        return nodes[id].clusterView().current();
    }

    void awaitRegistered() {
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            for (int id = 1; id <= size; id++) {
                if (nodes[id] != null && (!nodes[id].isReady() || view(id).brokers().values().stream()
                        .filter(b -> b.alive() && isRunning(b.id())).count() < running())) {
                    return false;
                }
            }
            return true;
        });
    }

    int running() {
        int n = 0;
        for (int id = 1; id <= size; id++) {
            n += nodes[id] != null ? 1 : 0;
        }
        return n;
    }

    /** The running broker that is the controller, once there is one. */
    int awaitController() {
        int[] found = {-1};
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            for (int id = 1; id <= size; id++) {
                if (managers[id] != null && managers[id].isController()) {
                    found[0] = id;
                    return true;
                }
            }
            return false;
        });
        return found[0];
    }

    /** Some running broker other than {@code not}. */
    int anyRunningExcept(int not) {
        for (int id = size; id >= 1; id--) {
            if (id != not && nodes[id] != null) {
                return id;
            }
        }
        throw new IllegalStateException("no running broker");
    }

    /** Waits until every running broker's view has a leader for every partition of the topic. */
    TopicInfo awaitLeaders(String topic) {
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            for (int id = 1; id <= size; id++) {
                if (nodes[id] == null) {
                    continue;
                }
                TopicInfo t = view(id).topics().get(topic);
                if (t == null || !t.partitions().stream().allMatch(PartitionInfo::hasLeader)) {
                    return false;
                }
            }
            return true;
        });
        return view(anyRunningExcept(-1)).topics().get(topic);
    }

    Map<Integer, Integer> leaderCounts(String topic) {
        Map<Integer, Integer> out = new HashMap<>();
        TopicInfo t = view(anyRunningExcept(-1)).topics().get(topic);
        for (PartitionInfo p : t.partitions()) {
            out.merge(p.leaderId(), 1, Integer::sum);
        }
        return out;
    }

    boolean hosts(int id, TopicPartition tp) {
        return nodes[id].localPartitions().hosted().contains(tp);
    }

    @Override
    public void close() {
        for (int id = 1; id <= size; id++) {
            if (nodes[id] != null) {
                try {
                    nodes[id].close();
                } catch (RuntimeException e) {
                    // keep closing the others
                }
                nodes[id] = null;
            }
        }
    }
}
