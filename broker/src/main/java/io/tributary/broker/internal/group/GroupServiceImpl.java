package io.tributary.broker.internal.group;

import io.grpc.stub.StreamObserver;
import io.tributary.broker.internal.BrokerContext;
import io.tributary.broker.internal.ErrorMapper;
import io.tributary.broker.internal.RequestException;
import io.tributary.broker.internal.TopicNames;
import io.tributary.broker.internal.group.GroupCoordinator.PartitionOffsets;
import io.tributary.broker.internal.group.GroupRecordFormat.OffsetValue;
import io.tributary.proto.v1.CommittedOffset;
import io.tributary.proto.v1.DeleteGroupResult;
import io.tributary.proto.v1.DeleteGroupsRequest;
import io.tributary.proto.v1.DeleteGroupsResponse;
import io.tributary.proto.v1.DescribeGroupsRequest;
import io.tributary.proto.v1.DescribeGroupsResponse;
import io.tributary.proto.v1.ErrorCode;
import io.tributary.proto.v1.ErrorDetail;
import io.tributary.proto.v1.GroupDescription;
import io.tributary.proto.v1.GroupServiceGrpc;
import io.tributary.proto.v1.HeartbeatRequest;
import io.tributary.proto.v1.HeartbeatResponse;
import io.tributary.proto.v1.JoinGroupRequest;
import io.tributary.proto.v1.JoinGroupResponse;
import io.tributary.proto.v1.LeaveGroupRequest;
import io.tributary.proto.v1.LeaveGroupResponse;
import io.tributary.proto.v1.ListGroupsRequest;
import io.tributary.proto.v1.ListGroupsResponse;
import io.tributary.proto.v1.OffsetCommitPartition;
import io.tributary.proto.v1.OffsetCommitRequest;
import io.tributary.proto.v1.OffsetCommitResponse;
import io.tributary.proto.v1.OffsetCommitResult;
import io.tributary.proto.v1.OffsetFetchRequest;
import io.tributary.proto.v1.OffsetFetchResponse;
import io.tributary.proto.v1.PartitionLag;
import io.tributary.proto.v1.ResetOffsetResult;
import io.tributary.proto.v1.ResetOffsetsRequest;
import io.tributary.proto.v1.ResetOffsetsResponse;
import io.tributary.replication.TopicInfo;
import io.tributary.replication.TopicPartition;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * GroupService (group.proto): validates each request here, so bad input is refused at once with
 * INVALID_REQUEST naming the field, then hands it to the {@link GroupCoordinator} shard of the
 * group. Answers come from callbacks once __consumer_offsets has committed what they reveal;
 * no handler thread waits.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class GroupServiceImpl extends GroupServiceGrpc.GroupServiceImplBase {

    private final BrokerContext ctx;
    private final GroupCoordinator coordinator;
    private final GroupConfig config;

    public GroupServiceImpl(BrokerContext ctx, GroupCoordinator coordinator) {
        this.ctx = ctx;
        this.coordinator = coordinator;
        this.config = coordinator.config();
    }

    // ------------------------------------------------------------------ membership

    @Override
    public void joinGroup(JoinGroupRequest request, StreamObserver<JoinGroupResponse> out) {
        serve("JoinGroup", out, () -> {
            CompletableFuture<JoinGroupResponse> f;
            GroupCoordinator.validateGroupId(request.getGroupId(), "group_id");
            requireMemberId(request.getMemberId());
            if (request.getTopicsCount() == 0) {
                throw RequestException.invalidRequest("topics is empty: subscribe to at least one topic");
            }
            Set<String> topics = new TreeSet<>();
            for (String t : request.getTopicsList()) {
                validateTopic(t, "topics");
                topics.add(t);
            }
            int session = request.getSessionTimeoutMs() == 0 ? config.sessionTimeoutMs()
                    : request.getSessionTimeoutMs();
            if (session < config.minSessionTimeoutMs() || session > config.maxSessionTimeoutMs()) {
                throw RequestException.invalidRequest("session_timeout_ms " + request.getSessionTimeoutMs()
                        + " is outside the range this broker allows, " + config.minSessionTimeoutMs() + ".."
                        + config.maxSessionTimeoutMs() + " ms (0 for the default, " + config.sessionTimeoutMs()
                        + " ms)");
            }
            if (request.getRebalanceTimeoutMs() < 0) {
                throw RequestException.invalidRequest("rebalance_timeout_ms " + request.getRebalanceTimeoutMs()
                        + " is negative (0 for the default, " + config.rebalanceTimeoutMs() + " ms)");
            }
            int rebalance = request.getRebalanceTimeoutMs() == 0 ? config.rebalanceTimeoutMs()
                    : request.getRebalanceTimeoutMs();
            String assignor = request.getAssignor();
            if (!assignor.isEmpty() && Assignors.byName(assignor) == null) {
                throw RequestException.invalidRequest("assignor '" + assignor + "' is not known: use one of "
                        + Assignors.NAMES + " (empty for the broker default, " + config.assignor() + ")");
            }
            if (request.getClientId().length() > 1024) {
                throw RequestException.invalidRequest("client_id is " + request.getClientId().length()
                        + " characters long: at most 1024 are allowed");
            }
            GroupShard shard = coordinator.shardFor(request.getGroupId());
            f = shard.join(new GroupShard.Join(request.getGroupId(), request.getMemberId(), request.getClientId(),
                    ClientAddressInterceptor.clientHost(), topics, session, rebalance, assignor),
                    coordinator.counts()).thenApply(a -> JoinGroupResponse.newBuilder().setMemberId(a.memberId())
                    .setGeneration(a.generation()).setHeartbeatIntervalMs(a.heartbeatIntervalMs())
                    .setAssignment(a.assignment()).build());
            return f;
        });
    }

    @Override
    public void heartbeat(HeartbeatRequest request, StreamObserver<HeartbeatResponse> out) {
        serve("Heartbeat", out, () -> {
            CompletableFuture<HeartbeatResponse> f;
            GroupCoordinator.validateGroupId(request.getGroupId(), "group_id");
            requireMemberId(request.getMemberId());
            if (request.getGeneration() < 0) {
                throw RequestException.invalidRequest("generation " + request.getGeneration() + " is negative");
            }
            List<TopicPartition> owned = new ArrayList<>();
            unique(request.getOwnedList(), p -> new TopicPartition(p.getTopic(), Math.max(0, p.getPartition())),
                    "owned");
            for (io.tributary.proto.v1.TopicPartition p : request.getOwnedList()) {
                owned.add(partition(p.getTopic(), p.getPartition(), "owned"));
            }
            GroupShard shard = coordinator.shardFor(request.getGroupId());
            f = shard.heartbeat(request.getGroupId(), request.getMemberId(), request.getGeneration(), owned,
                    coordinator.counts()).thenApply(a -> HeartbeatResponse.newBuilder()
                    .setGeneration(a.generation()).setHeartbeatIntervalMs(a.heartbeatIntervalMs())
                    .setAssignment(a.assignment()).build());
            return f;
        });
    }

    @Override
    public void leaveGroup(LeaveGroupRequest request, StreamObserver<LeaveGroupResponse> out) {
        serve("LeaveGroup", out, () -> {
            CompletableFuture<LeaveGroupResponse> f;
            GroupCoordinator.validateGroupId(request.getGroupId(), "group_id");
            requireMemberId(request.getMemberId());
            GroupShard shard = coordinator.shardFor(request.getGroupId());
            f = shard.leave(request.getGroupId(), request.getMemberId(), request.getReason(), coordinator.counts())
                    .thenApply(v -> LeaveGroupResponse.getDefaultInstance());
            return f;
        });
    }

    // ------------------------------------------------------------------ offsets

    @Override
    public void offsetCommit(OffsetCommitRequest request, StreamObserver<OffsetCommitResponse> out) {
        serve("OffsetCommit", out, () -> {
            CompletableFuture<OffsetCommitResponse> f;
            GroupCoordinator.validateGroupId(request.getGroupId(), "group_id");
            if (request.getPartitionsCount() == 0) {
                throw RequestException.invalidRequest("partitions is empty: commit at least one partition");
            }
            unique(request.getPartitionsList(), p -> p.getTopic() + "\u0000" + p.getPartition(), "partitions");
            List<GroupShard.CommitItem> items = new ArrayList<>();
            for (OffsetCommitPartition p : request.getPartitionsList()) {
                TopicPartition tp = partition(p.getTopic(), p.getPartition(), "partitions");
                if (p.getOffset() < 0) {
                    throw RequestException.invalidRequest("offset " + p.getOffset() + " of " + tp + " is negative:"
                            + " commit the next offset to consume (>= 0)");
                }
                int bytes = p.getMetadata().getBytes(StandardCharsets.UTF_8).length;
                if (bytes > config.offsetMetadataMaxBytes()) {
                    throw RequestException.invalidRequest("metadata of " + tp + " is " + bytes + " bytes: at most "
                            + config.offsetMetadataMaxBytes() + " are allowed (group.offset.metadata.max.bytes)");
                }
                GroupShard.CommitItem item = new GroupShard.CommitItem(tp, p.getOffset(), p.getMetadata());
                if (request.getMemberId().isEmpty()) {
                    Optional<TopicInfo> t = ctx.metadata().topic(tp.topic());
                    if (t.isEmpty() || tp.partition() >= t.get().partitions().size()) {
                        item.error = new RequestException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, tp
                                + " does not exist");
                    }
                }
                items.add(item);
            }
            GroupShard shard = coordinator.shardFor(request.getGroupId());
            f = shard.commit(request.getGroupId(), request.getMemberId(), request.getGeneration(), items)
                    .thenApply(v -> {
                        OffsetCommitResponse.Builder b = OffsetCommitResponse.newBuilder();
                        for (GroupShard.CommitItem i : items) {
                            OffsetCommitResult.Builder r = OffsetCommitResult.newBuilder().setTopic(i.tp.topic())
                                    .setPartition(i.tp.partition());
                            if (i.error != null) {
                                r.setError(i.error.detail());
                            }
                            b.addPartitions(r);
                        }
                        return b.build();
                    });
            return f;
        });
    }

    @Override
    public void offsetFetch(OffsetFetchRequest request, StreamObserver<OffsetFetchResponse> out) {
        serve("OffsetFetch", out, () -> {
            CompletableFuture<OffsetFetchResponse> f;
            GroupCoordinator.validateGroupId(request.getGroupId(), "group_id");
            unique(request.getPartitionsList(), p -> p.getTopic() + "\u0000" + p.getPartition(), "partitions");
            List<TopicPartition> wanted = new ArrayList<>();
            for (io.tributary.proto.v1.TopicPartition p : request.getPartitionsList()) {
                wanted.add(partition(p.getTopic(), p.getPartition(), "partitions"));
            }
            GroupShard shard = coordinator.shardFor(request.getGroupId());
            f = shard.committed(request.getGroupId(), wanted).thenApply(committed -> {
                OffsetFetchResponse.Builder b = OffsetFetchResponse.newBuilder();
                for (TopicPartition tp : wanted.isEmpty() ? committed.keySet() : wanted) {
                    OffsetValue v = committed.get(tp);
                    b.addPartitions(CommittedOffset.newBuilder().setTopic(tp.topic()).setPartition(tp.partition())
                            .setOffset(v == null ? -1 : v.offset()).setMetadata(v == null ? "" : v.metadata())
                            .setCommitTimestampMs(v == null ? -1 : v.commitTimestampMs()));
                }
                return b.build();
            });
            return f;
        });
    }

    // ------------------------------------------------------------------ administration

    @Override
    public void listGroups(ListGroupsRequest request, StreamObserver<ListGroupsResponse> out) {
        long start = System.nanoTime();
        List<io.tributary.proto.v1.GroupListing> groups = new ArrayList<>(coordinator.listGroups());
        groups.sort((a, b) -> a.getGroupId().compareTo(b.getGroupId()));
        reply(CompletableFuture.completedFuture(ListGroupsResponse.newBuilder().addAllGroups(groups).build()), out,
                "ListGroups", start);
    }

    @Override
    public void describeGroups(DescribeGroupsRequest request, StreamObserver<DescribeGroupsResponse> out) {
        serve("DescribeGroups", out, () -> {
            CompletableFuture<DescribeGroupsResponse> f;
            requireGroups(request.getGroupIdsList());
            List<CompletableFuture<GroupDescription>> results = new ArrayList<>();
            for (String id : request.getGroupIdsList()) {
                results.add(describe(id));
            }
            f = CompletableFuture.allOf(results.toArray(new CompletableFuture<?>[0])).thenApply(v -> {
                DescribeGroupsResponse.Builder b = DescribeGroupsResponse.newBuilder();
                results.forEach(r -> b.addGroups(r.join()));
                return b.build();
            });
            return f;
        });
    }

    private CompletableFuture<GroupDescription> describe(String groupId) {
        GroupDescription.Builder d = GroupDescription.newBuilder().setGroupId(groupId);
        try {
            GroupShard shard = coordinator.shardFor(groupId);
            return shard.describe(groupId).thenCompose(desc -> {
                if (desc == null) {
                    return CompletableFuture.completedFuture(d.setError(ErrorMapper.detail(ErrorCode.GROUP_ID_NOT_FOUND,
                            "group '" + groupId + "' does not exist")).build());
                }
                d.setState(desc.state()).setGroupEpoch(desc.epoch()).setAssignor(desc.assignor())
                        .addAllMembers(desc.members());
                Set<TopicPartition> parts = new TreeSet<>(desc.offsets().keySet());
                parts.addAll(desc.owners().keySet());
                return coordinator.partitionOffsets(parts, null).thenApply(ends -> {
                    for (TopicPartition tp : parts) {
                        OffsetValue c = desc.offsets().get(tp);
                        PartitionOffsets e = ends.get(tp);
                        long committed = c == null ? -1 : c.offset();
                        PartitionLag.Builder l = PartitionLag.newBuilder().setTopic(tp.topic())
                                .setPartition(tp.partition()).setCommittedOffset(committed)
                                .setOwnerMemberId(desc.owners().getOrDefault(tp, ""));
                        if (e == null || e.error() != null) {
                            l.setEndOffset(-1).setLag(-1);
                            if (e != null) {
                                l.setError(e.error());
                            }
                        } else {
                            long from = committed >= 0 ? committed : e.logStartOffset();
                            l.setEndOffset(e.highWatermark()).setLag(Math.max(0, e.highWatermark() - from));
                        }
                        d.addOffsets(l);
                    }
                    return d.build();
                });
            }).exceptionally(err -> GroupDescription.newBuilder().setGroupId(groupId)
                    .setError(coordinator.toDetail(err)).build());
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(d.setError(coordinator.toDetail(e)).build());
        }
    }

    @Override
    public void deleteGroups(DeleteGroupsRequest request, StreamObserver<DeleteGroupsResponse> out) {
        serve("DeleteGroups", out, () -> {
            CompletableFuture<DeleteGroupsResponse> f;
            requireGroups(request.getGroupIdsList());
            List<CompletableFuture<DeleteGroupResult>> results = new ArrayList<>();
            for (String id : request.getGroupIdsList()) {
                DeleteGroupResult.Builder r = DeleteGroupResult.newBuilder().setGroupId(id);
                CompletableFuture<Void> del;
                try {
                    del = coordinator.shardFor(id).delete(id);
                } catch (RuntimeException e) {
                    del = CompletableFuture.failedFuture(e);
                }
                results.add(del.handle((v, err) -> err == null ? r.build()
                        : r.setError(coordinator.toDetail(err)).build()));
            }
            f = CompletableFuture.allOf(results.toArray(new CompletableFuture<?>[0])).thenApply(v -> {
                DeleteGroupsResponse.Builder b = DeleteGroupsResponse.newBuilder();
                results.forEach(r -> b.addGroups(r.join()));
                return b.build();
            });
            return f;
        });
    }

    @Override
    public void resetOffsets(ResetOffsetsRequest request, StreamObserver<ResetOffsetsResponse> out) {
        serve("ResetOffsets", out, () -> {
            CompletableFuture<ResetOffsetsResponse> f;
            String groupId = request.getGroupId();
            GroupCoordinator.validateGroupId(groupId, "group_id");
            switch (request.getTargetCase()) {
                case POSITION:
                    if (request.getPosition() != io.tributary.proto.v1.ResetPosition.RESET_POSITION_EARLIEST
                            && request.getPosition() != io.tributary.proto.v1.ResetPosition.RESET_POSITION_LATEST) {
                        throw RequestException.invalidRequest("position is not set: use RESET_POSITION_EARLIEST or"
                                + " RESET_POSITION_LATEST");
                    }
                    break;
                case OFFSET:
                    if (request.getOffset() < 0) {
                        throw RequestException.invalidRequest("offset " + request.getOffset() + " is negative");
                    }
                    break;
                case TIMESTAMP_MS:
                    if (request.getTimestampMs() < 0) {
                        throw RequestException.invalidRequest("timestamp_ms " + request.getTimestampMs()
                                + " is negative");
                    }
                    break;
                default:
                    throw RequestException.invalidRequest("no target: set position, offset or timestamp_ms");
            }
            if (request.getTopicsCount() == 0 && request.getPartitionsCount() == 0) {
                throw RequestException.invalidRequest("topics and partitions are both empty: name at least one"
                        + " partition to reset");
            }
            unique(request.getTopicsList(), Function.identity(), "topics");
            unique(request.getPartitionsList(), p -> p.getTopic() + "\u0000" + p.getPartition(), "partitions");
            Set<TopicPartition> parts = new LinkedHashSet<>();
            for (String t : request.getTopicsList()) {
                validateTopic(t, "topics");
                TopicInfo info = ctx.topic(t);
                for (int p = 0; p < info.partitions().size(); p++) {
                    parts.add(new TopicPartition(t, p));
                }
            }
            for (io.tributary.proto.v1.TopicPartition p : request.getPartitionsList()) {
                parts.add(partition(p.getTopic(), p.getPartition(), "partitions"));
            }
            GroupShard shard = coordinator.shardFor(groupId);
            Map<TopicPartition, OffsetValue> previous = shard.requireEmpty(groupId);
            Long time = request.getTargetCase() == ResetOffsetsRequest.TargetCase.TIMESTAMP_MS
                    ? request.getTimestampMs() : null;
            f = coordinator.partitionOffsets(parts, time).thenCompose(offsets -> {
                Map<TopicPartition, Long> next = new TreeMap<>();
                List<ResetOffsetResult.Builder> results = new ArrayList<>();
                for (TopicPartition tp : parts) {
                    OffsetValue prev = previous.get(tp);
                    ResetOffsetResult.Builder r = ResetOffsetResult.newBuilder().setTopic(tp.topic())
                            .setPartition(tp.partition()).setPreviousOffset(prev == null ? -1 : prev.offset())
                            .setNewOffset(-1);
                    results.add(r);
                    PartitionOffsets o = offsets.get(tp);
                    if (o.error() != null) {
                        r.setError(o.error());
                        continue;
                    }
                    long n;
                    switch (request.getTargetCase()) {
                        case POSITION:
                            n = request.getPosition() == io.tributary.proto.v1.ResetPosition.RESET_POSITION_EARLIEST
                                    ? o.logStartOffset() : o.highWatermark();
                            break;
                        case OFFSET:
                            n = Math.max(o.logStartOffset(), Math.min(o.highWatermark(), request.getOffset()));
                            break;
                        default:
                            n = o.offsetAtTime() >= 0 ? o.offsetAtTime() : o.highWatermark();
                            break;
                    }
                    r.setNewOffset(n);
                    next.put(tp, n);
                }
                CompletableFuture<Void> w = request.getDryRun() || next.isEmpty()
                        ? CompletableFuture.completedFuture(null) : shard.resetOffsets(groupId, next);
                return w.thenApply(v -> {
                    ResetOffsetsResponse.Builder b = ResetOffsetsResponse.newBuilder();
                    results.forEach(b::addPartitions);
                    return b.build();
                });
            });
            return f;
        });
    }

    // ------------------------------------------------------------------ helpers

    private static void requireMemberId(String memberId) {
        if (memberId.isEmpty()) {
            throw RequestException.invalidRequest("member_id is empty: give the member id the consumer chose (a"
                    + " random UUID kept for its lifetime)");
        }
        if (memberId.length() > GroupCoordinator.MAX_GROUP_ID_LENGTH) {
            throw RequestException.invalidRequest("member_id is " + memberId.length() + " characters long: at most "
                    + GroupCoordinator.MAX_GROUP_ID_LENGTH + " are allowed");
        }
    }

    private static void requireGroups(List<String> ids) {
        if (ids.isEmpty()) {
            throw RequestException.invalidRequest("group_ids is empty: name at least one group");
        }
        unique(ids, Function.identity(), "group_ids");
        for (String id : ids) {
            GroupCoordinator.validateGroupId(id, "a group id in group_ids");
        }
    }

    private static void validateTopic(String topic, String field) {
        try {
            TopicNames.validate(topic);
        } catch (RequestException e) {
            throw RequestException.invalidRequest("in " + field + ": " + e.getMessage());
        }
    }

    private static TopicPartition partition(String topic, int partition, String field) {
        validateTopic(topic, field);
        if (partition < 0) {
            throw RequestException.invalidRequest("in " + field + ": partition " + partition + " of topic '" + topic
                    + "' is negative");
        }
        return new TopicPartition(topic, partition);
    }

    private static <T, K> void unique(List<T> items, Function<T, K> key, String field) {
        Set<K> seen = new HashSet<>();
        for (T t : items) {
            K k = key.apply(t);
            if (!seen.add(k)) {
                throw RequestException.invalidRequest(field + " names " + String.valueOf(k).replace('\u0000', '-')
                        + " more than once: each at most once");
            }
        }
    }

    /** Runs one RPC: a failure thrown while starting it is answered like a failed future. */
    private <T> void serve(String method, StreamObserver<T> out, Supplier<CompletableFuture<T>> call) {
        long start = System.nanoTime();
        CompletableFuture<T> f;
        try {
            f = call.get();
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        reply(f, out, method, start);
    }

    private <T> void reply(CompletableFuture<T> f, StreamObserver<T> out, String method, long start) {
        f.whenCompleteAsync((v, err) -> {
            try {
                if (err != null) {
                    ErrorDetail d = coordinator.toDetail(err);
                    ctx.metrics().error(method, d.getCode().name());
                    out.onError(ErrorMapper.toStatus(d));
                } else {
                    out.onNext(v);
                    out.onCompleted();
                }
            } catch (RuntimeException e) {
                // The call was cancelled meanwhile.
            }
            ctx.metrics().request(method, start);
        }, ctx.executor());
    }
}
