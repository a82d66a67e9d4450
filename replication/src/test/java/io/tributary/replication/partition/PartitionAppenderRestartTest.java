package io.tributary.replication.partition;

import io.tributary.replication.AppendRequest;
import io.tributary.replication.PartitionReplica;
import io.tributary.replication.TopicPartition;
import org.apache.ratis.proto.RaftProtos.AppendEntriesRequestProto;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.util.CodeInjectionForTesting;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A leader's log appender that fails is replaced (Ratis 3.2.2 would leave its follower without
 * entries or heartbeats until the next leader change): see {@link RestartingGrpcRpcType}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PartitionAppenderRestartTest {
    private static final TopicPartition TP = new TopicPartition("orders", 0);
    /** Runs on the leader's appender thread before each send of an appendEntries request. */
    private static final String SEND = org.apache.ratis.grpc.server.GrpcServicesImpl.GRPC_SEND_SERVER_REQUEST;

    @TempDir
    Path dir;
    PartitionCluster cluster;

    @AfterEach
    void tearDown() {
        CodeInjectionForTesting.remove(SEND);
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void shouldReplaceAFailedLogAppenderWithoutALeaderChange() throws Exception {
        cluster = PartitionCluster.start(dir, 3, Map.of("raft.server.rpc.timeout.min", "1s",
                "raft.server.rpc.timeout.max", "2s"));
        cluster.createPartition(TP, Map.of());
        int leader = cluster.awaitLeader(TP);
        PartitionReplica l = cluster.replica(leader, TP);
        l.append(new AppendRequest(PartitionCluster.batch("before", 2, 100), true, -1, 20_000)).get(30, TimeUnit.SECONDS);
        long term = l.leaderEpoch();
        int follower = (leader + 1) % 3;
        RaftPeerId leaderPeer = RaftIds.peerId(leader);
        var followerPeer = RaftIds.peerId(follower).toByteString();
        // The appender to one follower throws three times (as Ratis's own nextIndex race does).
        AtomicInteger failures = new AtomicInteger(3);
        CodeInjectionForTesting.put(SEND, (localId, remoteId, args) -> {
            if (leaderPeer.equals(localId) && args.length > 0 && args[0] instanceof AppendEntriesRequestProto p
                    && p.getServerRequest().getReplyId().equals(followerPeer) && failures.getAndDecrement() > 0) {
                throw new IllegalStateException("test: appender of " + localId + " to " + follower + " fails");
            }
            return false;
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> failures.get() < 0);
        for (int i = 0; i < 5; i++) {
            l.append(new AppendRequest(PartitionCluster.batch("after" + i, 2, 100), true, -1, 20_000))
                    .get(30, TimeUnit.SECONDS);
        }
        long hw = l.highWatermark();
        await().atMost(Duration.ofSeconds(30)).until(() -> cluster.replica(follower, TP).highWatermark() == hw);
        assertThat(cluster.awaitLeader(TP)).as("leader").isEqualTo(leader);
        assertThat(l.leaderEpoch()).as("term").isEqualTo(term);
    }
}
