package io.tributary.broker.internal;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.tributary.proto.v1.Acks;
import io.tributary.proto.v1.ErrorCode;
import io.tributary.proto.v1.ErrorDetail;
import io.tributary.proto.v1.InitProducerIdRequest;
import io.tributary.proto.v1.InitProducerIdResponse;
import io.tributary.proto.v1.KeyCondition;
import io.tributary.proto.v1.PartitionProduceData;
import io.tributary.proto.v1.PartitionProduceResult;
import io.tributary.proto.v1.ProduceRequest;
import io.tributary.proto.v1.ProduceResponse;
import io.tributary.proto.v1.ProduceServiceGrpc;
import io.tributary.proto.v1.ProduceStreamRequest;
import io.tributary.proto.v1.ProduceStreamResponse;
import io.tributary.proto.v1.ProducerIdAndEpoch;
import io.tributary.replication.AppendRequest;
import io.tributary.replication.AppendResult;
import io.tributary.replication.PartitionReplica;
import io.tributary.replication.TopicPartition;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * ProduceService: validates each partition's batches (BatchValidator) and hands the request's
 * bytes, untouched, to the partition leader's {@link PartitionReplica#append}; answers from the
 * append futures, never blocking a gRPC thread. The bytes of all produce requests in flight in
 * this broker are bounded ({@link #MAX_IN_FLIGHT_BYTES}): beyond it a request fails with
 * BROKER_BUSY (back-pressure) instead of growing memory.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class ProduceServiceImpl extends ProduceServiceGrpc.ProduceServiceImplBase {

    static final int DEFAULT_TIMEOUT_MS = 30_000;
    static final int MAX_TIMEOUT_MS = 15 * 60_000;
    /** Produce bytes in flight in this broker, across all calls. */
    static final long MAX_IN_FLIGHT_BYTES = 512L * 1024 * 1024;
    /** Requests in flight on one ProduceStream. */
    static final int STREAM_MAX_IN_FLIGHT = 64;
    /** Request bytes in flight on one ProduceStream before the broker stops asking for more. */
    static final long STREAM_MAX_IN_FLIGHT_BYTES = 64L * 1024 * 1024;
    private static final short MAX_PRODUCER_EPOCH = Short.MAX_VALUE;

    private final BrokerContext ctx;
    private final AtomicLong inFlightBytes = new AtomicLong();

    public ProduceServiceImpl(BrokerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void produce(ProduceRequest request, StreamObserver<ProduceResponse> out) {
        long start = System.nanoTime();
        CompletableFuture<ProduceResponse> f;
        try {
            f = handle(request);
        } catch (RuntimeException e) {
            fail(out, "Produce", e, start);
            return;
        }
        f.whenComplete((response, err) -> {
            if (err != null) {
                fail(out, "Produce", err, start);
                return;
            }
            try {
                out.onNext(response);
                out.onCompleted();
            } catch (RuntimeException e) {
                // Cancelled by the client meanwhile.
            }
            ctx.metrics().request("Produce", start);
        });
    }

    @Override
    public StreamObserver<ProduceStreamRequest> produceStream(StreamObserver<ProduceStreamResponse> out) {
        ProduceStreamCall call = new ProduceStreamCall(this, ctx, (ServerCallStreamObserver<ProduceStreamResponse>) out);
        call.start();
        return call;
    }

    @Override
    public void initProducerId(InitProducerIdRequest request, StreamObserver<InitProducerIdResponse> out) {
        long start = System.nanoTime();
        CompletableFuture<ProducerIdAndEpoch> f;
        if (request.hasCurrent()) {
            ProducerIdAndEpoch cur = request.getCurrent();
            if (cur.getProducerId() < 0) {
                fail(out, "InitProducerId", RequestException.invalidRequest("current.producer_id "
                        + cur.getProducerId() + " is negative: leave `current` unset to get a new producer id"), start);
                return;
            }
            if (cur.getProducerEpoch() < 0 || cur.getProducerEpoch() > MAX_PRODUCER_EPOCH) {
                fail(out, "InitProducerId", RequestException.invalidRequest("current.producer_epoch "
                        + cur.getProducerEpoch() + " is not valid: epochs are 0.." + MAX_PRODUCER_EPOCH), start);
                return;
            }
            if (cur.getProducerEpoch() < MAX_PRODUCER_EPOCH) {
                // The partitions fence by epoch: once the bumped epoch is written, batches with an
                // older epoch of this id are refused (INVALID_PRODUCER_EPOCH).
                f = CompletableFuture.completedFuture(cur.toBuilder().setProducerEpoch(cur.getProducerEpoch() + 1)
                        .build());
            } else {
                f = allocate();
            }
        } else {
            f = allocate();
        }
        f.whenComplete((p, err) -> {
            if (err != null) {
                fail(out, "InitProducerId", err, start);
                return;
            }
            out.onNext(InitProducerIdResponse.newBuilder().setProducer(p).build());
            out.onCompleted();
            ctx.metrics().request("InitProducerId", start);
        });
    }

    private CompletableFuture<ProducerIdAndEpoch> allocate() {
        try {
            return ctx.node().topicAdmin().allocateProducerId()
                    .orTimeout(DEFAULT_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                    .thenApply(id -> ProducerIdAndEpoch.newBuilder().setProducerId(id).setProducerEpoch(0).build());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private <T> void fail(StreamObserver<T> out, String rpc, Throwable err, long start) {
        ErrorDetail d = ctx.errors().toDetail(err, null);
        ctx.metrics().error(rpc, d.getCode().name());
        ctx.metrics().request(rpc, start);
        try {
            out.onError(ErrorMapper.toStatus(d));
        } catch (RuntimeException e) {
            // Cancelled by the client meanwhile.
        }
    }

    /**
     * Serves one produce request. Whole-call problems throw {@link RequestException} (or fail the
     * future); everything about one partition goes into its result.
     */
    CompletableFuture<ProduceResponse> handle(ProduceRequest request) {
        int n = request.getPartitionsCount();
        if (n == 0) {
            throw RequestException.invalidRequest("partitions is empty: a produce request names at least one"
                    + " partition with its record batches");
        }
        if (request.getAcks() == Acks.UNRECOGNIZED) {
            throw RequestException.invalidRequest("acks " + request.getAcksValue() + " is not a known value: use"
                    + " ACKS_ALL or ACKS_NONE");
        }
        boolean acksAll = request.getAcks() != Acks.ACKS_NONE;
        int timeoutMs = request.getTimeoutMs();
        if (timeoutMs < 0 || timeoutMs > MAX_TIMEOUT_MS) {
            throw RequestException.invalidRequest("timeout_ms " + timeoutMs + " is not valid: use 0 (the broker's"
                    + " default, " + DEFAULT_TIMEOUT_MS + ") up to " + MAX_TIMEOUT_MS);
        }
        if (timeoutMs == 0) {
            timeoutMs = DEFAULT_TIMEOUT_MS;
        }
        Set<String> seen = new HashSet<>();
        long bytes = 0;
        for (PartitionProduceData p : request.getPartitionsList()) {
            if (!seen.add(p.getTopic() + "\u0000" + p.getPartition())) {
                throw RequestException.invalidRequest("partition " + p.getTopic() + "-" + p.getPartition()
                        + " appears more than once: put all its batches in one entry");
            }
            if (!acksAll && (p.hasExpectedEndOffset() || p.getExpectedKeyOffsetsCount() > 0)) {
                throw RequestException.invalidRequest("conditional append to " + p.getTopic() + "-" + p.getPartition()
                        + " requires acks ACKS_ALL");
            }
            bytes += p.getRecords().size();
        }
        long total = bytes;
        long nowInFlight = inFlightBytes.addAndGet(total);
        if (nowInFlight > MAX_IN_FLIGHT_BYTES && nowInFlight != total) {
            inFlightBytes.addAndGet(-total);
            throw new RequestException(ErrorCode.BROKER_BUSY, "broker " + ctx.nodeId() + " has more than "
                    + MAX_IN_FLIGHT_BYTES + " bytes of produce requests in flight; retry after a backoff");
        }
        List<CompletableFuture<PartitionProduceResult>> results = new ArrayList<>(n);
        try {
            for (PartitionProduceData p : request.getPartitionsList()) {
                results.add(produce(p, acksAll, timeoutMs));
            }
        } catch (RuntimeException e) {
            inFlightBytes.addAndGet(-total);
            throw e;
        }
        return CompletableFuture.allOf(results.toArray(new CompletableFuture<?>[0])).handle((v, err) -> {
            inFlightBytes.addAndGet(-total);
            ProduceResponse.Builder b = ProduceResponse.newBuilder();
            for (CompletableFuture<PartitionProduceResult> r : results) {
                b.addPartitions(r.join());
            }
            return b.build();
        });
    }

    private CompletableFuture<PartitionProduceResult> produce(PartitionProduceData p, boolean acksAll, int timeoutMs) {
        PartitionProduceResult.Builder result = PartitionProduceResult.newBuilder().setTopic(p.getTopic())
                .setPartition(p.getPartition()).setBaseOffset(-1).setLogAppendTimeMs(-1).setLogStartOffset(-1);
        TopicPartition tp = null;
        try {
            PartitionReplica replica = ctx.writableReplica(p.getTopic(), p.getPartition());
            tp = replica.topicPartition();
            if (p.hasExpectedEndOffset() && p.getExpectedEndOffset() < 0) {
                throw RequestException.invalidRequest("expected_end_offset " + p.getExpectedEndOffset() + " for " + tp
                        + " is negative");
            }
            List<AppendRequest.KeyCondition> keyConditions = keyConditions(p, tp);
            ByteBuffer records = p.getRecords().asReadOnlyByteBuffer();
            BatchValidator.Summary summary = BatchValidator.validate(records, ctx.logConfig(tp.topic()).maxMessageBytes(),
                    tp);
            AppendRequest append = new AppendRequest(records, acksAll,
                    p.hasExpectedEndOffset() ? p.getExpectedEndOffset() : -1, timeoutMs, keyConditions);
            TopicPartition where = tp;
            return replica.append(append).handle((AppendResult r, Throwable err) -> {
                if (err != null) {
                    return result.setError(error(err, where)).build();
                }
                ctx.metrics().bytesIn(summary.bytes());
                return result.setBaseOffset(acksAll ? r.baseOffset() : -1).setLogAppendTimeMs(r.logAppendTimeMs())
                        .setLogStartOffset(r.logStartOffset()).build();
            });
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(result.setError(error(e, tp)).build());
        }
    }

    /** The key conditions of a unit, checked: INVALID_REQUEST for a bad expected offset or too many/too large keys. */
    static List<AppendRequest.KeyCondition> keyConditions(PartitionProduceData p, TopicPartition tp) {
        int n = p.getExpectedKeyOffsetsCount();
        if (n == 0) {
            return List.of();
        }
        if (n > AppendRequest.MAX_KEY_CONDITIONS) {
            throw RequestException.invalidRequest("expected_key_offsets for " + tp + " has " + n + " key conditions; at"
                    + " most " + AppendRequest.MAX_KEY_CONDITIONS + " are allowed");
        }
        List<AppendRequest.KeyCondition> out = new ArrayList<>(n);
        long keyBytes = 0;
        for (int i = 0; i < n; i++) {
            KeyCondition c = p.getExpectedKeyOffsets(i);
            if (c.getExpectedLastOffset() < -1) {
                throw RequestException.invalidRequest("expected_key_offsets[" + i + "].expected_last_offset "
                        + c.getExpectedLastOffset() + " for " + tp + " is not valid: use the offset of the key's last"
                        + " record, or -1 for a key without records");
            }
            keyBytes += c.getKey().size();
            out.add(new AppendRequest.KeyCondition(c.getKey().toByteArray(), c.getExpectedLastOffset()));
        }
        if (keyBytes > AppendRequest.MAX_KEY_CONDITION_BYTES) {
            throw RequestException.invalidRequest("the keys of expected_key_offsets for " + tp + " take " + keyBytes
                    + " bytes; at most " + AppendRequest.MAX_KEY_CONDITION_BYTES + " are allowed");
        }
        return out;
    }

    private ErrorDetail error(Throwable err, TopicPartition tp) {
        ErrorDetail d = ctx.errors().toDetail(err, tp);
        ctx.metrics().error("Produce", d.getCode().name());
        return d;
    }
}
