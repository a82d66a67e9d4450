package io.tributary.broker.internal.group;

import io.tributary.broker.internal.BrokerContext;
import io.tributary.broker.internal.ErrorMapper;
import io.tributary.broker.internal.PeerClients;
import io.tributary.broker.internal.RequestException;
import io.tributary.log.LogConfig;
import io.tributary.log.TimestampOffset;
import io.tributary.proto.v1.ErrorCode;
import io.tributary.proto.v1.ErrorDetail;
import io.tributary.proto.v1.ListOffsetsPartition;
import io.tributary.proto.v1.ListOffsetsRequest;
import io.tributary.proto.v1.ListOffsetsResponse;
import io.tributary.proto.v1.ListOffsetsResult;
import io.tributary.proto.v1.OffsetSpec;
import io.tributary.replication.BrokerInfo;
import io.tributary.replication.ClusterMetadata;
import io.tributary.replication.PartitionInfo;
import io.tributary.replication.PartitionReplica;
import io.tributary.replication.TopicException;
import io.tributary.replication.TopicInfo;
import io.tributary.replication.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * This broker's group coordinator: serves the groups of the {@code __consumer_offsets}
 * partitions it leads. A group belongs to partition {@code (hashCode(group_id) & 0x7fffffff) %
 * partitions} (Kafka's rule); that partition's leader is its coordinator.
 *
 * <p>A timer thread ({@code broker-N-group-coordinator}) polls every {@value #TICK_MS} ms:
 * it starts loading a partition when this broker becomes its leader (or its term changes), drops
 * it when leadership is lost, expires members whose session or rebalance timeout ran out,
 * re-targets groups when their subscribed topics change, and every
 * {@code group.offsets.retention.check.interval.ms} deletes the groups that have had no members and
 * no commit for {@code group.offsets.retention.ms} ({@link GroupShard#expireOffsets}). Loading reads the log on a separate
 * thread ({@code broker-N-group-loader}).
 *
 * <p>The internal topic is created on first need (FindCoordinator or a group call) with
 * {@code group.offsets.topic.partitions} partitions, replication factor
 * {@code min(group.offsets.topic.replication.factor, live brokers)}, {@code cleanup.policy=compact}.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class GroupCoordinator implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GroupCoordinator.class);

    public static final String TOPIC = "__consumer_offsets";
    static final long TICK_MS = 100;
    /** Wait this long before reloading a partition whose load or write failed. */
    static final long RELOAD_BACKOFF_MS = 250;
    static final long CREATE_RETRY_MS = 1_000;
    /** A load still unfinished after this is started again. */
    static final long LOAD_TIMEOUT_MS = 60_000;
    static final int SEGMENT_BYTES = 100 * 1024 * 1024;
    public static final int MAX_GROUP_ID_LENGTH = 255;

    private final BrokerContext ctx;
    private final GroupConfig config;
    private final PeerClients peers;
    private final ScheduledExecutorService timer;
    private final ExecutorService loader;
    private final Map<Integer, GroupShard> shards = new ConcurrentHashMap<>();
    private final AtomicBoolean creating = new AtomicBoolean();
    private volatile long lastCreateNs = System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(CREATE_RETRY_MS);
    private long metadataVersion = Long.MIN_VALUE;
    private long lastTickWarningNs = System.nanoTime() - TimeUnit.SECONDS.toNanos(10);
    private volatile boolean closed;

    public GroupCoordinator(BrokerContext ctx, GroupConfig config, PeerClients peers) {
        this.ctx = ctx;
        this.config = config;
        this.peers = peers;
        int id = ctx.nodeId();
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "broker-" + id + "-group-coordinator"));
        this.loader = Executors.newSingleThreadExecutor(r -> daemon(r, "broker-" + id + "-group-loader"));
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    public GroupConfig config() {
        return config;
    }

    public void start() {
        ctx.metrics().groupCounts(this::groupCounts);
        timer.scheduleWithFixedDelay(this::tick, TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        closed = true;
        timer.shutdownNow();
        loader.shutdownNow();
        shards.values().forEach(GroupShard::close);
        shards.clear();
    }

    // ------------------------------------------------------------------ leadership

    private void tick() {
        if (closed) {
            return;
        }
        try {
            ClusterMetadata md = ctx.metadata();
            Optional<TopicInfo> topic = md.topic(TOPIC);
            if (topic.isEmpty()) {
                shards.values().forEach(GroupShard::close);
                shards.clear();
                return;
            }
            GroupShard.TopicCounts counts = counts(md);
            boolean metadataChanged = md.version() != metadataVersion;
            metadataVersion = md.version();
            int n = topic.get().partitions().size();
            for (int p = 0; p < n; p++) {
                tick(p, counts, metadataChanged);
            }
            shards.keySet().removeIf(p -> p >= n);
        } catch (RuntimeException e) {
            long now = System.nanoTime();
            if (now - lastTickWarningNs > TimeUnit.SECONDS.toNanos(10)) {
                lastTickWarningNs = now;
                LOG.warn("group coordinator tick failed (logged at most every 10 s)", e);
            }
        }
    }

    private void tick(int p, GroupShard.TopicCounts counts, boolean metadataChanged) {
        Optional<PartitionReplica> replica = ctx.node().replica(new TopicPartition(TOPIC, p));
        GroupShard s = shards.get(p);
        boolean leader;
        long epoch = -1;
        try {
            leader = replica.isPresent() && replica.get().isLeader();
            if (leader) {
                epoch = replica.get().leaderEpoch();
            }
        } catch (RuntimeException e) {
            leader = false; // closing replica
        }
        if (!leader) {
            if (s != null) {
                LOG.info("broker {} no longer coordinates the groups of {}-{}", ctx.nodeId(), TOPIC, p);
                s.close();
                shards.remove(p);
            }
            return;
        }
        long inState = s == null ? 0 : System.nanoTime() - s.stateSinceNs();
        boolean reload = s == null || s.replica != replica.get() || s.leaderEpoch != epoch
                || (s.state() == GroupShard.State.FAILED && inState > TimeUnit.MILLISECONDS.toNanos(RELOAD_BACKOFF_MS))
                || (s.state() == GroupShard.State.LOADING && inState > TimeUnit.MILLISECONDS.toNanos(LOAD_TIMEOUT_MS));
        if (reload) {
            if (s != null) {
                s.close();
            }
            GroupShard fresh = new GroupShard(p, replica.get(), epoch, config, ctx.nodeId(), ctx.metrics());
            shards.put(p, fresh);
            load(fresh);
        } else if (s.state() == GroupShard.State.ACTIVE) {
            s.expireMembers(counts);
            if (metadataChanged) {
                s.refreshTopics(counts);
            }
            long now = System.nanoTime();
            if (now - s.retentionCheckedNs >= TimeUnit.MILLISECONDS.toNanos(config.offsetsRetentionCheckIntervalMs())) {
                s.retentionCheckedNs = now;
                ctx.metrics().groupsExpired(s.expireOffsets(System.currentTimeMillis(), config.offsetsRetentionMs()));
            }
        }
    }

    private void load(GroupShard s) {
        LOG.info("broker {} becomes the coordinator of the groups of {}-{} (term {}): loading", ctx.nodeId(), TOPIC,
                s.partition, s.leaderEpoch);
        long start = System.nanoTime();
        CompletableFuture<Long> marker;
        try {
            marker = s.appendMarker();
        } catch (RuntimeException e) {
            marker = CompletableFuture.failedFuture(e);
        }
        marker.whenComplete((upTo, err) -> {
            if (err != null) {
                // A leader elected a moment ago refuses appends until it has committed in its term.
                s.fail(err, !(unwrap(err) instanceof io.tributary.replication.NotLeaderException));
                ctx.metrics().coordinatorLoad(System.nanoTime() - start, false);
                return;
            }
            try {
                loader.execute(() -> {
                    try {
                        if (s.state() != GroupShard.State.LOADING) {
                            return;
                        }
                        Map<String, Group> groups = s.replay(upTo, config.assignor());
                        if (s.activate(groups, counts(ctx.metadata()))) {
                            ctx.metrics().coordinatorLoad(System.nanoTime() - start, true);
                            LOG.info("broker {} coordinates the groups of {}-{}: {} groups loaded in {} ms",
                                    ctx.nodeId(), TOPIC, s.partition, groups.size(),
                                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
                        }
                    } catch (RuntimeException e) {
                        LOG.error("loading the groups of {}-{} failed; retrying", TOPIC, s.partition, e);
                        ctx.metrics().coordinatorLoad(System.nanoTime() - start, false);
                        s.fail(e);
                    }
                });
            } catch (RuntimeException e) {
                s.fail(e); // shutting down
            }
        });
    }

    /** The groups and members this broker coordinates now, by state (for the metrics' gauges). */
    private io.tributary.broker.internal.BrokerMetrics.GroupCounts groupCounts() {
        Map<String, Integer> groups = new java.util.TreeMap<>();
        Map<String, Integer> members = new java.util.TreeMap<>();
        for (String state : List.of("empty", "stable", "reconciling")) {
            groups.put(state, 0);
        }
        members.put("stable", 0);
        members.put("reconciling", 0);
        shards.values().forEach(s -> s.count(groups, members));
        return new io.tributary.broker.internal.BrokerMetrics.GroupCounts(groups, members);
    }

    static GroupShard.TopicCounts counts(ClusterMetadata md) {
        return t -> md.topic(t).map(x -> x.partitions().size()).orElse(null);
    }

    /** The topic partition counts of the current metadata. */
    GroupShard.TopicCounts counts() {
        return counts(ctx.metadata());
    }

    // ------------------------------------------------------------------ routing

    /** The {@code __consumer_offsets} partition of a group. */
    public static int partitionFor(String groupId, int partitions) {
        return (groupId.hashCode() & 0x7fffffff) % partitions;
    }

    /**
     * @throws RequestException INVALID_REQUEST for an empty or too long group id
     */
    public static void validateGroupId(String groupId, String field) {
        if (groupId.isEmpty()) {
            throw RequestException.invalidRequest(field + " is empty: give the group id (1.." + MAX_GROUP_ID_LENGTH
                    + " characters)");
        }
        if (groupId.length() > MAX_GROUP_ID_LENGTH) {
            throw RequestException.invalidRequest(field + " '" + groupId.substring(0, 20) + "...' is "
                    + groupId.length() + " characters long: at most " + MAX_GROUP_ID_LENGTH + " are allowed");
        }
    }

    /**
     * The shard that coordinates {@code groupId} here.
     *
     * @throws RequestException NOT_COORDINATOR (with the coordinator when known),
     *     COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS
     */
    GroupShard shardFor(String groupId) {
        ClusterMetadata md = ctx.metadata();
        Optional<TopicInfo> topic = md.topic(TOPIC);
        if (topic.isEmpty()) {
            ensureTopic();
            throw new RequestException(ErrorCode.COORDINATOR_NOT_AVAILABLE, "the internal topic " + TOPIC
                    + " is being created; retry FindCoordinator shortly");
        }
        int p = partitionFor(groupId, topic.get().partitions().size());
        GroupShard s = shards.get(p);
        if (s != null) {
            GroupShard.State st = s.state();
            if (st == GroupShard.State.ACTIVE) {
                return s;
            }
            if (st != GroupShard.State.CLOSED) {
                throw loadInProgress(groupId, p);
            }
        }
        int leader = leaderOf(md, p);
        if (leader == ctx.nodeId()) {
            throw loadInProgress(groupId, p);
        }
        Optional<BrokerInfo> b = leader < 0 ? Optional.empty() : md.broker(leader);
        if (b.isEmpty()) {
            throw coordinatorNotAvailable(groupId, p);
        }
        return throwNotCoordinator(groupId, b.get());
    }

    private GroupShard throwNotCoordinator(String groupId, BrokerInfo b) {
        throw new RequestException(ErrorDetail.newBuilder().setCode(ErrorCode.NOT_COORDINATOR).setRetriable(true)
                .setMessage("broker " + ctx.nodeId() + " is not the coordinator of group '" + groupId
                        + "'; it is broker " + b.id() + " at " + b.clientAddress())
                .setLeader(ErrorMapper.toProto(b)).build());
    }

    private RequestException loadInProgress(String groupId, int p) {
        return new RequestException(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, "broker " + ctx.nodeId()
                + " has just become the coordinator of group '" + groupId + "' and is loading its state from "
                + TOPIC + "-" + p + "; retry after a short backoff");
    }

    private static RequestException coordinatorNotAvailable(String groupId, int p) {
        return new RequestException(ErrorCode.COORDINATOR_NOT_AVAILABLE, "group '" + groupId + "' has no coordinator"
                + " right now (" + TOPIC + "-" + p + " has no leader); find the coordinator again after a backoff");
    }

    /** The leader of partition {@code p} of the internal topic: the local replica's view when fresher. */
    private int leaderOf(ClusterMetadata md, int p) {
        TopicPartition tp = new TopicPartition(TOPIC, p);
        Optional<PartitionInfo> info = md.partition(tp);
        int leader = info.map(PartitionInfo::leaderId).orElse(-1);
        long epoch = info.map(PartitionInfo::leaderEpoch).orElse(-1L);
        Optional<PartitionReplica> local = ctx.node().replica(tp);
        if (local.isPresent()) {
            try {
                PartitionReplica r = local.get();
                if (r.leaderId() >= 0 && r.leaderEpoch() >= epoch) {
                    leader = r.leaderId();
                }
            } catch (RuntimeException e) {
                // closing: keep the metadata's answer
            }
        }
        return leader;
    }

    /**
     * The coordinator of {@code groupId} for FindCoordinator.
     *
     * @throws RequestException COORDINATOR_NOT_AVAILABLE
     */
    public io.tributary.proto.v1.Broker findCoordinator(String groupId) {
        ClusterMetadata md = ctx.metadata();
        Optional<TopicInfo> topic = md.topic(TOPIC);
        if (topic.isEmpty()) {
            ensureTopic();
            throw new RequestException(ErrorCode.COORDINATOR_NOT_AVAILABLE, "the internal topic " + TOPIC
                    + " is being created; retry FindCoordinator shortly");
        }
        int p = partitionFor(groupId, topic.get().partitions().size());
        int leader = leaderOf(md, p);
        Optional<BrokerInfo> b = leader < 0 ? Optional.empty() : md.broker(leader);
        if (b.isEmpty()) {
            throw coordinatorNotAvailable(groupId, p);
        }
        return ErrorMapper.toProto(b.get());
    }

    /** Creates the internal topic unless it exists or a creation is under way (at most once a second). */
    void ensureTopic() {
        if (closed || ctx.metadata().topic(TOPIC).isPresent()
                || System.nanoTime() - lastCreateNs < TimeUnit.MILLISECONDS.toNanos(CREATE_RETRY_MS)
                || !creating.compareAndSet(false, true)) {
            return;
        }
        lastCreateNs = System.nanoTime();
        long live = ctx.metadata().brokers().values().stream().filter(BrokerInfo::alive).count();
        int rf = (int) Math.max(1, Math.min(config.offsetsTopicReplicationFactor(), live));
        LOG.info("creating the internal topic {} ({} partitions, replication factor {})", TOPIC,
                config.offsetsTopicPartitions(), rf);
        Map<String, String> configs = Map.of(LogConfig.CLEANUP_POLICY, "compact",
                LogConfig.SEGMENT_BYTES, Integer.toString(SEGMENT_BYTES));
        CompletableFuture<TopicInfo> f;
        try {
            f = ctx.node().topicAdmin().createTopic(TOPIC, config.offsetsTopicPartitions(), rf, configs, false);
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        f.whenComplete((info, err) -> {
            creating.set(false);
            if (err == null) {
                LOG.info("created the internal topic {}", TOPIC);
            } else if (unwrap(err) instanceof TopicException te
                    && te.reason() == TopicException.Reason.TOPIC_ALREADY_EXISTS) {
                LOG.debug("{} already exists", TOPIC);
            } else {
                LOG.warn("creating the internal topic {} failed (retried on the next group call): {}", TOPIC,
                        err.toString());
            }
        });
    }

    static Throwable unwrap(Throwable t) {
        Throwable cur = t;
        while ((cur instanceof java.util.concurrent.CompletionException
                || cur instanceof java.util.concurrent.ExecutionException) && cur.getCause() != null) {
            cur = cur.getCause();
        }
        return cur;
    }

    /** Groups of every partition this broker coordinates now. */
    List<io.tributary.proto.v1.GroupListing> listGroups() {
        List<io.tributary.proto.v1.GroupListing> out = new ArrayList<>();
        shards.values().forEach(s -> out.addAll(s.list()));
        return out;
    }

    /**
     * The detail for a failure of a group call: a lost leadership of the group's partition is
     * NOT_COORDINATOR, no leader is COORDINATOR_NOT_AVAILABLE.
     */
    ErrorDetail toDetail(Throwable err) {
        ErrorDetail d = ctx.errors().toDetail(err, null);
        if (d.getCode() == ErrorCode.NOT_LEADER) {
            return d.toBuilder().setCode(ErrorCode.NOT_COORDINATOR).setMessage("broker " + ctx.nodeId()
                    + " is no longer the group's coordinator; find the coordinator again").build();
        }
        if (d.getCode() == ErrorCode.LEADER_NOT_AVAILABLE) {
            return d.toBuilder().setCode(ErrorCode.COORDINATOR_NOT_AVAILABLE).setMessage("the group's coordinator is"
                    + " not available right now (" + d.getMessage() + "); find the coordinator again after a backoff")
                    .build();
        }
        return d;
    }

    // ------------------------------------------------------------------ partition offsets

    /** A partition's offsets from its leader: log start, high watermark, and the offset at a time (-1: none). */
    record PartitionOffsets(long logStartOffset, long highWatermark, long offsetAtTime, ErrorDetail error) {
        static PartitionOffsets failed(ErrorDetail e) {
            return new PartitionOffsets(-1, -1, -1, e);
        }
    }

    /**
     * The offsets of each partition: from the local replica when this broker leads it, else from
     * its leader (ListOffsets); a per-partition error when unavailable.
     *
     * @param timestampMs the time to look up, or null
     */
    CompletableFuture<Map<TopicPartition, PartitionOffsets>> partitionOffsets(Collection<TopicPartition> tps,
                                                                              Long timestampMs) {
        ClusterMetadata md = ctx.metadata();
        Map<TopicPartition, PartitionOffsets> out = new ConcurrentHashMap<>();
        Map<Integer, List<TopicPartition>> remote = new HashMap<>();
        for (TopicPartition tp : tps) {
            Optional<PartitionInfo> info = md.partition(tp);
            if (info.isEmpty()) {
                out.put(tp, PartitionOffsets.failed(ErrorMapper.detail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, tp
                        + " does not exist")));
                continue;
            }
            Optional<PartitionReplica> local = ctx.node().replica(tp);
            try {
                if (local.isPresent() && local.get().isLeader()) {
                    PartitionReplica r = local.get();
                    long at = -1;
                    if (timestampMs != null) {
                        at = r.offsetForTimestamp(timestampMs).map(TimestampOffset::offset).orElse(-1L);
                    }
                    out.put(tp, new PartitionOffsets(r.logStartOffset(), r.highWatermark(), at, null));
                    continue;
                }
            } catch (RuntimeException e) {
                out.put(tp, PartitionOffsets.failed(ctx.errors().toDetail(e, tp)));
                continue;
            }
            int leader = info.get().leaderId();
            if (leader < 0 || leader == ctx.nodeId() || md.broker(leader).isEmpty()) {
                out.put(tp, PartitionOffsets.failed(ErrorMapper.detail(ErrorCode.LEADER_NOT_AVAILABLE, tp
                        + " has no leader right now; its end offset is unknown")));
                continue;
            }
            remote.computeIfAbsent(leader, k -> new ArrayList<>()).add(tp);
        }
        List<CompletableFuture<Void>> asks = new ArrayList<>();
        remote.forEach((leader, parts) -> asks.add(ask(md.broker(leader).get(), parts, timestampMs, out)));
        return CompletableFuture.allOf(asks.toArray(new CompletableFuture<?>[0])).thenApply(v -> out);
    }

    private CompletableFuture<Void> ask(BrokerInfo leader, List<TopicPartition> parts, Long timestampMs,
                                        Map<TopicPartition, PartitionOffsets> out) {
        List<CompletableFuture<ListOffsetsResponse>> calls = new ArrayList<>();
        for (OffsetSpec spec : timestampMs == null ? List.of(OffsetSpec.OFFSET_SPEC_EARLIEST,
                OffsetSpec.OFFSET_SPEC_LATEST) : List.of(OffsetSpec.OFFSET_SPEC_EARLIEST, OffsetSpec.OFFSET_SPEC_LATEST,
                OffsetSpec.OFFSET_SPEC_TIMESTAMP)) {
            ListOffsetsRequest.Builder b = ListOffsetsRequest.newBuilder();
            for (TopicPartition tp : parts) {
                b.addPartitions(ListOffsetsPartition.newBuilder().setTopic(tp.topic()).setPartition(tp.partition())
                        .setSpec(spec).setTimestampMs(timestampMs == null ? 0 : timestampMs));
            }
            calls.add(peers.listOffsets(leader, b.build()));
        }
        return CompletableFuture.allOf(calls.toArray(new CompletableFuture<?>[0])).handle((v, err) -> {
            for (int i = 0; i < parts.size(); i++) {
                TopicPartition tp = parts.get(i);
                if (err != null) {
                    out.put(tp, PartitionOffsets.failed(ErrorMapper.detail(ErrorCode.LEADER_NOT_AVAILABLE,
                            "could not get the offsets of " + tp + " from its leader, broker " + leader.id() + " at "
                                    + leader.clientAddress() + "; retry")));
                    continue;
                }
                ListOffsetsResult e = calls.get(0).join().getPartitions(i);
                ListOffsetsResult l = calls.get(1).join().getPartitions(i);
                ListOffsetsResult t = calls.size() > 2 ? calls.get(2).join().getPartitions(i) : null;
                ErrorDetail failed = e.hasError() ? e.getError() : l.hasError() ? l.getError()
                        : t != null && t.hasError() ? t.getError() : null;
                out.put(tp, failed != null ? PartitionOffsets.failed(failed)
                        : new PartitionOffsets(e.getOffset(), l.getOffset(), t == null ? -1 : t.getOffset(), null));
            }
            return null;
        });
    }
}
