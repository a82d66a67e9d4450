package io.tributary.client.consumer.internal;

import io.tributary.client.TopicPartition;
import io.tributary.client.errors.LeaderNotAvailableException;
import io.tributary.client.errors.NotLeaderException;
import io.tributary.client.errors.TributaryException;
import io.tributary.client.errors.UnknownTopicOrPartitionException;
import io.tributary.client.internal.BrokerNode;
import io.tributary.client.internal.ClientContext;
import io.tributary.client.internal.Cluster;
import io.tributary.client.internal.ErrorMapper;
import io.tributary.proto.v1.FetchServiceGrpc;
import io.tributary.proto.v1.ListOffsetsPartition;
import io.tributary.proto.v1.ListOffsetsRequest;
import io.tributary.proto.v1.ListOffsetsResponse;
import io.tributary.proto.v1.ListOffsetsResult;
import io.tributary.proto.v1.OffsetSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * ListOffsets for a set of partitions: each sent to its leader, in one request per leader; a
 * partition whose leader moved or is being elected is asked again after a metadata refresh and a
 * backoff, until the deadline.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class OffsetsClient {

    /** What to look up for one partition. */
    public record Query(OffsetSpec spec, long timestampMs) {
        public static final Query EARLIEST = new Query(OffsetSpec.OFFSET_SPEC_EARLIEST, -1);
        public static final Query LATEST = new Query(OffsetSpec.OFFSET_SPEC_LATEST, -1);

        public static Query time(long timestampMs) {
            return new Query(OffsetSpec.OFFSET_SPEC_TIMESTAMP, timestampMs);
        }
    }

    /** One answer: the offset found (-1 for a time with no record that late) and its timestamp. */
    public record Found(long offset, long timestampMs) {
    }

    private final ClientContext ctx;

    public OffsetsClient(ClientContext ctx) {
        this.ctx = ctx;
    }

    /** Looks up every partition of {@code queries}; completes with one answer per partition. */
    public CompletableFuture<Map<TopicPartition, Found>> list(Map<TopicPartition, Query> queries, long deadlineNanos) {
        Map<TopicPartition, Found> results = new ConcurrentHashMap<>();
        AtomicInteger unknownTopicAnswers = new AtomicInteger();
        Set<String> topics = new HashSet<>();
        queries.keySet().forEach(tp -> topics.add(tp.topic()));
        ctx.metadata().addTopics(topics);
        return Calls.retrying(ctx, "ListOffsets for " + queries.keySet(), deadlineNanos, () -> {
            Map<TopicPartition, Query> left = new LinkedHashMap<>();
            queries.forEach((tp, q) -> {
                if (!results.containsKey(tp)) {
                    left.put(tp, q);
                }
            });
            Cluster c = ctx.metadata().cluster();
            boolean missing = left.keySet().stream().anyMatch(tp -> c.partitions(tp.topic()) == null);
            CompletableFuture<Cluster> cluster = missing ? ctx.metadata().refresh(topics) : CompletableFuture.completedFuture(c);
            return cluster.thenCompose(cl -> attempt(cl, left, results, unknownTopicAnswers)).thenApply(v -> Map.copyOf(results));
        }, e -> ctx.metadata().requestUpdate());
    }

    private CompletableFuture<Void> attempt(Cluster c, Map<TopicPartition, Query> left, Map<TopicPartition, Found> results,
                                            AtomicInteger unknownTopicAnswers) {
        Map<BrokerNode, ListOffsetsRequest.Builder> byLeader = new HashMap<>();
        TributaryException retriable = null;
        for (Map.Entry<TopicPartition, Query> e : left.entrySet()) {
            TopicPartition tp = e.getKey();
            if (c.partitions(tp.topic()) == null) {
                TributaryException err = c.topicError(tp.topic());
                if (err instanceof UnknownTopicOrPartitionException) {
                    if (unknownTopicAnswers.incrementAndGet() >= 2) {
                        return CompletableFuture.failedFuture(new UnknownTopicOrPartitionException("topic "
                                + tp.topic() + " does not exist (" + err.getMessage() + ")"));
                    }
                    retriable = new LeaderNotAvailableException("topic " + tp.topic() + " not known yet");
                    continue;
                }
                if (err != null && !err.isRetriable()) {
                    return CompletableFuture.failedFuture(err);
                }
                retriable = new LeaderNotAvailableException("no metadata for topic " + tp.topic() + " yet");
                continue;
            }
            if (tp.partition() >= c.partitionCount(tp.topic())) {
                return CompletableFuture.failedFuture(new UnknownTopicOrPartitionException("partition " + tp
                        + " does not exist: topic " + tp.topic() + " has " + c.partitionCount(tp.topic())
                        + " partitions"));
            }
            BrokerNode leader = c.leader(tp);
            if (leader == null) {
                retriable = new LeaderNotAvailableException("partition " + tp + " has no leader right now");
                continue;
            }
            byLeader.computeIfAbsent(leader, b -> ListOffsetsRequest.newBuilder())
                    .addPartitions(ListOffsetsPartition.newBuilder().setTopic(tp.topic()).setPartition(tp.partition())
                            .setSpec(e.getValue().spec()).setTimestampMs(Math.max(0, e.getValue().timestampMs())));
        }
        List<CompletableFuture<Void>> calls = new ArrayList<>();
        AtomicReference<TributaryException> lastRetriable = new AtomicReference<>(retriable);
        AtomicReference<TributaryException> fatal = new AtomicReference<>();
        for (Map.Entry<BrokerNode, ListOffsetsRequest.Builder> e : byLeader.entrySet()) {
            FetchServiceGrpc.FetchServiceStub stub = FetchServiceGrpc.newStub(ctx.channels().channel(e.getKey()))
                    .withDeadlineAfter(ctx.config().requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
            CompletableFuture<ListOffsetsResponse> call = Calls.unary(stub::listOffsets, e.getValue().build());
            calls.add(call.handle((resp, err) -> {
                if (err != null) {
                    TributaryException te = ErrorMapper.fromThrowable(err);
                    if (te.isRetriable()) {
                        lastRetriable.set(te);
                    } else {
                        fatal.compareAndSet(null, te);
                    }
                    return null;
                }
                for (ListOffsetsResult r : resp.getPartitionsList()) {
                    TopicPartition tp = new TopicPartition(r.getTopic(), r.getPartition());
                    if (ErrorMapper.isError(r.getError())) {
                        TributaryException te = ErrorMapper.fromDetail(r.getError());
                        if (te instanceof NotLeaderException nle) {
                            ctx.metadata().applyLeaderHint(tp, nle);
                        }
                        if (te.isRetriable()) {
                            lastRetriable.set(te);
                        } else {
                            fatal.compareAndSet(null, te);
                        }
                        continue;
                    }
                    results.put(tp, new Found(r.getOffset(), r.getTimestampMs()));
                }
                return null;
            }));
        }
        return CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).thenCompose(v -> {
            if (fatal.get() != null) {
                return CompletableFuture.failedFuture(fatal.get());
            }
            boolean done = left.keySet().stream().allMatch(results::containsKey);
            if (done) {
                return CompletableFuture.completedFuture(null);
            }
            TributaryException r = lastRetriable.get();
            return CompletableFuture.failedFuture(r != null ? r
                    : new LeaderNotAvailableException("no answer yet for some of " + left.keySet()));
        });
    }
}
