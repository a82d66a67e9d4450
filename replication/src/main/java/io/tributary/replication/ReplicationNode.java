package io.tributary.replication;

import io.tributary.replication.partition.LocalPartitions;
import io.tributary.replication.partition.PartitionManager;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.statemachine.StateMachine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A broker's replication layer: one Ratis {@link RaftServer} (gRPC, storage under
 * {@code <metadataDir>/raft}) hosting the metadata group (on controller voters) and a Raft group
 * per hosted partition replica. The broker's entry point: start it, serve
 * {@link #replica(TopicPartition)}s, hand leadership off and close it.
 *
 * <p><b>Plugging in the metadata quorum.</b> The metadata group's state machine, cluster view
 * and topic admin come from a {@link MetadataModule}, built by a {@link MetadataModule.Factory}
 * before the Raft server exists (so the server's state machine registry can return its state
 * machine) and started once the server runs, with the server and this broker's
 * {@link LocalPartitions} (what the controller's reconciler drives). Without a module (tests of the
 * partition layer) the node hosts partitions only.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class ReplicationNode implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicationNode.class);

    /**
     * The metadata quorum as the node sees it (implemented by
     * {@code io.tributary.replication.metadata}).
     */
    public interface MetadataModule extends AutoCloseable {

        /** Builds the module for a broker; called before the Raft server exists. */
        @FunctionalInterface
        interface Factory {
            MetadataModule create(ReplicationConfig config) throws IOException;
        }

        /**
         * The metadata Raft group (its id and voters). On a voter, the node starts its Raft server
         * with this group; elsewhere the module reaches the voters as a client.
         */
        RaftGroup metadataGroup();

        /** A new state machine for the metadata group (the server's registry calls it). */
        StateMachine newStateMachine();

        /** Starts the module (broker registration, heartbeats, the controller when leading). */
        void start(RaftServer server, LocalPartitions localPartitions) throws IOException;

        ClusterView view();

        TopicAdmin admin();

        /** Registered with the metadata quorum and holding current metadata. */
        boolean isReady();

        @Override
        void close();
    }

    private final ReplicationConfig config;
    private final RaftServer server;
    private final PartitionManager partitions;
    private final MetadataModule metadata;

    private ReplicationNode(ReplicationConfig config, RaftServer server, PartitionManager partitions,
                            MetadataModule metadata) {
        this.config = config;
        this.server = server;
        this.partitions = partitions;
        this.metadata = metadata;
    }

    /**
     * Starts the broker's Raft server with its partition replicas (reloaded from storage) and the
     * metadata module.
     *
     * @param metadataFactory builds the metadata module, or null to host partitions only
     */
    public static ReplicationNode start(ReplicationConfig config, MetadataModule.Factory metadataFactory)
            throws IOException {
        Map<String, String> effective = RatisSettings.effective(config);
        LOG.info("Broker {} replication settings: {}", config.nodeId(), effective);
        RaftProperties props = RatisSettings.toRaftProperties(config, effective);
        PartitionManager partitions = new PartitionManager(config,
                Integer.parseInt(effective.get(RatisSettings.ENTRY_MAX_BYTES)),
                Integer.parseInt(effective.get(RatisSettings.IN_FLIGHT_ENTRIES_MAX)),
                RaftServerConfigKeys.Rpc.timeoutMax(props).toLong(TimeUnit.MILLISECONDS));
        MetadataModule metadata = metadataFactory == null ? null : metadataFactory.create(config);
        RaftGroup metadataGroup = metadata == null ? null : metadata.metadataGroup();
        RaftGroupId metadataGroupId = metadataGroup == null ? null : metadataGroup.getGroupId();
        partitions.quarantineUnknownGroups(config.metadataDir().resolve("raft"),
                metadataGroupId == null ? Set.of() : Set.of(metadataGroupId));
        RaftServer.Builder b = RaftServer.newBuilder()
                .setServerId(io.tributary.replication.partition.RaftIds.peerId(config.nodeId()))
                .setProperties(props)
                // RECOVER: a restarted voter reopens the metadata group it already has on disk (FORMAT,
                // the default, refuses an existing group directory); with one storage directory, a
                // first start formats it.
                .setOption(org.apache.ratis.server.storage.RaftStorage.StartupOption.RECOVER)
                .setStateMachineRegistry(gid -> {
                    if (gid.equals(metadataGroupId)) {
                        return metadata.newStateMachine();
                    }
                    return partitions.newStateMachine(gid);
                });
        if (metadataGroup != null && config.isControllerVoter()) {
            b.setGroup(metadataGroup);
        }
        RaftServer server = b.build();
        partitions.bind(server);
        try {
            server.start();
            if (metadata != null) {
                metadata.start(server, partitions);
            }
        } catch (IOException | RuntimeException e) {
            if (metadata != null) {
                metadata.close();
            }
            partitions.close();
            server.close();
            throw e;
        }
        LOG.info("Broker {} replication started: Raft server {} on {}, {} partition replicas", config.nodeId(),
                server.getId(), config.raftAddress(), partitions.hosted().size());
        return new ReplicationNode(config, server, partitions, metadata);
    }

    public ReplicationConfig config() {
        return config;
    }

    public ClusterView clusterView() {
        return requireMetadata().view();
    }

    public TopicAdmin topicAdmin() {
        return requireMetadata().admin();
    }

    private MetadataModule requireMetadata() {
        if (metadata == null) {
            throw new IllegalStateException("broker " + config.nodeId() + " runs without the metadata quorum");
        }
        return metadata;
    }

    public LocalPartitions localPartitions() {
        return partitions;
    }

    public Optional<PartitionReplica> replica(TopicPartition tp) {
        return partitions.replica(tp);
    }

    public Collection<PartitionReplica> replicas() {
        return partitions.replicas();
    }

    /** The Raft server is running and, with a metadata module, the broker is registered. */
    public boolean isReady() {
        boolean running = server.getLifeCycleState() == org.apache.ratis.util.LifeCycle.State.RUNNING;
        return running && (metadata == null || metadata.isReady());
    }

    /** The underlying Raft server (for the metadata module and tests). */
    public RaftServer raftServer() {
        return server;
    }

    /**
     * Graceful shutdown, first step: moves the leadership of every group this broker leads
     * (partitions and the metadata group) to another replica, trying the replicas in turn, and
     * waits up to {@code timeout} in all. Groups whose leadership cannot move stay led here.
     */
    public void handOffLeadership(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<CompletableFuture<?>> moves = new ArrayList<>();
        partitions.ledGroups().forEach((gid, r) -> moves.add(handOff(gid, r.topicPartition().toString(),
                r.inSyncReplicas(), r.replicas(), deadline)));
        if (metadata != null) {
            RaftGroupId mgid = metadata.metadataGroup().getGroupId();
            try {
                RaftServer.Division d = server.getDivision(mgid);
                if (d.getInfo().isLeader()) {
                    List<Integer> voters = d.getGroup().getPeers().stream()
                            .map(p -> io.tributary.replication.partition.RaftIds.brokerId(p.getId())).toList();
                    moves.add(handOff(mgid, "the metadata group", voters, voters, deadline));
                }
            } catch (IOException e) {
                LOG.debug("no metadata division: {}", e.toString());
            }
        }
        try {
            CompletableFuture.allOf(moves.toArray(CompletableFuture[]::new))
                    .get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (Exception e) {
            LOG.warn("Broker {}: leadership hand-off incomplete after {}: {}", config.nodeId(), timeout, e.toString());
        }
    }

    private CompletableFuture<Void> handOff(RaftGroupId gid, String what, List<Integer> preferred, List<Integer> all,
                                            long deadlineNs) {
        List<Integer> candidates = new ArrayList<>(preferred);
        all.stream().filter(id -> !candidates.contains(id)).forEach(candidates::add);
        candidates.remove(Integer.valueOf(config.nodeId()));
        CompletableFuture<Void> f = CompletableFuture.failedFuture(new IllegalStateException("no other replica"));
        for (int to : candidates) {
            f = f.exceptionallyCompose(t -> {
                long leftMs = TimeUnit.NANOSECONDS.toMillis(deadlineNs - System.nanoTime());
                if (leftMs <= 0) {
                    return CompletableFuture.failedFuture(t);
                }
                return partitions.transferLeadership(gid, what, to, leftMs);
            });
        }
        return f.whenComplete((v, t) -> {
            if (t != null) {
                LOG.warn("Broker {}: could not hand off the leadership of {}: {}", config.nodeId(), what, t.toString());
            } else {
                LOG.info("Broker {}: handed off the leadership of {}", config.nodeId(), what);
            }
        });
    }

    @Override
    public void close() {
        if (metadata != null) {
            try {
                metadata.close();
            } catch (RuntimeException e) {
                LOG.warn("closing the metadata module: {}", e.toString());
            }
        }
        partitions.close();
        try {
            server.close();
        } catch (IOException e) {
            LOG.warn("Broker {}: closing the Raft server: {}", config.nodeId(), e.toString());
        }
        LOG.info("Broker {} replication closed", config.nodeId());
    }
}
