package io.tributary.replication.metadata;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tributary.proto.internal.v1.BrokerHeartbeat;
import io.tributary.proto.internal.v1.BrokerRegistrationRecord;
import io.tributary.proto.internal.v1.HeartbeatReply;
import io.tributary.proto.internal.v1.MetadataCommand;
import io.tributary.proto.internal.v1.MetadataCommandResult;
import io.tributary.proto.internal.v1.MetadataQuery;
import io.tributary.proto.internal.v1.MetadataQueryReply;
import io.tributary.proto.internal.v1.PartitionAssignmentRecord;
import io.tributary.proto.internal.v1.PartitionLeadership;
import io.tributary.proto.internal.v1.ReassignPartition;
import io.tributary.proto.internal.v1.RegisterBroker;
import io.tributary.proto.internal.v1.ReplicaStatusReport;
import io.tributary.proto.internal.v1.TopicRecord;
import io.tributary.replication.ClusterView;
import io.tributary.replication.ReplicationConfig;
import io.tributary.replication.ReplicationNode;
import io.tributary.replication.TopicAdmin;
import io.tributary.replication.TopicPartition;
import io.tributary.replication.controller.PartitionReconciler;
import io.tributary.replication.controller.ReplicaPlacer;
import io.tributary.replication.controller.ReplicaReplacer;
import io.tributary.replication.partition.LocalPartitions;
import io.tributary.replication.partition.ReplicaReport;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.SnapshotManagementRequest;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.retry.RetryPolicy;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.statemachine.StateMachine;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * This broker's part in the metadata quorum: the {@link ReplicationNode.MetadataModule} plugged
 * into its {@link ReplicationNode} (see {@link #factory}):
 * <ul>
 * <li>on a controller voter, the {@link MetadataStateMachine} of the metadata group (hosted by the
 *     broker's one RaftServer, which the node starts with the group);</li>
 * <li>on every broker: registration at start, a heartbeat to the controller every
 *     {@link Options#heartbeatIntervalMs} (a read-only Raft message answered by the leader's
 *     {@code query()}, carrying this broker's replica report; the reply carries the committed
 *     state, live brokers and partition leaders, so non-voters need no membership in the group),
 *     the {@link ClusterView} built from those replies, {@link TopicAdmin} (commands through a
 *     Raft client with a bounded retry policy), and the {@link PartitionReconciler} that makes the
 *     local replicas match the assignments;</li>
 * <li>on the voter that leads the group (the controller): moving replicas off brokers silent
 *     longer than {@code replicaReplacementTimeoutMs} ({@link ReplicaReplacer}), and snapshots of
 *     the metadata state every {@link Options#snapshotEveryEntries} entries.</li>
 * </ul>
 *
 * <p>Threads (named {@code tributary-metadata-*-<broker id>}): one heartbeat thread, one
 * reconciler thread, one controller thread, and a small bounded pool for admin commands.
 * Thread-safe.
 */
public final class MetadataManager implements ReplicationNode.MetadataModule {

    private static final Logger LOG = LoggerFactory.getLogger(MetadataManager.class);

    /** Tunables that are not broker configuration. */
    public record Options(long heartbeatIntervalMs, long snapshotEveryEntries, int writeAttempts,
                          long writeRetrySleepMs, LongSupplier nanoClock) {
        /** Heartbeats every 500 ms (or a third of the session timeout when shorter), snapshots every 1000 entries. */
        public static Options defaults(ReplicationConfig config) {
            return new Options(Math.max(20, Math.min(500, config.brokerSessionTimeoutMs() / 3)), 1000, 40, 150,
                    System::nanoTime);
        }

        public Options withHeartbeatIntervalMs(long ms) {
            return new Options(ms, snapshotEveryEntries, writeAttempts, writeRetrySleepMs, nanoClock);
        }

        public Options withSnapshotEveryEntries(long n) {
            return new Options(heartbeatIntervalMs, n, writeAttempts, writeRetrySleepMs, nanoClock);
        }
    }

    private final ReplicationConfig config;
    private final Options options;
    private final long incarnation;
    private final MetadataView view;
    private final RaftGroup group;
    private final RaftProperties clientProperties;
    private final Parameters clientParameters;
    private final ScheduledExecutorService heartbeatExecutor;
    private final ScheduledExecutorService reconcileExecutor;
    private final ScheduledExecutorService controllerExecutor;
    private final ThreadPoolExecutor adminExecutor;
    private final RaftTopicAdmin topicAdmin;
    private final AtomicBoolean registered = new AtomicBoolean();
    private final AtomicBoolean reconcileScheduled = new AtomicBoolean();
    private final Set<TopicPartition> reassignmentsInFlight = ConcurrentHashMap.newKeySet();
    private final AtomicLong lastHeartbeatOkNanos = new AtomicLong();
    private volatile MetadataStateMachine stateMachine;
    private volatile LocalPartitions host;
    private volatile PartitionReconciler reconciler;
    private volatile RaftServer server;
    private volatile RaftClient writeClient;
    private volatile RaftClient heartbeatClient;
    private volatile long lastSnapshotIndex;
    private volatile boolean closed;
    private boolean stateMachineHandedOut;

    /** The factory {@link ReplicationNode#start} takes, with default options. */
    public static ReplicationNode.MetadataModule.Factory factory() {
        return config -> new MetadataManager(config, Options.defaults(config));
    }

    /** The factory {@link ReplicationNode#start} takes, with options (tests: faster heartbeats). */
    public static ReplicationNode.MetadataModule.Factory factory(java.util.function.Function<Options, Options> tune) {
        return config -> new MetadataManager(config, tune.apply(Options.defaults(config)));
    }

    /**
     * @param config this broker's replication config (voters, timeouts, topic defaults); its
     *     {@code raft.*} properties also configure the metadata clients
     */
    public MetadataManager(ReplicationConfig config, Options options) {
        this(config, clientProperties(config), new Parameters(), options);
    }

    /**
     * @param clientProperties Ratis properties for the metadata clients
     * @param clientParameters Ratis parameters for the metadata clients (TLS, if any)
     */
    public MetadataManager(ReplicationConfig config, RaftProperties clientProperties, Parameters clientParameters,
                           Options options) {
        this.config = config;
        this.options = options;
        this.clientProperties = clientProperties;
        this.clientParameters = clientParameters;
        this.incarnation = (System.currentTimeMillis() << 12) | (UUID.randomUUID().getLeastSignificantBits() & 0xFFF);
        this.stateMachine = new MetadataStateMachine(config.nodeId(), config.brokerSessionTimeoutMs(),
                options.nanoClock());
        this.view = new MetadataView(config.controllerVoters().keySet());
        this.group = MetadataGroup.group(config.controllerVoters());
        int id = config.nodeId();
        this.heartbeatExecutor = Executors.newSingleThreadScheduledExecutor(named("tributary-metadata-heartbeat-" + id));
        this.reconcileExecutor = Executors.newSingleThreadScheduledExecutor(named("tributary-metadata-reconciler-" + id));
        this.controllerExecutor = Executors.newSingleThreadScheduledExecutor(named("tributary-metadata-controller-" + id));
        this.adminExecutor = new ThreadPoolExecutor(2, 2, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(256),
                named("tributary-metadata-admin-" + id));
        this.topicAdmin = new RaftTopicAdmin(this, config);
    }

    private static RaftProperties clientProperties(ReplicationConfig config) {
        RaftProperties p = new RaftProperties();
        config.raftProperties().forEach((k, v) -> {
            if (k.startsWith("raft.")) {
                p.set(k, v);
            }
        });
        return p;
    }

    /** The metadata group (its fixed id and the configured voters). */
    @Override
    public RaftGroup metadataGroup() {
        return group;
    }

    /**
     * The state machine for {@link MetadataGroup#GROUP_ID} (voters only). The first call returns
     * the one made with this manager; a later call (the group re-added) replaces it.
     */
    @Override
    public synchronized StateMachine newStateMachine() {
        if (stateMachineHandedOut) {
            stateMachine = new MetadataStateMachine(config.nodeId(), config.brokerSessionTimeoutMs(),
                    options.nanoClock());
        }
        stateMachineHandedOut = true;
        return stateMachine;
    }

    /** This voter's metadata state machine. */
    public MetadataStateMachine stateMachine() {
        return stateMachine;
    }

    @Override
    public ClusterView view() {
        return view;
    }

    @Override
    public TopicAdmin admin() {
        return topicAdmin;
    }

    /** Registered, and holding metadata from the controller. */
    @Override
    public boolean isReady() {
        return registered.get() && view.hasControllerState();
    }

    /** This process's incarnation (changes at every start). */
    public long incarnation() {
        return incarnation;
    }

    /** Whether this broker is the controller (the metadata group's leader) now. */
    public boolean isController() {
        RaftServer s = server;
        if (s == null || !config.isControllerVoter()) {
            return false;
        }
        try {
            return s.getDivision(MetadataGroup.GROUP_ID).getInfo().isLeader();
        } catch (IOException e) {
            return false;
        }
    }

    /** The committed metadata state as last received from the controller. */
    public MetadataImage image() {
        return view.image();
    }

    /** The state applied by this voter's own state machine (voters only; empty elsewhere). */
    public MetadataImage localImage() {
        return stateMachine.image();
    }

    /**
     * Starts after the broker's RaftServer is running: adds the metadata group on a voter that
     * does not host it yet, then starts heartbeats (which register the broker), the reconciler and
     * the controller duties. Returns at once.
     */
    @Override
    public void start(RaftServer raftServer, LocalPartitions localPartitions) throws IOException {
        this.server = raftServer;
        this.host = localPartitions;
        this.reconciler = new PartitionReconciler(config.nodeId(), localPartitions, config.leaderBalanceIntervalMs(),
                options.nanoClock());
        if (config.isControllerVoter()) {
            boolean hosted = false;
            for (var gid : raftServer.getGroupIds()) {
                hosted |= gid.equals(MetadataGroup.GROUP_ID);
            }
            if (!hosted) {
                LOG.info("broker {} joins the metadata group {} as a voter", config.nodeId(), group);
                RaftClientReply reply = raftServer.groupManagement(GroupManagementRequest.newAdd(ClientId.randomId(),
                        raftServer.getId(), 0, group));
                if (!reply.isSuccess()) {
                    throw new IOException("could not add the metadata group on broker " + config.nodeId() + ": "
                            + reply.getException());
                }
            }
        }
        writeClient = newClient(RetryPolicies.retryUpToMaximumCountWithFixedSleep(options.writeAttempts(),
                TimeDuration.valueOf(options.writeRetrySleepMs(), TimeUnit.MILLISECONDS)));
        heartbeatClient = newClient(RetryPolicies.retryUpToMaximumCountWithFixedSleep(3,
                TimeDuration.valueOf(Math.max(10, options.heartbeatIntervalMs() / 4), TimeUnit.MILLISECONDS)));
        long interval = options.heartbeatIntervalMs();
        heartbeatExecutor.scheduleWithFixedDelay(this::heartbeatSafely, 0, interval, TimeUnit.MILLISECONDS);
        reconcileExecutor.scheduleWithFixedDelay(this::reconcileSafely, interval, interval, TimeUnit.MILLISECONDS);
        controllerExecutor.scheduleWithFixedDelay(this::controlSafely, interval, interval, TimeUnit.MILLISECONDS);
        view.addListener(md -> triggerReconcile());
        LOG.info("broker {} metadata manager started (voter: {}, incarnation {}, heartbeat every {} ms)",
                config.nodeId(), config.isControllerVoter(), incarnation, interval);
    }

    private RaftClient newClient(RetryPolicy retryPolicy) {
        return RaftClient.newBuilder()
                .setClientId(ClientId.randomId())
                .setRaftGroup(group)
                .setProperties(clientProperties)
                .setParameters(clientParameters)
                .setRetryPolicy(retryPolicy)
                .build();
    }

    // ------------------------------------------------------------------------------------------
    // Heartbeats and registration
    // ------------------------------------------------------------------------------------------

    private void heartbeatSafely() {
        try {
            heartbeat();
        } catch (Throwable t) {
            if (!closed) {
                LOG.warn("broker {}: heartbeat failed: {}", config.nodeId(), t.toString());
                long silentNs = options.nanoClock().getAsLong() - lastHeartbeatOkNanos.get();
                if (silentNs > config.brokerSessionTimeoutMs() * 1_000_000L) {
                    view.controllerLost();
                }
            }
        }
    }

    /** Sends one heartbeat (registering first if needed) and publishes the reply. Heartbeat thread only. */
    private void heartbeat() throws IOException {
        if (!registered.get()) {
            register();
        }
        Map<TopicPartition, ReplicaReport> statuses = host.report();
        BrokerHeartbeat.Builder hb = BrokerHeartbeat.newBuilder().setBrokerId(config.nodeId())
                .setIncarnation(incarnation).setKnownAppliedIndex(view.hasControllerState()
                        ? view.image().appliedIndex() : -1);
        statuses.forEach((tp, s) -> hb.addPartitions(ReplicaStatusReport.newBuilder()
                .setTopic(tp.topic()).setPartition(tp.partition())
                .setTopicId(s.topicId()).setLeaderId(s.leaderId()).setLeaderEpoch(s.term())
                .addAllInSyncReplicas(s.inSyncReplicas()).addAllGroupMembers(s.replicas())
                .setLogStartOffset(s.logStartOffset()).setLogEndOffset(s.logEndOffset())
                .setHighWatermark(s.highWatermark()).setSizeBytes(s.sizeInBytes())));
        MetadataQuery q = MetadataQuery.newBuilder().setVersion(CommandApplier.COMMAND_VERSION).setHeartbeat(hb).build();
        RaftClientReply reply = heartbeatClient.io().sendReadOnlyNonLinearizable(message(q.toByteArray()));
        if (!reply.isSuccess()) {
            throw new IOException("heartbeat refused: " + reply.getException());
        }
        HeartbeatReply r = parseQueryReply(reply).getHeartbeat();
        lastHeartbeatOkNanos.set(options.nanoClock().getAsLong());
        if (r.getRegistrationRequired()) {
            registered.set(false);
        }
        MetadataImage img = r.hasState() ? MetadataImage.fromProto(r.getState()) : null;
        view.publish(img, r.getAliveBrokersList(), r.getPartitionsList(), Optional.of(r.getControllerId()));
    }

    private void register() throws IOException {
        BrokerRegistrationRecord b = BrokerRegistrationRecord.newBuilder()
                .setId(config.nodeId()).setHost(config.advertisedHost()).setClientPort(config.clientPort())
                .setRaftAddress(config.raftAddress()).setRack(config.rack()).setIncarnation(incarnation).build();
        MetadataCommandResult result = write(MetadataCommand.newBuilder().setRegisterBroker(RegisterBroker.newBuilder()
                .setBroker(b).setProposedClusterId(UUID.randomUUID().toString())));
        if (result.getError() != io.tributary.proto.internal.v1.MetadataErrorCode.METADATA_ERROR_CODE_UNSPECIFIED) {
            throw new IOException("registration of broker " + config.nodeId() + " refused: " + result.getMessage());
        }
        registered.set(true);
        LOG.info("broker {} registered (incarnation {}) at index {}", config.nodeId(), incarnation,
                result.getAppliedIndex());
    }

    /**
     * Sends a heartbeat now, on the heartbeat thread, so the view includes a change just
     * committed; completes when it is done (or failed: the view then refreshes with the next one).
     */
    CompletableFuture<Void> refreshNow() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            heartbeatExecutor.execute(() -> {
                heartbeatSafely();
                done.complete(null);
            });
        } catch (RuntimeException e) {
            done.complete(null);
        }
        return done;
    }

    // ------------------------------------------------------------------------------------------
    // Commands and queries (admin pool threads)
    // ------------------------------------------------------------------------------------------

    /** Commits a command and returns its result; blocks (admin and heartbeat threads only). */
    MetadataCommandResult write(MetadataCommand.Builder cmd) throws IOException {
        RaftClient c = writeClient;
        if (c == null) {
            throw new IOException("the metadata manager is not started");
        }
        RaftClientReply reply = c.io().send(message(cmd.setVersion(CommandApplier.COMMAND_VERSION).build()
                .toByteArray()));
        if (!reply.isSuccess()) {
            throw new IOException("metadata command failed: " + reply.getException());
        }
        try {
            return MetadataCommandResult.parseFrom(reply.getMessage().getContent().asReadOnlyByteBuffer());
        } catch (InvalidProtocolBufferException e) {
            throw new IOException("unreadable metadata command result: " + e.getMessage(), e);
        }
    }

    /** Asks the controller a read-only question; blocks (admin threads only). */
    MetadataQueryReply query(MetadataQuery.Builder q) throws IOException {
        RaftClient c = writeClient;
        if (c == null) {
            throw new IOException("the metadata manager is not started");
        }
        RaftClientReply reply = c.io().sendReadOnlyNonLinearizable(message(
                q.setVersion(CommandApplier.COMMAND_VERSION).build().toByteArray()));
        if (!reply.isSuccess()) {
            throw new IOException("metadata query failed: " + reply.getException());
        }
        return parseQueryReply(reply);
    }

    ExecutorService adminExecutor() {
        return adminExecutor;
    }

    private static MetadataQueryReply parseQueryReply(RaftClientReply reply) throws IOException {
        try {
            return MetadataQueryReply.parseFrom(reply.getMessage().getContent().asReadOnlyByteBuffer());
        } catch (InvalidProtocolBufferException e) {
            throw new IOException("unreadable metadata query reply: " + e.getMessage(), e);
        }
    }

    private static Message message(byte[] bytes) {
        return Message.valueOf(ByteString.copyFrom(bytes));
    }

    // ------------------------------------------------------------------------------------------
    // Reconciler (every broker)
    // ------------------------------------------------------------------------------------------

    private void triggerReconcile() {
        if (closed || !reconcileScheduled.compareAndSet(false, true)) {
            return;
        }
        try {
            reconcileExecutor.execute(this::reconcileSafely);
        } catch (RuntimeException e) {
            reconcileScheduled.set(false);
        }
    }

    private void reconcileSafely() {
        reconcileScheduled.set(false);
        if (closed || !view.hasControllerState() || reconciler == null) {
            return;
        }
        try {
            PartitionReconciler.Plan plan = reconciler.reconcile(view.current(), true);
            if (!plan.isEmpty()) {
                LOG.debug("broker {} reconciled: {}", config.nodeId(), plan);
            }
        } catch (Throwable t) {
            LOG.warn("broker {}: reconciliation failed (will retry)", config.nodeId(), t);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Controller duties (metadata leader only)
    // ------------------------------------------------------------------------------------------

    private void controlSafely() {
        if (closed || !config.isControllerVoter()) {
            return;
        }
        try {
            maybeSnapshot();
            if (isController() && stateMachine.liveness().isLeader()) {
                replaceDeadReplicas();
            }
        } catch (Throwable t) {
            LOG.warn("broker {}: controller pass failed (will retry)", config.nodeId(), t);
        }
    }

    private void replaceDeadReplicas() {
        MetadataImage img = stateMachine.image();
        BrokerLiveness liveness = stateMachine.liveness();
        Set<Integer> alive = liveness.alive(img.brokers().keySet());
        Set<Integer> replaceable = new java.util.TreeSet<>();
        for (int id : img.brokers().keySet()) {
            if (liveness.silentForMs(id) > config.replicaReplacementTimeoutMs()) {
                replaceable.add(id);
            }
        }
        if (replaceable.isEmpty()) {
            return;
        }
        Map<TopicPartition, List<Integer>> assignments = new HashMap<>();
        Map<TopicPartition, String> topicIds = new HashMap<>();
        for (TopicRecord t : img.topics().values()) {
            for (PartitionAssignmentRecord p : t.getPartitionsList()) {
                TopicPartition tp = new TopicPartition(t.getName(), p.getPartition());
                assignments.put(tp, p.getReplicasList());
                topicIds.put(tp, t.getTopicId());
            }
        }
        Map<TopicPartition, Integer> leaders = new HashMap<>();
        for (PartitionLeadership l : liveness.leadership(img)) {
            leaders.put(new TopicPartition(l.getTopic(), l.getPartition()), l.getLeaderId());
        }
        ReplicaPlacer placer = stateMachine.placer(img);
        for (ReplicaReplacer.Reassignment r : ReplicaReplacer.plan(assignments, replaceable, alive, leaders, placer,
                reassignmentsInFlight)) {
            TopicPartition tp = r.partition();
            reassignmentsInFlight.add(tp);
            LOG.info("controller {}: broker {} silent for {} ms (> {} ms): moving its replica of {} to broker {} ({} -> {})",
                    config.nodeId(), r.gone(), liveness.silentForMs(r.gone()), config.replicaReplacementTimeoutMs(),
                    tp, r.replacement(), r.expectedReplicas(), r.newReplicas());
            ReassignPartition cmd = ReassignPartition.newBuilder().setTopic(tp.topic()).setTopicId(topicIds.get(tp))
                    .setPartition(tp.partition()).addAllExpectedReplicas(r.expectedReplicas())
                    .addAllNewReplicas(r.newReplicas()).build();
            try {
                adminExecutor.execute(() -> {
                    try {
                        MetadataCommandResult res = write(MetadataCommand.newBuilder().setReassignPartition(cmd));
                        if (!res.getMessage().isEmpty()) {
                            LOG.info("reassignment of {} refused: {}", tp, res.getMessage());
                        }
                    } catch (IOException e) {
                        LOG.warn("reassignment of {} failed (will retry): {}", tp, e.toString());
                    } finally {
                        reassignmentsInFlight.remove(tp);
                    }
                });
            } catch (RuntimeException e) {
                reassignmentsInFlight.remove(tp);
            }
        }
    }

    private void maybeSnapshot() throws IOException {
        long applied = stateMachine.image().appliedIndex();
        if (lastSnapshotIndex == 0 && stateMachine.getLatestSnapshot() != null) {
            // After a restart, count from the snapshot the state was loaded from.
            lastSnapshotIndex = stateMachine.getLatestSnapshot().getIndex();
        }
        if (options.snapshotEveryEntries() <= 0 || applied - lastSnapshotIndex < options.snapshotEveryEntries()) {
            return;
        }
        takeSnapshot();
    }

    /** Takes a snapshot of this voter's metadata state now (voters only). */
    public long takeSnapshot() throws IOException {
        RaftServer s = server;
        RaftClientReply reply = s.snapshotManagement(SnapshotManagementRequest.newCreate(ClientId.randomId(),
                s.getId(), MetadataGroup.GROUP_ID, 0, 10_000, 1));
        if (!reply.isSuccess()) {
            throw new IOException("metadata snapshot failed: " + reply.getException());
        }
        lastSnapshotIndex = reply.getLogIndex();
        return reply.getLogIndex();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        heartbeatExecutor.shutdownNow();
        reconcileExecutor.shutdownNow();
        controllerExecutor.shutdownNow();
        adminExecutor.shutdownNow();
        for (RaftClient c : new RaftClient[] {writeClient, heartbeatClient}) {
            if (c != null) {
                try {
                    c.close();
                } catch (IOException e) {
                    LOG.debug("closing a metadata client", e);
                }
            }
        }
    }

    private static ThreadFactory named(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
