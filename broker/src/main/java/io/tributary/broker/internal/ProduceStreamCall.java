package io.tributary.broker.internal;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.tributary.proto.v1.ErrorDetail;
import io.tributary.proto.v1.ProduceResponse;
import io.tributary.proto.v1.ProduceStreamRequest;
import io.tributary.proto.v1.ProduceStreamResponse;

import java.util.concurrent.CompletableFuture;

/**
 * One ProduceStream call. Inbound flow control is manual: the broker asks gRPC for a request only
 * while fewer than {@link ProduceServiceImpl#STREAM_MAX_IN_FLIGHT} requests and
 * {@link ProduceServiceImpl#STREAM_MAX_IN_FLIGHT_BYTES} bytes are in flight and the client reads
 * its answers ({@code isReady()}), so a fast client sees its stream stop being ready instead of
 * filling the broker's memory. Requests start in arrival order (appends to one partition keep
 * stream order); answers go out as their appends complete.
 *
 * <p>Thread-safety: inbound callbacks come serialized from gRPC; completions from replication
 * threads; all state changes and outbound calls are under {@code lock}.
 */
final class ProduceStreamCall implements StreamObserver<ProduceStreamRequest>, BrokerContext.Closeable {

    private final ProduceServiceImpl service;
    private final BrokerContext ctx;
    private final ServerCallStreamObserver<ProduceStreamResponse> out;
    private final Object lock = new Object();
    private int inFlight;
    private long inFlightBytes;
    /** Requests answered whose slot has not been handed back to gRPC yet (waiting for room). */
    private int owed;
    private boolean halfClosed;
    private boolean done;

    ProduceStreamCall(ProduceServiceImpl service, BrokerContext ctx, ServerCallStreamObserver<ProduceStreamResponse> out) {
        this.service = service;
        this.ctx = ctx;
        this.out = out;
    }

    void start() {
        out.disableAutoRequest();
        out.setOnCancelHandler(this::finish);
        out.setOnReadyHandler(this::requestMore);
        if (!ctx.register(this)) {
            synchronized (lock) {
                done = true;
            }
            out.onError(Status.UNAVAILABLE.withDescription("broker " + ctx.nodeId() + " is shutting down; reconnect"
                    + " to another broker").asRuntimeException());
            return;
        }
        out.request(ProduceServiceImpl.STREAM_MAX_IN_FLIGHT);
    }

    @Override
    public void onNext(ProduceStreamRequest request) {
        long start = System.nanoTime();
        long size = request.getSerializedSize();
        synchronized (lock) {
            if (done) {
                return;
            }
            inFlight++;
            inFlightBytes += size;
        }
        CompletableFuture<ProduceResponse> f;
        try {
            f = service.handle(request.getRequest());
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        f.whenComplete((response, err) -> {
            ProduceStreamResponse.Builder b = ProduceStreamResponse.newBuilder()
                    .setCorrelationId(request.getCorrelationId());
            if (err != null) {
                ErrorDetail d = ctx.errors().toDetail(err, null);
                ctx.metrics().error("ProduceStream", d.getCode().name());
                b.setError(d);
            } else {
                b.setResponse(response);
            }
            answered(b.build(), size);
            ctx.metrics().request("ProduceStream", start);
        });
    }

    private void answered(ProduceStreamResponse response, long size) {
        synchronized (lock) {
            inFlight--;
            inFlightBytes -= size;
            owed++;
            if (done) {
                return;
            }
            try {
                out.onNext(response);
            } catch (RuntimeException e) {
                done = true;
                return;
            }
        }
        requestMore();
        completeIfDrained();
    }

    /** Hands slots back to gRPC while there is room and the client reads its answers. */
    private void requestMore() {
        int n;
        synchronized (lock) {
            if (done || halfClosed || owed == 0 || inFlightBytes >= ProduceServiceImpl.STREAM_MAX_IN_FLIGHT_BYTES
                    || !out.isReady()) {
                return;
            }
            n = owed;
            owed = 0;
        }
        out.request(n);
    }

    @Override
    public void onError(Throwable t) {
        finish();
    }

    @Override
    public void onCompleted() {
        synchronized (lock) {
            halfClosed = true;
        }
        completeIfDrained();
    }

    private void completeIfDrained() {
        synchronized (lock) {
            if (done || !halfClosed || inFlight > 0) {
                return;
            }
            done = true;
            try {
                out.onCompleted();
            } catch (RuntimeException e) {
                // Cancelled meanwhile.
            }
        }
        ctx.unregister(this);
    }

    private void finish() {
        synchronized (lock) {
            done = true;
        }
        ctx.unregister(this);
    }

    @Override
    public void closeForShutdown(Status status) {
        synchronized (lock) {
            if (done) {
                return;
            }
            done = true;
            try {
                out.onError(status.asRuntimeException());
            } catch (RuntimeException e) {
                // Cancelled meanwhile.
            }
        }
    }
}
