package io.tributary.replication.partition;

import io.tributary.log.LogCleaner;
import io.tributary.log.LogCleanerConfig;
import io.tributary.log.LogConfig;
import io.tributary.log.LogEnvironment;
import io.tributary.replication.BrokerInfo;
import io.tributary.replication.NotLeaderException;
import io.tributary.replication.PartitionReplica;
import io.tributary.replication.ReplicationConfig;
import io.tributary.replication.ReplicationException;
import io.tributary.replication.TopicPartition;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.protocol.TransferLeadershipRequest;
import org.apache.ratis.protocol.exceptions.AlreadyExistsException;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.statemachine.StateMachine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The partition replicas of one broker ({@link LocalPartitions}) and the state machine factory
 * of their Raft groups.
 *
 * <p>What a group is (topic, partition, topic id, log directory, topic settings) is persisted
 * in {@code <metadataDir>/partitions/<group uuid>.properties} before the group is added, so that
 * the Raft server, which reloads its groups from storage at start, can rebuild their state
 * machines before the metadata quorum is reachable. Partition logs live in
 * {@code <dataDir>/<topic>-<partition>}, on the data directory holding the fewest partitions.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class PartitionManager implements LocalPartitions, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PartitionManager.class);
    private static final String MARKER = PartitionSpec.MARKER_FILE;

    /**
     * How often each hosted partition's retention is applied (Kafka's
     * {@code log.retention.check.interval.ms}); read from the node's extra settings.
     */
    public static final String RETENTION_CHECK_INTERVAL_MS = "tributary.partition.retention.check.interval.ms";
    public static final long RETENTION_CHECK_INTERVAL_MS_DEFAULT = 300_000;

    private final ReplicationConfig config;
    private final Path specDir;
    private final Map<RaftGroupId, PartitionSpec> specs = new ConcurrentHashMap<>();
    private final Map<RaftGroupId, PartitionStateMachine> machines = new ConcurrentHashMap<>();
    private final Map<RaftGroupId, PartitionReplicaImpl> replicas = new ConcurrentHashMap<>();
    private final ExecutorService executor;
    /** Periodic per-partition maintenance (retention). */
    private final ScheduledExecutorService maintenance;
    /** Compaction of the partitions whose topics are compacted. */
    private final NodeCleaner cleaner = new NodeCleaner();
    private final PartitionReplicaImpl.Settings settings;
    private final ClientId clientId = ClientId.randomId();
    private final AtomicLong callIds = new AtomicLong();
    private volatile RaftServer server;

    /**
     * @param maxEntryBytes group commit: largest entry built from several appends
     * @param maxInFlightEntries group commit: uncommitted entries per partition before appends queue
     * @param electionTimeoutMaxMs for the in-sync test (a follower silent for twice this is out)
     */
    public PartitionManager(ReplicationConfig config, int maxEntryBytes, int maxInFlightEntries,
                            long electionTimeoutMaxMs) throws IOException {
        this.config = config;
        this.specDir = config.metadataDir().resolve("partitions");
        Files.createDirectories(specDir);
        AtomicInteger n = new AtomicInteger();
        this.executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "partition-commit-" + config.nodeId() + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.settings = new PartitionReplicaImpl.Settings(maxEntryBytes, maxInFlightEntries, ClientId.randomId(),
                callIds, executor, electionTimeoutMaxMs);
        loadSpecs();
        long retentionCheckMs = Long.parseLong(config.raftProperties().getOrDefault(RETENTION_CHECK_INTERVAL_MS,
                Long.toString(RETENTION_CHECK_INTERVAL_MS_DEFAULT)));
        if (retentionCheckMs <= 0) {
            throw new IllegalArgumentException(RETENTION_CHECK_INTERVAL_MS + " must be positive: " + retentionCheckMs);
        }
        this.maintenance = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "partition-retention-" + config.nodeId());
            t.setDaemon(true);
            return t;
        });
        maintenance.scheduleWithFixedDelay(this::enforceRetention, retentionCheckMs, retentionCheckMs,
                TimeUnit.MILLISECONDS);
    }

    /**
     * Applies retention to every hosted partition (see {@link PartitionStateMachine#retainFrom()}
     * for why it never reaches what Raft may still read). Runs on the maintenance thread; a failure
     * of one partition does not stop the others.
     */
    void enforceRetention() {
        long now = System.currentTimeMillis();
        for (PartitionStateMachine sm : machines.values()) {
            try {
                if (sm.log() != null) {
                    sm.enforceRetention(now);
                }
            } catch (RuntimeException e) {
                LOG.warn("Broker {}: retention of partition {} failed: {}", config.nodeId(), sm.topicPartition(),
                        e.toString());
            }
        }
    }

    private void loadSpecs() throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(specDir, "*.properties")) {
            for (Path p : ds) {
                Properties props = new Properties();
                try (InputStream in = Files.newInputStream(p)) {
                    props.load(in);
                }
                Map<String, String> topicConfigs = new HashMap<>();
                for (String k : props.stringPropertyNames()) {
                    if (k.startsWith("config.")) {
                        topicConfigs.put(k.substring("config.".length()), props.getProperty(k));
                    }
                }
                TopicPartition tp = new TopicPartition(props.getProperty("topic"),
                        Integer.parseInt(props.getProperty("partition")));
                PartitionSpec spec = new PartitionSpec(tp, props.getProperty("topic.id"),
                        Path.of(props.getProperty("log.dir")), logConfig(topicConfigs),
                        PartitionSpec.producerIdExpirationMs(topicConfigs, config.producerIdExpirationMs()));
                specs.put(RaftIds.partitionGroupId(spec.topicId(), tp), spec);
            }
        }
        LOG.info("Broker {} knows {} partition replicas from {}", config.nodeId(), specs.size(), specDir);
    }

    private void writeSpec(RaftGroupId gid, PartitionSpec spec, Map<String, String> topicConfigs) throws IOException {
        Properties props = new Properties();
        props.setProperty("topic", spec.topicPartition().topic());
        props.setProperty("partition", Integer.toString(spec.topicPartition().partition()));
        props.setProperty("topic.id", spec.topicId());
        props.setProperty("log.dir", spec.logDir().toString());
        topicConfigs.forEach((k, v) -> props.setProperty("config." + k, v));
        Path tmp = specDir.resolve(gid.getUuid() + ".properties.tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            props.store(out, "partition replica " + spec.topicPartition());
        }
        Files.move(tmp, specDir.resolve(gid.getUuid() + ".properties"), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
    }

    private LogConfig logConfig(Map<String, String> topicConfigs) {
        Map<String, String> merged = new HashMap<>(config.topicDefaults().toProperties());
        merged.putAll(topicConfigs);
        return LogConfig.fromProperties(merged);
    }

    /**
     * Moves aside Raft group directories (under {@code raftDir}) that are neither a known
     * partition nor {@code keep}, so the server does not load a group it cannot build.
     */
    public void quarantineUnknownGroups(Path raftDir, Set<RaftGroupId> keep) throws IOException {
        if (!Files.isDirectory(raftDir)) {
            return;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(raftDir)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                java.util.UUID uuid;
                try {
                    uuid = java.util.UUID.fromString(name);
                } catch (IllegalArgumentException e) {
                    continue;
                }
                RaftGroupId gid = RaftGroupId.valueOf(uuid);
                if (!specs.containsKey(gid) && !keep.contains(gid)) {
                    Path aside = raftDir.resolve("unknown-" + name);
                    LOG.error("Raft group directory {} belongs to no known partition; moving it to {}", p, aside);
                    Files.move(p, aside, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    /** Called once the Raft server exists (before it starts). */
    public void bind(RaftServer raftServer) {
        this.server = raftServer;
    }

    public boolean isPartitionGroup(RaftGroupId gid) {
        return specs.containsKey(gid);
    }

    /** The Raft server's state machine registry for partition groups. */
    public StateMachine newStateMachine(RaftGroupId gid) {
        PartitionSpec spec = specs.get(gid);
        if (spec == null) {
            throw new IllegalStateException("Raft group " + gid + " is not a partition known to broker "
                    + config.nodeId());
        }
        PartitionStateMachine sm = new PartitionStateMachine(spec, cleaner);
        machines.put(gid, sm);
        replicas.remove(gid);
        return sm;
    }

    // ================================================================ LocalPartitions

    @Override
    public void ensureReplica(TopicPartition tp, String topicId, List<BrokerInfo> brokers,
                              Map<String, String> topicConfigs, boolean joinExisting) {
        RaftGroupId gid = RaftIds.partitionGroupId(topicId, tp);
        LogConfig cfg = logConfig(topicConfigs);
        long producerIdExpirationMs = PartitionSpec.producerIdExpirationMs(topicConfigs,
                config.producerIdExpirationMs());
        try {
            PartitionSpec existing = specs.get(gid);
            if (existing != null && isHosted(gid)) {
                if (!existing.config().equals(cfg) || existing.producerIdExpirationMs() != producerIdExpirationMs) {
                    PartitionSpec updated = new PartitionSpec(tp, topicId, existing.logDir(), cfg,
                            producerIdExpirationMs);
                    writeSpec(gid, updated, topicConfigs);
                    specs.put(gid, updated);
                    PartitionStateMachine sm = machines.get(gid);
                    if (sm != null) {
                        sm.updateConfig(updated);
                    }
                    LOG.info("Partition {}: topic settings changed to {}", tp, topicConfigs);
                }
                return;
            }
            Path logDir = existing != null ? existing.logDir() : chooseLogDir(tp, topicId);
            PartitionSpec spec = new PartitionSpec(tp, topicId, logDir, cfg, producerIdExpirationMs);
            writeSpec(gid, spec, topicConfigs);
            specs.put(gid, spec);
            RaftGroup group = joinExisting ? RaftGroup.valueOf(gid) : RaftGroup.valueOf(gid, RaftIds.peers(brokers));
            RaftClientReply reply = server.groupManagement(GroupManagementRequest.newAdd(clientId, server.getId(),
                    callIds.incrementAndGet(), group));
            if (!reply.isSuccess()) {
                throw new ReplicationException("cannot create the Raft group of " + tp + ": " + reply.getException(),
                        true, reply.getException());
            }
            LOG.info("Broker {} hosts partition {} (group {}, replicas {}{}, log {})", config.nodeId(), tp, gid,
                    brokers.stream().map(BrokerInfo::id).toList(), joinExisting ? ", joining its leader" : "", logDir);
        } catch (AlreadyExistsException e) {
            LOG.debug("group of {} exists", tp);
        } catch (IOException e) {
            throw new ReplicationException("cannot create the replica of " + tp + ": " + e, true, e);
        }
    }

    private Path chooseLogDir(TopicPartition tp, String topicId) throws IOException {
        String name = tp.toString();
        Path chosen = null;
        for (Path d : config.dataDirs()) {
            if (Files.isDirectory(d.resolve(name))) {
                chosen = d.resolve(name);
                break;
            }
        }
        if (chosen == null) {
            Path best = null;
            long fewest = Long.MAX_VALUE;
            for (Path d : config.dataDirs()) {
                Files.createDirectories(d);
                long count;
                try (var s = Files.list(d)) {
                    count = s.filter(Files::isDirectory).count();
                }
                if (count < fewest) {
                    fewest = count;
                    best = d;
                }
            }
            chosen = best.resolve(name);
        }
        Path marker = chosen.resolve(MARKER);
        if (Files.exists(marker)) {
            String old = Files.readString(marker).trim();
            if (!old.equals(PartitionSpec.markerContent(topicId).trim())) {
                Path aside = chosen.resolveSibling(name + "." + System.currentTimeMillis() + ".stale");
                LOG.warn("Log directory {} belongs to an earlier topic of the same name ({}); moving it to {}", chosen,
                        old, aside);
                Files.move(chosen, aside);
            }
        }
        Files.createDirectories(chosen);
        PartitionSpec.writeMarker(chosen, topicId);
        return chosen;
    }

    private boolean isHosted(RaftGroupId gid) {
        RaftServer s = server;
        if (s == null) {
            return false;
        }
        for (RaftGroupId g : s.getGroupIds()) {
            if (g.equals(gid)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void removeReplica(TopicPartition tp, boolean deleteData) {
        for (Map.Entry<RaftGroupId, PartitionSpec> e : new HashMap<>(specs).entrySet()) {
            if (!e.getValue().topicPartition().equals(tp)) {
                continue;
            }
            RaftGroupId gid = e.getKey();
            PartitionReplicaImpl r = replicas.remove(gid);
            if (r != null) {
                r.failQueued(new ReplicationException("partition " + tp + " was removed from this broker", true));
            }
            try {
                if (isHosted(gid)) {
                    RaftClientReply reply = server.groupManagement(GroupManagementRequest.newRemove(clientId,
                            server.getId(), callIds.incrementAndGet(), gid, deleteData, false));
                    if (!reply.isSuccess()) {
                        throw new ReplicationException("cannot remove the Raft group of " + tp + ": "
                                + reply.getException(), true, reply.getException());
                    }
                }
                PartitionStateMachine sm = machines.remove(gid);
                if (sm != null) {
                    sm.close();
                }
                if (deleteData) {
                    PartitionSnapshotStorage.deleteRecursively(e.getValue().logDir());
                }
                specs.remove(gid);
                Files.deleteIfExists(specDir.resolve(gid.getUuid() + ".properties"));
                LOG.info("Broker {} no longer hosts partition {}{}", config.nodeId(), tp,
                        deleteData ? " (data deleted)" : "");
            } catch (IOException ex) {
                throw new ReplicationException("cannot remove the replica of " + tp + ": " + ex, true, ex);
            }
        }
    }

    @Override
    public Set<TopicPartition> hosted() {
        Set<TopicPartition> out = new TreeSet<>();
        for (RaftGroupId g : server.getGroupIds()) {
            PartitionSpec s = specs.get(g);
            if (s != null) {
                out.add(s.topicPartition());
            }
        }
        return out;
    }

    @Override
    public Optional<PartitionReplica> replica(TopicPartition tp) {
        return replicaImpl(tp).map(r -> r);
    }

    Optional<PartitionReplicaImpl> replicaImpl(TopicPartition tp) {
        for (Map.Entry<RaftGroupId, PartitionSpec> e : specs.entrySet()) {
            if (e.getValue().topicPartition().equals(tp) && isHosted(e.getKey())) {
                PartitionStateMachine sm = machines.get(e.getKey());
                if (sm == null || sm.log() == null) {
                    return Optional.empty();
                }
                return Optional.of(replicas.computeIfAbsent(e.getKey(),
                        g -> new PartitionReplicaImpl(server, g, sm, settings)));
            }
        }
        return Optional.empty();
    }

    public List<PartitionReplica> replicas() {
        return hosted().stream().map(this::replica).flatMap(Optional::stream).toList();
    }

    @Override
    public CompletableFuture<Void> changeReplicas(TopicPartition tp, List<BrokerInfo> brokers) {
        PartitionReplicaImpl r = replicaImpl(tp).orElse(null);
        if (r == null) {
            return CompletableFuture.failedFuture(new ReplicationException("partition " + tp
                    + " is not hosted on broker " + config.nodeId(), false));
        }
        if (!r.isLeader()) {
            return CompletableFuture.failedFuture(new NotLeaderException("broker " + config.nodeId()
                    + " cannot change the replicas of " + tp, r.leaderId()));
        }
        try {
            // The List overload: the array overload would make the second list listeners.
            return server.setConfigurationAsync(new SetConfigurationRequest(clientId, server.getId(), r.groupId(),
                    callIds.incrementAndGet(), RaftIds.peers(brokers))).thenApply(reply -> check(reply, tp, "change replicas"));
        } catch (IOException e) {
            return CompletableFuture.failedFuture(new ReplicationException("change replicas of " + tp + ": " + e, true, e));
        }
    }

    @Override
    public CompletableFuture<Void> transferLeadership(TopicPartition tp, int toBrokerId) {
        PartitionReplicaImpl r = replicaImpl(tp).orElse(null);
        if (r == null) {
            return CompletableFuture.failedFuture(new ReplicationException("partition " + tp
                    + " is not hosted on broker " + config.nodeId(), false));
        }
        return transferLeadership(r.groupId(), tp.toString(), toBrokerId, 10_000);
    }

    /** Transfers the leadership of any group this server leads. */
    public CompletableFuture<Void> transferLeadership(RaftGroupId gid, String what, int toBrokerId, long timeoutMs) {
        try {
            return server.transferLeadershipAsync(new TransferLeadershipRequest(clientId, server.getId(), gid,
                    callIds.incrementAndGet(), RaftIds.peerId(toBrokerId), timeoutMs))
                    .thenApply(reply -> check(reply, what, "transfer leadership"));
        } catch (IOException e) {
            return CompletableFuture.failedFuture(new ReplicationException("transfer leadership of " + what + ": " + e,
                    true, e));
        }
    }

    private static Void check(RaftClientReply reply, Object what, String op) {
        if (!reply.isSuccess()) {
            throw new CompletionException(new ReplicationException(op + " of " + what + " failed: "
                    + reply.getException(), true, reply.getException()));
        }
        return null;
    }

    @Override
    public Map<TopicPartition, ReplicaReport> report() {
        Map<TopicPartition, ReplicaReport> out = new TreeMap<>();
        for (TopicPartition tp : hosted()) {
            replicaImpl(tp).ifPresent(r -> {
                try {
                    out.put(tp, new ReplicaReport(r.stateMachine().spec().topicId(), r.leaderId(), r.leaderEpoch(),
                            r.isLeader(), r.replicas(), r.isLeader() ? r.inSyncReplicas() : List.of(),
                            r.logStartOffset(), r.logEndOffset(), r.highWatermark(), r.sizeInBytes(), r.commitIndex()));
                } catch (RuntimeException e) {
                    LOG.debug("no report for {}: {}", tp, e.toString());
                }
            });
        }
        return out;
    }

    /** The groups of partitions this broker leads now. */
    public Map<RaftGroupId, PartitionReplica> ledGroups() {
        Map<RaftGroupId, PartitionReplica> out = new HashMap<>();
        for (TopicPartition tp : hosted()) {
            replicaImpl(tp).filter(PartitionReplicaImpl::isLeader).ifPresent(r -> out.put(r.groupId(), r));
        }
        return out;
    }

    /** Whether every hosted partition has a known leader. */
    public boolean allHaveLeaders() {
        for (TopicPartition tp : hosted()) {
            Optional<PartitionReplicaImpl> r = replicaImpl(tp);
            if (r.isEmpty() || r.get().leaderId() < 0) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() {
        maintenance.shutdownNow();
        executor.shutdownNow();
        cleaner.close();
        for (PartitionReplicaImpl r : replicas.values()) {
            r.failQueued(new ReplicationException("broker " + config.nodeId() + " is shutting down", true));
        }
    }

    /**
     * The node's {@link LogCleaner}, created and started when the first compacted partition
     * registers (its key map takes {@code log.cleaner.dedupe.buffer.size} of memory), configured
     * from the node's extra settings ({@code log.cleaner.*} keys).
     */
    private final class NodeCleaner implements PartitionStateMachine.Compactor {
        private LogCleaner logCleaner;
        private boolean closed;

        @Override
        public void register(io.tributary.log.Log log, java.util.function.LongSupplier cleanableUpTo) {
            LogCleaner c;
            synchronized (this) {
                if (closed) {
                    return;
                }
                if (logCleaner == null) {
                    logCleaner = new LogCleaner(LogCleanerConfig.fromProperties(config.raftProperties()),
                            LogEnvironment.defaults()).start();
                }
                c = logCleaner;
            }
            c.register(log, cleanableUpTo);
        }

        @Override
        public void unregister(io.tributary.log.Log log) {
            LogCleaner c;
            synchronized (this) {
                c = logCleaner;
            }
            if (c != null) {
                c.unregister(log);
            }
        }

        void close() {
            LogCleaner c;
            synchronized (this) {
                closed = true;
                c = logCleaner;
            }
            if (c != null) {
                c.close();
            }
        }
    }
}
