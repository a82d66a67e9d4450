package io.tributary.broker.internal;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.tributary.proto.v1.FetchServiceGrpc;
import io.tributary.proto.v1.ListOffsetsRequest;
import io.tributary.proto.v1.ListOffsetsResponse;
import io.tributary.replication.BrokerInfo;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * gRPC channels from this broker to other brokers' client listeners, for the few answers only a
 * partition's leader has (DescribeTopics asks leaders for their log start offset and high
 * watermark). One channel per address, created on first use, closed with the broker.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class PeerClients implements AutoCloseable {

    static final long CALL_TIMEOUT_MS = 2_000;

    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /** ListOffsets on {@code broker}, failing after {@link #CALL_TIMEOUT_MS}. */
    public CompletableFuture<ListOffsetsResponse> listOffsets(BrokerInfo broker, ListOffsetsRequest request) {
        CompletableFuture<ListOffsetsResponse> f = new CompletableFuture<>();
        if (closed) {
            f.completeExceptionally(new IllegalStateException("broker is shutting down"));
            return f;
        }
        FetchServiceGrpc.newStub(channel(broker)).withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                .listOffsets(request, new StreamObserver<>() {
                    @Override
                    public void onNext(ListOffsetsResponse value) {
                        f.complete(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        f.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        f.completeExceptionally(new IllegalStateException("no answer"));
                    }
                });
        return f;
    }

    private ManagedChannel channel(BrokerInfo broker) {
        return channels.computeIfAbsent(broker.clientAddress(), a -> NettyChannelBuilder
                .forAddress(broker.host(), broker.clientPort()).usePlaintext()
                .maxInboundMessageSize(16 * 1024 * 1024).build());
    }

    @Override
    public void close() {
        closed = true;
        channels.values().forEach(ManagedChannel::shutdownNow);
        channels.clear();
    }
}
