package io.tributary.broker.internal;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.tributary.proto.v1.ErrorDetail;
import io.tributary.proto.v1.PartitionRecords;
import io.tributary.proto.v1.SubscribePartition;
import io.tributary.proto.v1.SubscribeRequest;
import io.tributary.proto.v1.SubscribeResponse;
import io.tributary.replication.ClusterMetadata;
import io.tributary.replication.PartitionReplica;
import io.tributary.replication.TopicPartition;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * One Subscribe call: pushes committed batches of its partitions as they arrive, round-robin,
 * under gRPC's flow control. It reads the log only when the call is ready to take a message
 * ({@code isReady()}), builds one message, writes it, and repeats; when the client stops reading,
 * the transport window fills, {@code isReady()} turns false and the subscription stops until
 * {@code onReady}. So at most one message per subscription is in the broker's memory. When no
 * partition has news it waits on high-watermark futures (no thread). A partition that fails is
 * reported once and dropped; when none is left the call completes with OK.
 *
 * <p>Thread-safety: all work runs in {@link #drain()}, which the work-in-progress counter
 * {@code wip} keeps to one thread at a time; signals may come from any thread.
 */
final class Subscription implements BrokerContext.Closeable {

    private static final class Part {
        final String topic;
        final int partition;
        long nextOffset;
        CompletableFuture<Long> waiting;

        Part(SubscribePartition p) {
            this.topic = p.getTopic();
            this.partition = p.getPartition();
            this.nextOffset = p.getStartOffset();
        }
    }

    private final BrokerContext ctx;
    private final ServerCallStreamObserver<SubscribeResponse> out;
    private final List<Part> parts = new ArrayList<>();
    private final int maxBytes;
    private final AtomicInteger wip = new AtomicInteger();
    private final Consumer<ClusterMetadata> metadataListener = md -> signal();
    private final Object outLock = new Object();
    private volatile boolean closed;
    private int roundRobin;

    Subscription(BrokerContext ctx, SubscribeRequest request, ServerCallStreamObserver<SubscribeResponse> out) {
        this.ctx = ctx;
        this.out = out;
        this.maxBytes = FetchServiceImpl.totalBudget(request.getMaxBytes());
        for (SubscribePartition p : request.getPartitionsList()) {
            parts.add(new Part(p));
        }
    }

    void start() {
        out.setOnReadyHandler(this::signal);
        out.setOnCancelHandler(this::cancel);
        if (!ctx.register(this)) {
            closeForShutdown(Status.UNAVAILABLE.withDescription("broker " + ctx.nodeId() + " is shutting down"));
            return;
        }
        // Leadership moves and deletions arrive as metadata changes: re-check partitions then.
        ctx.node().clusterView().addListener(metadataListener);
        signal();
    }

    /** Asks for a drain; runs it on the broker executor unless one is running (it will loop). */
    private void signal() {
        if (wip.getAndIncrement() == 0) {
            try {
                ctx.executor().execute(this::drainLoop);
            } catch (RuntimeException e) {
                closeForShutdown(Status.UNAVAILABLE.withDescription("broker " + ctx.nodeId() + " is shutting down"));
            }
        }
    }

    private void drainLoop() {
        int missed = 1;
        while (true) {
            try {
                drain();
            } catch (RuntimeException e) {
                closeWith(ctx.errors().toStatus(e));
            }
            missed = wip.addAndGet(-missed);
            if (missed == 0) {
                return;
            }
        }
    }

    private void drain() {
        if (closed) {
            releaseWaits();
            return;
        }
        while (!closed && out.isReady()) {
            SubscribeResponse message = nextMessage();
            if (message == null) {
                break;
            }
            synchronized (outLock) {
                if (closed) {
                    break;
                }
                out.onNext(message);
            }
            for (PartitionRecords pr : message.getPartitionsList()) {
                ctx.metrics().bytesOut(pr.getRecords().size());
            }
        }
        if (closed) {
            releaseWaits();
            return;
        }
        if (parts.isEmpty()) {
            complete();
            return;
        }
        if (out.isReady()) {
            armWaits();
        }
    }

    /** One message with records (or errors) of the partitions that have news, or null when none has. */
    private SubscribeResponse nextMessage() {
        SubscribeResponse.Builder b = null;
        int budget = maxBytes;
        int n = parts.size();
        int first = n == 0 ? 0 : roundRobin % n;
        List<Part> failed = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Part p = parts.get((first + i) % n);
            TopicPartition tp = null;
            try {
                PartitionReplica replica = ctx.leaderReplica(p.topic, p.partition);
                tp = replica.topicPartition();
                if (p.nextOffset == replica.highWatermark() && p.nextOffset >= replica.logStartOffset()) {
                    continue; // no news
                }
                boolean firstInMessage = budget == maxBytes;
                if (budget <= 0) {
                    continue;
                }
                PartitionReads.Read r = PartitionReads.read(replica, p.nextOffset, budget, firstInMessage);
                if (r.bytes() == 0) {
                    continue;
                }
                p.nextOffset = r.nextOffset();
                budget -= r.bytes();
                if (b == null) {
                    b = SubscribeResponse.newBuilder();
                }
                b.addPartitions(r.records());
            } catch (RuntimeException e) {
                ErrorDetail d = ctx.errors().toDetail(e, tp);
                ctx.metrics().error("Subscribe", d.getCode().name());
                if (b == null) {
                    b = SubscribeResponse.newBuilder();
                }
                b.addPartitions(PartitionRecords.newBuilder().setTopic(p.topic).setPartition(p.partition).setError(d)
                        .setHighWatermark(-1).setLogStartOffset(-1));
                failed.add(p);
            }
        }
        roundRobin = n == 0 ? 0 : (first + 1) % n;
        for (Part p : failed) {
            if (p.waiting != null) {
                p.waiting.cancel(false);
            }
            parts.remove(p);
        }
        return b == null ? null : b.build();
    }

    /** Waits for the next commit on every partition that has no news (no thread is held). */
    private void armWaits() {
        for (Part p : parts) {
            if (p.waiting != null && !p.waiting.isDone()) {
                continue;
            }
            CompletableFuture<Long> f;
            try {
                f = ctx.leaderReplica(p.topic, p.partition).awaitHighWatermarkAbove(p.nextOffset);
            } catch (RuntimeException e) {
                signal(); // the next drain reports the partition's failure
                return;
            }
            p.waiting = f;
            f.whenComplete((hw, err) -> {
                if (!(err instanceof CancellationException)) {
                    signal();
                }
            });
        }
    }

    private void complete() {
        synchronized (outLock) {
            if (closed) {
                return;
            }
            closed = true;
            try {
                out.onCompleted();
            } catch (RuntimeException e) {
                // Cancelled meanwhile.
            }
        }
        release();
    }

    private void cancel() {
        closed = true;
        release();
    }

    private void closeWith(io.grpc.StatusRuntimeException status) {
        synchronized (outLock) {
            if (closed) {
                return;
            }
            closed = true;
            try {
                out.onError(status);
            } catch (RuntimeException e) {
                // Cancelled meanwhile.
            }
        }
        release();
    }

    @Override
    public void closeForShutdown(Status status) {
        closeWith(status.asRuntimeException());
    }

    /** Stops listening; the waits are cancelled by the next drain (the only thread touching parts). */
    private void release() {
        ctx.node().clusterView().removeListener(metadataListener);
        ctx.unregister(this);
        signal();
    }

    private void releaseWaits() {
        for (Part p : parts) {
            if (p.waiting != null) {
                p.waiting.cancel(false);
                p.waiting = null;
            }
        }
    }
}
