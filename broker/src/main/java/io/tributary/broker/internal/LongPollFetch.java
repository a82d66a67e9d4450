package io.tributary.broker.internal;

import io.grpc.stub.ServerCallStreamObserver;
import io.tributary.proto.v1.ErrorDetail;
import io.tributary.proto.v1.FetchPartition;
import io.tributary.proto.v1.FetchRequest;
import io.tributary.proto.v1.FetchResponse;
import io.tributary.proto.v1.PartitionRecords;
import io.tributary.replication.PartitionReplica;
import io.tributary.replication.TopicPartition;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One Fetch call: reads what is available; if it is less than {@code min_bytes} and no partition
 * failed, waits, without a thread, for any requested partition's high watermark to move past
 * what was seen (or for {@code max_wait_ms}), then reads again. Each attempt reads from the
 * requested offsets (nothing read earlier is kept), so memory is one response at most.
 *
 * <p>Thread-safety: attempts run on the broker executor, serialized by {@code this}.
 */
final class LongPollFetch implements BrokerContext.Closeable {

    private final BrokerContext ctx;
    private final FetchRequest request;
    private final ServerCallStreamObserver<FetchResponse> out;
    private final long startNanos;
    private final long deadlineNanos;
    private final int minBytes;
    private final List<CompletableFuture<Long>> waits = new ArrayList<>();
    private ScheduledFuture<?> timeout;
    private boolean done;

    LongPollFetch(BrokerContext ctx, FetchRequest request, ServerCallStreamObserver<FetchResponse> out, long startNanos) {
        this.ctx = ctx;
        this.request = request;
        this.out = out;
        this.startNanos = startNanos;
        this.deadlineNanos = startNanos + TimeUnit.MILLISECONDS.toNanos(request.getMaxWaitMs());
        this.minBytes = Math.max(1, request.getMinBytes());
    }

    void start() {
        out.setOnCancelHandler(() -> {
            synchronized (this) {
                done = true;
                cancelWaits();
                if (timeout != null) {
                    timeout.cancel(false);
                }
            }
            ctx.unregister(this);
        });
        if (!ctx.register(this)) {
            out.onError(io.grpc.Status.UNAVAILABLE.withDescription("broker " + ctx.nodeId() + " is shutting down")
                    .asRuntimeException());
            return;
        }
        attempt(false);
    }

    /** Shutdown: answer now with what is available rather than keep the call open. */
    @Override
    public void closeForShutdown(io.grpc.Status status) {
        attempt(true);
    }

    private record Attempt(FetchResponse response, int bytes, boolean anyError, List<long[]> seen) {
    }

    private synchronized void attempt(boolean last) {
        if (done) {
            return;
        }
        cancelWaits();
        Attempt a = readAll();
        if (last || a.anyError || a.bytes >= minBytes || System.nanoTime() >= deadlineNanos) {
            respond(a);
            return;
        }
        if (timeout == null) {
            long delay = deadlineNanos - System.nanoTime();
            timeout = ctx.timer().schedule(() -> ctx.executor().execute(() -> attempt(true)), delay,
                    TimeUnit.NANOSECONDS);
        }
        // Wait for any partition's high watermark to pass what this attempt saw.
        for (int i = 0; i < request.getPartitionsCount(); i++) {
            FetchPartition p = request.getPartitions(i);
            long seenHw = a.seen.get(i)[0];
            try {
                PartitionReplica replica = ctx.leaderReplica(p.getTopic(), p.getPartition());
                CompletableFuture<Long> f = replica.awaitHighWatermarkAbove(seenHw);
                waits.add(f);
                f.whenComplete((hw, err) -> {
                    if (!(err instanceof java.util.concurrent.CancellationException)) {
                        ctx.executor().execute(() -> attempt(false));
                    }
                });
            } catch (RuntimeException e) {
                // The partition failed since the read: the next attempt reports it.
                ctx.executor().execute(() -> attempt(false));
                return;
            }
        }
    }

    private Attempt readAll() {
        int remaining = FetchServiceImpl.totalBudget(request.getMaxBytes());
        int total = 0;
        boolean anyError = false;
        List<long[]> seen = new ArrayList<>(request.getPartitionsCount());
        FetchResponse.Builder b = FetchResponse.newBuilder();
        for (FetchPartition p : request.getPartitionsList()) {
            TopicPartition tp = null;
            try {
                PartitionReplica replica = ctx.leaderReplica(p.getTopic(), p.getPartition());
                tp = replica.topicPartition();
                int budget = Math.min(FetchServiceImpl.partitionBudget(p.getMaxBytes()), remaining);
                PartitionReads.Read r = PartitionReads.read(replica, p.getFetchOffset(), budget, total == 0);
                b.addPartitions(r.records());
                total += r.bytes();
                remaining = Math.max(0, remaining - r.bytes());
                seen.add(new long[] {Math.max(r.highWatermark(), p.getFetchOffset())});
            } catch (RuntimeException e) {
                ErrorDetail d = ctx.errors().toDetail(e, tp);
                ctx.metrics().error("Fetch", d.getCode().name());
                b.addPartitions(PartitionRecords.newBuilder().setTopic(p.getTopic()).setPartition(p.getPartition())
                        .setError(d).setHighWatermark(-1).setLogStartOffset(-1));
                anyError = true;
                seen.add(new long[] {-1});
            }
        }
        return new Attempt(b.build(), total, anyError, seen);
    }

    private void respond(Attempt a) {
        done = true;
        ctx.unregister(this);
        cancelWaits();
        if (timeout != null) {
            timeout.cancel(false);
        }
        try {
            out.onNext(a.response);
            out.onCompleted();
        } catch (RuntimeException e) {
            return; // cancelled by the client meanwhile
        }
        ctx.metrics().bytesOut(a.bytes);
        ctx.metrics().request("Fetch", startNanos);
    }

    private void cancelWaits() {
        for (CompletableFuture<Long> f : waits) {
            f.cancel(false);
        }
        waits.clear();
    }
}
