package io.tributary.broker.internal;

import io.grpc.stub.StreamObserver;
import io.tributary.proto.v1.AdminServiceGrpc;
import io.tributary.proto.v1.AlterTopicConfigsRequest;
import io.tributary.proto.v1.AlterTopicConfigsResponse;
import io.tributary.proto.v1.AlterTopicConfigsResult;
import io.tributary.proto.v1.ConfigAlteration;
import io.tributary.proto.v1.ConfigEntry;
import io.tributary.proto.v1.ConfigOperation;
import io.tributary.proto.v1.ConfigSource;
import io.tributary.proto.v1.CreatePartitionsRequest;
import io.tributary.proto.v1.CreatePartitionsResponse;
import io.tributary.proto.v1.CreatePartitionsResult;
import io.tributary.proto.v1.CreateTopicResult;
import io.tributary.proto.v1.CreateTopicsRequest;
import io.tributary.proto.v1.CreateTopicsResponse;
import io.tributary.proto.v1.DeleteTopicResult;
import io.tributary.proto.v1.DeleteTopicsRequest;
import io.tributary.proto.v1.DeleteTopicsResponse;
import io.tributary.proto.v1.DescribeTopicsRequest;
import io.tributary.proto.v1.DescribeTopicsResponse;
import io.tributary.proto.v1.ErrorCode;
import io.tributary.proto.v1.ErrorDetail;
import io.tributary.proto.v1.ListOffsetsPartition;
import io.tributary.proto.v1.ListOffsetsRequest;
import io.tributary.proto.v1.ListOffsetsResponse;
import io.tributary.proto.v1.ListOffsetsResult;
import io.tributary.proto.v1.ListTopicsRequest;
import io.tributary.proto.v1.OffsetSpec;
import io.tributary.proto.v1.ListTopicsResponse;
import io.tributary.proto.v1.NewPartitions;
import io.tributary.proto.v1.NewTopic;
import io.tributary.proto.v1.PartitionDescription;
import io.tributary.proto.v1.TopicConfigAlteration;
import io.tributary.proto.v1.TopicDescription;
import io.tributary.proto.v1.TopicListing;
import io.tributary.replication.BrokerInfo;
import io.tributary.replication.ClusterMetadata;
import io.tributary.replication.PartitionInfo;
import io.tributary.replication.PartitionReplica;
import io.tributary.replication.TopicInfo;
import io.tributary.replication.TopicPartition;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * AdminService: validates each topic's request here (name, counts, replication factor against
 * the live brokers, config keys and values) so that refusals are immediate and name what is wrong,
 * then submits it to the metadata quorum through {@link io.tributary.replication.TopicAdmin} and,
 * for creations, waits (on cluster-view changes, not a thread) until every partition has a leader.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class AdminServiceImpl extends AdminServiceGrpc.AdminServiceImplBase {

    static final int DEFAULT_TIMEOUT_MS = 30_000;
    static final int MAX_TIMEOUT_MS = 15 * 60_000;
    /** The most partitions a topic may have. */
    static final int MAX_PARTITIONS = 10_000;

    private final BrokerContext ctx;
    private final PeerClients peers;
    private final int defaultPartitions;
    private final int defaultReplicationFactor;

    public AdminServiceImpl(BrokerContext ctx, PeerClients peers, int defaultPartitions, int defaultReplicationFactor) {
        this.ctx = ctx;
        this.peers = peers;
        this.defaultPartitions = defaultPartitions;
        this.defaultReplicationFactor = defaultReplicationFactor;
    }

    // ------------------------------------------------------------------ CreateTopics

    @Override
    public void createTopics(CreateTopicsRequest request, StreamObserver<CreateTopicsResponse> out) {
        long start = System.nanoTime();
        int timeoutMs;
        try {
            requireItems(request.getTopicsCount(), "topics", "topic to create");
            timeoutMs = timeout(request.getTimeoutMs());
            unique(request.getTopicsList(), NewTopic::getName, "topic");
        } catch (RuntimeException e) {
            fail(out, "CreateTopics", e, start);
            return;
        }
        List<CompletableFuture<CreateTopicResult>> results = new ArrayList<>();
        for (NewTopic t : request.getTopicsList()) {
            results.add(createTopic(t, request.getValidateOnly(), timeoutMs));
        }
        answer(results, out, "CreateTopics", start,
                rs -> CreateTopicsResponse.newBuilder().addAllTopics(rs).build());
    }

    private CompletableFuture<CreateTopicResult> createTopic(NewTopic t, boolean validateOnly, int timeoutMs) {
        CreateTopicResult.Builder r = CreateTopicResult.newBuilder().setName(t.getName());
        try {
            TopicNames.validateNew(t.getName());
            int partitions = t.getPartitionCount() == 0 ? defaultPartitions : t.getPartitionCount();
            if (partitions < 1 || partitions > MAX_PARTITIONS) {
                throw new RequestException(ErrorCode.INVALID_PARTITIONS, "partition_count " + t.getPartitionCount()
                        + " of '" + t.getName() + "' is not valid: use 1.." + MAX_PARTITIONS + " (0 for the default, "
                        + defaultPartitions + ")");
            }
            int rf = t.getReplicationFactor() == 0 ? defaultReplicationFactor : t.getReplicationFactor();
            if (rf < 1) {
                throw new RequestException(ErrorCode.INVALID_REPLICATION_FACTOR, "replication_factor "
                        + t.getReplicationFactor() + " of '" + t.getName() + "' is not valid: use 1 or more (0 for the"
                        + " default, " + defaultReplicationFactor + ")");
            }
            ClusterMetadata md = ctx.metadata();
            long live = md.brokers().values().stream().filter(BrokerInfo::alive).count();
            if (rf > live) {
                throw new RequestException(ErrorCode.INVALID_REPLICATION_FACTOR, "replication factor " + rf + " of '"
                        + t.getName() + "'" + (t.getReplicationFactor() == 0 ? " (the broker default)" : "")
                        + " exceeds the " + live + " live broker" + (live == 1 ? "" : "s") + "; use at most " + live
                        + " or start more brokers");
            }
            if (md.topic(t.getName()).isPresent()) {
                throw new RequestException(ErrorCode.TOPIC_ALREADY_EXISTS, "topic '" + t.getName()
                        + "' already exists");
            }
            ctx.topicConfigs().validate(Map.of(), t.getConfigsMap(), Set.of());
            r.setPartitionCount(partitions).setReplicationFactor(rf);
            return ctx.node().topicAdmin()
                    .createTopic(t.getName(), t.getPartitionCount() == 0 ? -1 : partitions,
                            t.getReplicationFactor() == 0 ? -1 : rf, t.getConfigsMap(), validateOnly)
                    .thenCompose(info -> validateOnly ? CompletableFuture.completedFuture(info)
                            : awaitLeaders(t.getName(), info.topicId(), info.partitions().size(), timeoutMs))
                    .handle((info, err) -> {
                        if (err != null) {
                            return r.setError(error("CreateTopics", err)).build();
                        }
                        if (!validateOnly) {
                            r.setTopicId(info.topicId()).setPartitionCount(info.partitions().size());
                            if (!info.partitions().isEmpty()) {
                                r.setReplicationFactor(info.partitions().get(0).replicas().size());
                            }
                        }
                        return r.build();
                    });
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(r.setError(error("CreateTopics", e)).build());
        }
    }

    /**
     * Completes when the cluster view shows topic {@code name} (with {@code topicId}) with at
     * least {@code partitions} partitions, each with a leader; fails with REQUEST_TIMED_OUT after
     * {@code timeoutMs}.
     */
    private CompletableFuture<TopicInfo> awaitLeaders(String name, String topicId, int partitions, int timeoutMs) {
        CompletableFuture<TopicInfo> f = new CompletableFuture<>();
        Predicate<TopicInfo> ready = t -> t.topicId().equals(topicId) && t.partitions().size() >= partitions
                && t.partitions().stream().allMatch(PartitionInfo::hasLeader);
        Consumer<ClusterMetadata> listener = md -> md.topic(name).filter(ready).ifPresent(f::complete);
        ctx.node().clusterView().addListener(listener);
        listener.accept(ctx.metadata());
        ScheduledFuture<?> timer = ctx.timer().schedule(() -> f.completeExceptionally(new RequestException(
                ErrorCode.REQUEST_TIMED_OUT, "topic '" + name + "' was created but not all of its partitions had a"
                + " leader within " + timeoutMs + " ms; creation goes on: describe the topic to follow it")),
                timeoutMs, TimeUnit.MILLISECONDS);
        f.whenComplete((t, e) -> {
            ctx.node().clusterView().removeListener(listener);
            timer.cancel(false);
        });
        return f;
    }

    // ------------------------------------------------------------------ DeleteTopics

    @Override
    public void deleteTopics(DeleteTopicsRequest request, StreamObserver<DeleteTopicsResponse> out) {
        long start = System.nanoTime();
        int timeoutMs;
        try {
            requireItems(request.getNamesCount(), "names", "topic to delete");
            timeoutMs = timeout(request.getTimeoutMs());
            unique(request.getNamesList(), Function.identity(), "topic");
        } catch (RuntimeException e) {
            fail(out, "DeleteTopics", e, start);
            return;
        }
        List<CompletableFuture<DeleteTopicResult>> results = new ArrayList<>();
        for (String name : request.getNamesList()) {
            DeleteTopicResult.Builder r = DeleteTopicResult.newBuilder().setName(name);
            try {
                TopicNames.validate(name);
                if (TopicNames.isInternal(name)) {
                    throw new RequestException(ErrorCode.POLICY_VIOLATION, "topic '" + name + "' is internal and"
                            + " cannot be deleted");
                }
                ctx.topic(name);
                results.add(ctx.node().topicAdmin().deleteTopic(name).orTimeout(timeoutMs, TimeUnit.MILLISECONDS)
                        .handle((v, err) -> err == null ? r.build() : r.setError(error("DeleteTopics", err)).build()));
            } catch (RuntimeException e) {
                results.add(CompletableFuture.completedFuture(r.setError(error("DeleteTopics", e)).build()));
            }
        }
        answer(results, out, "DeleteTopics", start, rs -> DeleteTopicsResponse.newBuilder().addAllTopics(rs).build());
    }

    // ------------------------------------------------------------------ ListTopics, DescribeTopics

    @Override
    public void listTopics(ListTopicsRequest request, StreamObserver<ListTopicsResponse> out) {
        long start = System.nanoTime();
        ListTopicsResponse.Builder b = ListTopicsResponse.newBuilder();
        new TreeMap<>(ctx.metadata().topics()).values().stream()
                .filter(t -> request.getIncludeInternal() || !TopicNames.isInternal(t.name()))
                .forEach(t -> b.addTopics(TopicListing.newBuilder().setName(t.name()).setTopicId(t.topicId())
                        .setInternal(TopicNames.isInternal(t.name())).setPartitionCount(t.partitions().size())
                        .setReplicationFactor(t.partitions().isEmpty() ? 0 : t.partitions().get(0).replicas().size())));
        out.onNext(b.build());
        out.onCompleted();
        ctx.metrics().request("ListTopics", start);
    }

    @Override
    public void describeTopics(DescribeTopicsRequest request, StreamObserver<DescribeTopicsResponse> out) {
        long start = System.nanoTime();
        try {
            requireItems(request.getNamesCount(), "names", "topic to describe");
        } catch (RuntimeException e) {
            fail(out, "DescribeTopics", e, start);
            return;
        }
        ClusterMetadata md = ctx.metadata();
        List<TopicDescription.Builder> topics = new ArrayList<>();
        // Partitions not hosted here: their offsets come from their leaders, asked in one call per leader.
        Map<Integer, List<PartitionDescription.Builder>> remote = new HashMap<>();
        Map<PartitionDescription.Builder, String> remoteTopic = new IdentityHashMap<>();
        for (String name : request.getNamesList()) {
            TopicDescription.Builder d = TopicDescription.newBuilder().setName(name);
            topics.add(d);
            try {
                TopicNames.validate(name);
                TopicInfo t = md.topic(name).orElseThrow(() -> BrokerContext.unknownTopic(name));
                d.setTopicId(t.topicId()).setInternal(TopicNames.isInternal(name));
                for (PartitionInfo p : t.partitions()) {
                    PartitionDescription.Builder pd = d.addPartitionsBuilder();
                    if (!describeLocally(name, p, pd) && p.hasLeader() && p.leaderId() != ctx.nodeId()
                            && md.broker(p.leaderId()).isPresent()) {
                        remote.computeIfAbsent(p.leaderId(), k -> new ArrayList<>()).add(pd);
                        remoteTopic.put(pd, name);
                    }
                }
                if (request.getIncludeConfigs()) {
                    ctx.topicConfigs().describe(t).forEach((k, v) -> d.addConfigs(ConfigEntry.newBuilder().setName(k)
                            .setValue(v.getKey())
                            .setSource(v.getValue() ? ConfigSource.CONFIG_SOURCE_TOPIC : ConfigSource.CONFIG_SOURCE_DEFAULT)));
                }
            } catch (RuntimeException e) {
                d.setError(error("DescribeTopics", e));
            }
        }
        List<CompletableFuture<Void>> asks = new ArrayList<>();
        synchronized (topics) {
            remote.forEach((leader, parts) -> asks.add(askLeader(md.broker(leader).orElseThrow(), parts, remoteTopic,
                    topics)));
        }
        CompletableFuture.allOf(asks.toArray(new CompletableFuture<?>[0])).whenComplete((v, err) -> {
            DescribeTopicsResponse.Builder b = DescribeTopicsResponse.newBuilder();
            synchronized (topics) {
                topics.forEach(b::addTopics);
            }
            try {
                out.onNext(b.build());
                out.onCompleted();
            } catch (RuntimeException e) {
                // Cancelled by the client meanwhile.
            }
            ctx.metrics().request("DescribeTopics", start);
        });
    }

    /**
     * Placement from the cluster view; offsets from the local replica when this broker hosts one
     * (exact on the leader, possibly a heartbeat behind on a follower).
     *
     * @return whether the offsets were filled in (or failed) here
     */
    private boolean describeLocally(String topic, PartitionInfo p, PartitionDescription.Builder d) {
        d.setPartition(p.partition()).setLeaderId(p.leaderId())
                .setLeaderEpoch((int) Math.max(0, Math.min(Integer.MAX_VALUE, p.leaderEpoch())))
                .addAllReplicaIds(p.replicas()).addAllInSyncReplicaIds(p.inSyncReplicas())
                .setLogStartOffset(-1).setHighWatermark(-1);
        Optional<PartitionReplica> local = ctx.node().replica(new TopicPartition(topic, p.partition()));
        if (local.isPresent()) {
            try {
                PartitionReplica r = local.get();
                if (r.isLeader()) {
                    d.setLeaderId(r.leaderId()).setLeaderEpoch((int) Math.min(Integer.MAX_VALUE, r.leaderEpoch()))
                            .clearInSyncReplicaIds().addAllInSyncReplicaIds(r.inSyncReplicas());
                }
                d.setLogStartOffset(r.logStartOffset()).setHighWatermark(r.highWatermark());
            } catch (RuntimeException e) {
                d.setError(error("DescribeTopics", e));
            }
            return true;
        }
        if (!p.hasLeader()) {
            d.setError(ErrorMapper.detail(ErrorCode.LEADER_NOT_AVAILABLE, "partition " + p.partition() + " of '" + topic
                    + "' has no leader right now"));
            return true;
        }
        return false;
    }

    /** Asks {@code leader} for the log start offsets and high watermarks of {@code parts}. */
    private CompletableFuture<Void> askLeader(BrokerInfo leader, List<PartitionDescription.Builder> parts,
                                              Map<PartitionDescription.Builder, String> topicOf, Object lock) {
        // Builders are not thread-safe: every change to the response's builders holds `lock`.
        ListOffsetsRequest.Builder earliest = ListOffsetsRequest.newBuilder();
        ListOffsetsRequest.Builder latest = ListOffsetsRequest.newBuilder();
        for (PartitionDescription.Builder pd : parts) {
            ListOffsetsPartition.Builder lp = ListOffsetsPartition.newBuilder().setTopic(topicOf.get(pd))
                    .setPartition(pd.getPartition());
            earliest.addPartitions(lp.clone().setSpec(OffsetSpec.OFFSET_SPEC_EARLIEST));
            latest.addPartitions(lp.setSpec(OffsetSpec.OFFSET_SPEC_LATEST));
        }
        CompletableFuture<ListOffsetsResponse> e = peers.listOffsets(leader, earliest.build());
        CompletableFuture<ListOffsetsResponse> l = peers.listOffsets(leader, latest.build());
        return e.thenCombine(l, (er, lr) -> {
            synchronized (lock) {
                for (int i = 0; i < parts.size(); i++) {
                    PartitionDescription.Builder pd = parts.get(i);
                    ListOffsetsResult a = er.getPartitions(i);
                    ListOffsetsResult b = lr.getPartitions(i);
                    if (a.hasError() || b.hasError()) {
                        pd.setError(a.hasError() ? a.getError() : b.getError());
                    } else {
                        pd.setLogStartOffset(a.getOffset()).setHighWatermark(b.getOffset());
                    }
                }
            }
            return (Void) null;
        }).exceptionally(err -> {
            synchronized (lock) {
                for (PartitionDescription.Builder pd : parts) {
                    pd.setError(ErrorMapper.detail(ErrorCode.LEADER_NOT_AVAILABLE, "could not get the offsets of "
                            + topicOf.get(pd) + "-" + pd.getPartition() + " from its leader, broker " + leader.id()
                            + " at " + leader.clientAddress() + "; retry"));
                }
            }
            return null;
        });
    }

    // ------------------------------------------------------------------ AlterTopicConfigs

    @Override
    public void alterTopicConfigs(AlterTopicConfigsRequest request, StreamObserver<AlterTopicConfigsResponse> out) {
        long start = System.nanoTime();
        try {
            requireItems(request.getTopicsCount(), "topics", "topic to change");
            unique(request.getTopicsList(), TopicConfigAlteration::getTopic, "topic");
            for (TopicConfigAlteration t : request.getTopicsList()) {
                if (t.getAlterationsCount() == 0) {
                    throw RequestException.invalidRequest("alterations of topic '" + t.getTopic() + "' is empty: give"
                            + " at least one change");
                }
                unique(t.getAlterationsList(), ConfigAlteration::getName, "config key of topic '" + t.getTopic() + "':");
                for (ConfigAlteration a : t.getAlterationsList()) {
                    if (a.getOperation() != ConfigOperation.CONFIG_OPERATION_SET
                            && a.getOperation() != ConfigOperation.CONFIG_OPERATION_DELETE) {
                        throw RequestException.invalidRequest("operation of config '" + a.getName() + "' of topic '"
                                + t.getTopic() + "' is not set: use CONFIG_OPERATION_SET or CONFIG_OPERATION_DELETE");
                    }
                }
            }
        } catch (RuntimeException e) {
            fail(out, "AlterTopicConfigs", e, start);
            return;
        }
        List<CompletableFuture<AlterTopicConfigsResult>> results = new ArrayList<>();
        for (TopicConfigAlteration t : request.getTopicsList()) {
            AlterTopicConfigsResult.Builder r = AlterTopicConfigsResult.newBuilder().setTopic(t.getTopic());
            try {
                TopicNames.validate(t.getTopic());
                TopicInfo info = ctx.topic(t.getTopic());
                Map<String, String> set = new HashMap<>();
                Set<String> remove = new HashSet<>();
                for (ConfigAlteration a : t.getAlterationsList()) {
                    if (a.getOperation() == ConfigOperation.CONFIG_OPERATION_SET) {
                        set.put(a.getName(), a.getValue());
                    } else {
                        remove.add(a.getName());
                    }
                }
                ctx.topicConfigs().validate(info.configs(), set, remove);
                if (TopicNames.isInternal(t.getTopic())) {
                    TopicConfigs.checkInternalAlteration(t.getTopic(), set, remove);
                }
                if (request.getValidateOnly()) {
                    results.add(CompletableFuture.completedFuture(r.build()));
                } else {
                    results.add(ctx.node().topicAdmin().alterTopicConfig(t.getTopic(), set, remove)
                            .orTimeout(DEFAULT_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                            .handle((v, err) -> err == null ? r.build()
                                    : r.setError(error("AlterTopicConfigs", err)).build()));
                }
            } catch (RuntimeException e) {
                results.add(CompletableFuture.completedFuture(r.setError(error("AlterTopicConfigs", e)).build()));
            }
        }
        answer(results, out, "AlterTopicConfigs", start,
                rs -> AlterTopicConfigsResponse.newBuilder().addAllTopics(rs).build());
    }

    // ------------------------------------------------------------------ CreatePartitions

    @Override
    public void createPartitions(CreatePartitionsRequest request, StreamObserver<CreatePartitionsResponse> out) {
        long start = System.nanoTime();
        int timeoutMs;
        try {
            requireItems(request.getTopicsCount(), "topics", "topic to grow");
            timeoutMs = timeout(request.getTimeoutMs());
            unique(request.getTopicsList(), NewPartitions::getTopic, "topic");
        } catch (RuntimeException e) {
            fail(out, "CreatePartitions", e, start);
            return;
        }
        List<CompletableFuture<CreatePartitionsResult>> results = new ArrayList<>();
        for (NewPartitions np : request.getTopicsList()) {
            CreatePartitionsResult.Builder r = CreatePartitionsResult.newBuilder().setTopic(np.getTopic());
            try {
                TopicNames.validate(np.getTopic());
                if (TopicNames.isInternal(np.getTopic())) {
                    // A group's partition of __consumer_offsets is a hash modulo the partition count.
                    throw new RequestException(ErrorCode.POLICY_VIOLATION, "topic '" + np.getTopic() + "' is internal:"
                            + " its partition count cannot change");
                }
                TopicInfo info = ctx.topic(np.getTopic());
                int current = info.partitions().size();
                if (np.getTotalCount() <= current || np.getTotalCount() > MAX_PARTITIONS) {
                    throw new RequestException(ErrorCode.INVALID_PARTITIONS, "total_count " + np.getTotalCount()
                            + " of '" + np.getTopic() + "' is not valid: the topic has " + current
                            + " partitions; give more than that, at most " + MAX_PARTITIONS);
                }
                if (request.getValidateOnly()) {
                    results.add(CompletableFuture.completedFuture(r.build()));
                    continue;
                }
                results.add(ctx.node().topicAdmin().createPartitions(np.getTopic(), np.getTotalCount())
                        .thenCompose(t -> awaitLeaders(np.getTopic(), t.topicId(), np.getTotalCount(), timeoutMs))
                        .handle((v, err) -> err == null ? r.build()
                                : r.setError(error("CreatePartitions", err)).build()));
            } catch (RuntimeException e) {
                results.add(CompletableFuture.completedFuture(r.setError(error("CreatePartitions", e)).build()));
            }
        }
        answer(results, out, "CreatePartitions", start,
                rs -> CreatePartitionsResponse.newBuilder().addAllTopics(rs).build());
    }

    // ------------------------------------------------------------------ helpers

    private ErrorDetail error(String rpc, Throwable e) {
        ErrorDetail d = ctx.errors().toDetail(e, null);
        ctx.metrics().error(rpc, d.getCode().name());
        return d;
    }

    private <R, T> void answer(List<CompletableFuture<R>> results, StreamObserver<T> out, String rpc, long start,
                               Function<List<R>, T> build) {
        CompletableFuture.allOf(results.toArray(new CompletableFuture<?>[0])).whenComplete((v, err) -> {
            List<R> rs = new ArrayList<>(results.size());
            for (CompletableFuture<R> f : results) {
                rs.add(f.join());
            }
            try {
                out.onNext(build.apply(rs));
                out.onCompleted();
            } catch (RuntimeException e) {
                // Cancelled by the client meanwhile.
            }
            ctx.metrics().request(rpc, start);
        });
    }

    private <T> void fail(StreamObserver<T> out, String rpc, Throwable err, long start) {
        ErrorDetail d = error(rpc, err);
        ctx.metrics().request(rpc, start);
        out.onError(ErrorMapper.toStatus(d));
    }

    private static void requireItems(int count, String field, String what) {
        if (count == 0) {
            throw RequestException.invalidRequest(field + " is empty: name at least one " + what);
        }
    }

    private static int timeout(int timeoutMs) {
        if (timeoutMs < 0 || timeoutMs > MAX_TIMEOUT_MS) {
            throw RequestException.invalidRequest("timeout_ms " + timeoutMs + " is not valid: use 0 (the broker's"
                    + " default, " + DEFAULT_TIMEOUT_MS + ") up to " + MAX_TIMEOUT_MS);
        }
        return timeoutMs == 0 ? DEFAULT_TIMEOUT_MS : timeoutMs;
    }

    private static <T> void unique(List<T> items, Function<T, String> key, String what) {
        Set<String> seen = new HashSet<>();
        for (T item : items) {
            String k = key.apply(item);
            if (!seen.add(k)) {
                throw RequestException.invalidRequest(what + " '" + k + "' appears more than once in the request");
            }
        }
    }
}
