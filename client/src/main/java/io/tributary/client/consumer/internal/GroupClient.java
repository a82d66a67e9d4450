package io.tributary.client.consumer.internal;

import io.tributary.client.TopicPartition;
import io.tributary.client.consumer.OffsetAndMetadata;
import io.tributary.client.errors.CoordinatorNotAvailableException;
import io.tributary.client.errors.NotCoordinatorException;
import io.tributary.client.errors.TributaryException;
import io.tributary.client.internal.BrokerNode;
import io.tributary.client.internal.ClientContext;
import io.tributary.client.internal.Cluster;
import io.tributary.client.internal.ErrorMapper;
import io.tributary.proto.v1.CommittedOffset;
import io.tributary.proto.v1.FindCoordinatorRequest;
import io.tributary.proto.v1.FindCoordinatorResponse;
import io.tributary.proto.v1.GroupCoordinator;
import io.tributary.proto.v1.GroupServiceGrpc;
import io.tributary.proto.v1.MetadataServiceGrpc;
import io.tributary.proto.v1.OffsetCommitPartition;
import io.tributary.proto.v1.OffsetCommitRequest;
import io.tributary.proto.v1.OffsetCommitResponse;
import io.tributary.proto.v1.OffsetCommitResult;
import io.tributary.proto.v1.OffsetFetchRequest;
import io.tributary.proto.v1.OffsetFetchResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls to a group's coordinator: finding it (FindCoordinator to any broker), committing and
 * reading offsets. Remembers the coordinator until a call fails with NOT_COORDINATOR,
 * COORDINATOR_NOT_AVAILABLE or a connection error, then finds it again (with backoff, by
 * {@link Calls#retrying}).
 *
 * <p>Thread-safety: thread-safe.
 */
public final class GroupClient {

    private static final Logger LOG = LoggerFactory.getLogger(GroupClient.class);

    private final ClientContext ctx;
    private final String groupId;
    private volatile BrokerNode coordinator;
    private final java.util.concurrent.atomic.AtomicInteger nextBroker = new java.util.concurrent.atomic.AtomicInteger();

    public GroupClient(ClientContext ctx, String groupId) {
        this.ctx = ctx;
        this.groupId = groupId;
    }

    public String groupId() {
        return groupId;
    }

    /** The coordinator if known, else asks a broker for it (one attempt). */
    public CompletableFuture<BrokerNode> coordinator() {
        BrokerNode c = coordinator;
        if (c != null) {
            return CompletableFuture.completedFuture(c);
        }
        Cluster cluster = ctx.metadata().cluster();
        CompletableFuture<Cluster> known = cluster.brokers().isEmpty()
                ? ctx.metadata().refresh(List.of()) : CompletableFuture.completedFuture(cluster);
        return known.thenCompose(cl -> {
            List<BrokerNode> brokers = new ArrayList<>(cl.brokers().values());
            if (brokers.isEmpty()) {
                return CompletableFuture.failedFuture(
                        new CoordinatorNotAvailableException("no live broker known to ask for the coordinator"));
            }
            BrokerNode ask = brokers.get(Math.floorMod(nextBroker.getAndIncrement(), brokers.size()));
            MetadataServiceGrpc.MetadataServiceStub stub = MetadataServiceGrpc.newStub(ctx.channels().channel(ask))
                    .withDeadlineAfter(ctx.config().requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
            return Calls.unary(stub::findCoordinator, FindCoordinatorRequest.newBuilder().addGroupIds(groupId).build())
                    .thenCompose(this::coordinatorFrom);
        });
    }

    private CompletableFuture<BrokerNode> coordinatorFrom(FindCoordinatorResponse r) {
        if (r.getCoordinatorsCount() == 0) {
            return CompletableFuture.failedFuture(new CoordinatorNotAvailableException(
                    "FindCoordinator answered no coordinator for group " + groupId));
        }
        GroupCoordinator gc = r.getCoordinators(0);
        if (ErrorMapper.isError(gc.getError())) {
            return CompletableFuture.failedFuture(ErrorMapper.fromDetail(gc.getError()));
        }
        BrokerNode node = BrokerNode.of(gc.getCoordinator());
        LOG.debug("coordinator of group {} is {}", groupId, node);
        coordinator = node;
        return CompletableFuture.completedFuture(node);
    }

    /**
     * Forgets the coordinator after an error that says it moved or is unreachable (any retriable
     * error but COORDINATOR_LOAD_IN_PROGRESS, which is retried on the same broker), and refreshes
     * the metadata so that a dead broker stops being asked.
     */
    public void onError(TributaryException e) {
        if (e instanceof io.tributary.client.errors.CoordinatorLoadInProgressException) {
            return;
        }
        if (e instanceof NotCoordinatorException || e instanceof CoordinatorNotAvailableException || e.isRetriable()) {
            coordinator = null;
            ctx.metadata().requestUpdate();
        }
    }

    /** A stub to the coordinator, with the request timeout as deadline. */
    public CompletableFuture<GroupServiceGrpc.GroupServiceStub> stub() {
        return coordinator().thenApply(node -> GroupServiceGrpc.newStub(ctx.channels().channel(node))
                .withDeadlineAfter(ctx.config().requestTimeout().toMillis(), TimeUnit.MILLISECONDS));
    }

    /**
     * Commits {@code offsets}; {@code memberId} empty for a standalone commit. Retries retriable
     * failures (per partition too) until {@code deadlineNanos}; a partition rejected for good
     * (e.g. PARTITION_NOT_OWNED) fails the future with that error.
     */
    public CompletableFuture<Void> commit(String memberId, int generation, Map<TopicPartition, OffsetAndMetadata> offsets,
                                          long deadlineNanos) {
        Map<TopicPartition, OffsetAndMetadata> left = new ConcurrentHashMap<>(offsets);
        return Calls.retrying(ctx, "committing offsets of group " + groupId, deadlineNanos, () -> {
            OffsetCommitRequest.Builder b = OffsetCommitRequest.newBuilder().setGroupId(groupId)
                    .setMemberId(memberId).setGeneration(generation);
            left.forEach((tp, om) -> b.addPartitions(OffsetCommitPartition.newBuilder().setTopic(tp.topic())
                    .setPartition(tp.partition()).setOffset(om.offset()).setMetadata(om.metadata())));
            return stub().thenCompose(s -> Calls.unary(s::offsetCommit, b.build())).thenCompose(resp -> done(resp, left));
        }, this::onError);
    }

    private CompletableFuture<Void> done(OffsetCommitResponse resp, Map<TopicPartition, OffsetAndMetadata> left) {
        TributaryException retriable = null;
        for (OffsetCommitResult r : resp.getPartitionsList()) {
            TopicPartition tp = new TopicPartition(r.getTopic(), r.getPartition());
            if (!ErrorMapper.isError(r.getError())) {
                left.remove(tp);
                continue;
            }
            TributaryException e = ErrorMapper.fromDetail(r.getError());
            if (!e.isRetriable()) {
                return CompletableFuture.failedFuture(e);
            }
            retriable = e;
        }
        if (left.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        return CompletableFuture.failedFuture(retriable != null ? retriable
                : new CoordinatorNotAvailableException("no commit result for " + left.keySet()));
    }

    /** The committed offsets of {@code partitions}: null values for partitions without one. */
    public CompletableFuture<Map<TopicPartition, OffsetAndMetadata>> fetchCommitted(Set<TopicPartition> partitions,
                                                                                  long deadlineNanos) {
        return Calls.retrying(ctx, "reading committed offsets of group " + groupId, deadlineNanos, () -> {
            OffsetFetchRequest.Builder b = OffsetFetchRequest.newBuilder().setGroupId(groupId);
            partitions.forEach(tp -> b.addPartitions(io.tributary.proto.v1.TopicPartition.newBuilder()
                    .setTopic(tp.topic()).setPartition(tp.partition())));
            return stub().thenCompose(s -> Calls.unary(s::offsetFetch, b.build())).thenCompose(this::committedFrom);
        }, this::onError);
    }

    private CompletableFuture<Map<TopicPartition, OffsetAndMetadata>> committedFrom(OffsetFetchResponse resp) {
        Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
        for (CommittedOffset c : resp.getPartitionsList()) {
            TopicPartition tp = new TopicPartition(c.getTopic(), c.getPartition());
            if (ErrorMapper.isError(c.getError())) {
                return CompletableFuture.failedFuture(ErrorMapper.fromDetail(c.getError()));
            }
            out.put(tp, c.getOffset() < 0 ? null : new OffsetAndMetadata(c.getOffset(), c.getMetadata()));
        }
        return CompletableFuture.completedFuture(out);
    }
}
