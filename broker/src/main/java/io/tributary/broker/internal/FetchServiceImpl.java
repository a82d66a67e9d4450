package io.tributary.broker.internal;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.tributary.proto.v1.ErrorDetail;
import io.tributary.proto.v1.FetchPartition;
import io.tributary.proto.v1.FetchRequest;
import io.tributary.proto.v1.FetchResponse;
import io.tributary.proto.v1.FetchServiceGrpc;
import io.tributary.proto.v1.ListOffsetsPartition;
import io.tributary.proto.v1.ListOffsetsRequest;
import io.tributary.proto.v1.ListOffsetsResponse;
import io.tributary.proto.v1.ListOffsetsResult;
import io.tributary.proto.v1.OffsetSpec;
import io.tributary.proto.v1.SubscribePartition;
import io.tributary.proto.v1.SubscribeRequest;
import io.tributary.proto.v1.SubscribeResponse;
import io.tributary.log.TimestampOffset;
import io.tributary.replication.PartitionReplica;
import io.tributary.replication.TopicPartition;

import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * FetchService: long-poll Fetch ({@link LongPollFetch}), flow-controlled Subscribe
 * ({@link Subscription}) and ListOffsets. Reads are served by partition leaders only, up to the
 * high watermark; waiting is done on high-watermark futures and a timer, never on a thread.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class FetchServiceImpl extends FetchServiceGrpc.FetchServiceImplBase {

    /** Response bytes when a request says 0. */
    static final int DEFAULT_MAX_BYTES = 2 * 1024 * 1024;
    /** Per-partition bytes when a request says 0. */
    static final int DEFAULT_PARTITION_MAX_BYTES = 1024 * 1024;
    /** The most bytes of records the broker puts in one response, whatever the request says. */
    static final int MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
    /** The longest a Fetch may wait. */
    static final int MAX_WAIT_MS = 5 * 60_000;

    private final BrokerContext ctx;

    public FetchServiceImpl(BrokerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void fetch(FetchRequest request, StreamObserver<FetchResponse> out) {
        long start = System.nanoTime();
        try {
            validate(request);
        } catch (RuntimeException e) {
            fail(out, "Fetch", e, start);
            return;
        }
        new LongPollFetch(ctx, request, (ServerCallStreamObserver<FetchResponse>) out, start).start();
    }

    @Override
    public void subscribe(SubscribeRequest request, StreamObserver<SubscribeResponse> out) {
        long start = System.nanoTime();
        try {
            validate(request);
        } catch (RuntimeException e) {
            fail(out, "Subscribe", e, start);
            return;
        }
        new Subscription(ctx, request, (ServerCallStreamObserver<SubscribeResponse>) out).start();
    }

    @Override
    public void listOffsets(ListOffsetsRequest request, StreamObserver<ListOffsetsResponse> out) {
        long start = System.nanoTime();
        ListOffsetsResponse response;
        try {
            response = listOffsets(request);
        } catch (RuntimeException e) {
            fail(out, "ListOffsets", e, start);
            return;
        }
        out.onNext(response);
        out.onCompleted();
        ctx.metrics().request("ListOffsets", start);
    }

    private ListOffsetsResponse listOffsets(ListOffsetsRequest request) {
        if (request.getPartitionsCount() == 0) {
            throw RequestException.invalidRequest("partitions is empty: name at least one partition to look up");
        }
        Set<String> seen = new HashSet<>();
        for (ListOffsetsPartition p : request.getPartitionsList()) {
            String name = p.getTopic() + "-" + p.getPartition();
            unique(seen, p.getTopic(), p.getPartition());
            if (p.getSpec() == OffsetSpec.OFFSET_SPEC_UNSPECIFIED || p.getSpec() == OffsetSpec.UNRECOGNIZED) {
                throw RequestException.invalidRequest("spec of " + name + " is not set: use OFFSET_SPEC_EARLIEST,"
                        + " OFFSET_SPEC_LATEST or OFFSET_SPEC_TIMESTAMP");
            }
            if (p.getSpec() == OffsetSpec.OFFSET_SPEC_TIMESTAMP && p.getTimestampMs() < 0) {
                throw RequestException.invalidRequest("timestamp_ms " + p.getTimestampMs() + " of " + name
                        + " is negative: give a time in ms since the epoch");
            }
        }
        ListOffsetsResponse.Builder b = ListOffsetsResponse.newBuilder();
        for (ListOffsetsPartition p : request.getPartitionsList()) {
            ListOffsetsResult.Builder r = ListOffsetsResult.newBuilder().setTopic(p.getTopic())
                    .setPartition(p.getPartition()).setOffset(-1).setTimestampMs(-1);
            TopicPartition tp = null;
            try {
                PartitionReplica replica = ctx.leaderReplica(p.getTopic(), p.getPartition());
                tp = replica.topicPartition();
                switch (p.getSpec()) {
                    case OFFSET_SPEC_EARLIEST:
                        r.setOffset(replica.logStartOffset());
                        break;
                    case OFFSET_SPEC_LATEST:
                        r.setOffset(replica.highWatermark());
                        break;
                    default:
                        Optional<TimestampOffset> found = replica.offsetForTimestamp(p.getTimestampMs());
                        found.ifPresent(t -> r.setOffset(t.offset()).setTimestampMs(t.timestamp()));
                        break;
                }
            } catch (RuntimeException e) {
                ErrorDetail d = ctx.errors().toDetail(e, tp);
                ctx.metrics().error("ListOffsets", d.getCode().name());
                r.setError(d);
            }
            b.addPartitions(r);
        }
        return b.build();
    }

    private static void validate(FetchRequest request) {
        if (request.getPartitionsCount() == 0) {
            throw RequestException.invalidRequest("partitions is empty: name at least one partition to fetch");
        }
        if (request.getMaxWaitMs() < 0 || request.getMaxWaitMs() > MAX_WAIT_MS) {
            throw RequestException.invalidRequest("max_wait_ms " + request.getMaxWaitMs() + " is not valid: use 0.."
                    + MAX_WAIT_MS);
        }
        if (request.getMinBytes() < 0) {
            throw RequestException.invalidRequest("min_bytes " + request.getMinBytes() + " is negative");
        }
        if (request.getMaxBytes() < 0) {
            throw RequestException.invalidRequest("max_bytes " + request.getMaxBytes() + " is negative: use 0 for the"
                    + " broker's default or a positive size");
        }
        Set<String> seen = new HashSet<>();
        for (FetchPartition p : request.getPartitionsList()) {
            unique(seen, p.getTopic(), p.getPartition());
            if (p.getMaxBytes() < 0) {
                throw RequestException.invalidRequest("max_bytes " + p.getMaxBytes() + " of " + p.getTopic() + "-"
                        + p.getPartition() + " is negative: use 0 for the broker's default or a positive size");
            }
        }
    }

    private static void validate(SubscribeRequest request) {
        if (request.getPartitionsCount() == 0) {
            throw RequestException.invalidRequest("partitions is empty: name at least one partition to subscribe to");
        }
        if (request.getMaxBytes() < 0) {
            throw RequestException.invalidRequest("max_bytes " + request.getMaxBytes() + " is negative: use 0 for the"
                    + " broker's default or a positive size");
        }
        Set<String> seen = new HashSet<>();
        for (SubscribePartition p : request.getPartitionsList()) {
            unique(seen, p.getTopic(), p.getPartition());
        }
    }

    private static void unique(Set<String> seen, String topic, int partition) {
        if (!seen.add(topic + "\u0000" + partition)) {
            throw RequestException.invalidRequest("partition " + topic + "-" + partition
                    + " appears more than once in the request");
        }
    }

    /** A request's total byte budget: 0 means the default, and the broker caps it. */
    static int totalBudget(int requested) {
        return requested == 0 ? DEFAULT_MAX_BYTES : Math.min(requested, MAX_RESPONSE_BYTES);
    }

    static int partitionBudget(int requested) {
        return requested == 0 ? DEFAULT_PARTITION_MAX_BYTES : Math.min(requested, MAX_RESPONSE_BYTES);
    }

    private <T> void fail(StreamObserver<T> out, String rpc, Throwable err, long start) {
        ErrorDetail d = ctx.errors().toDetail(err, null);
        ctx.metrics().error(rpc, d.getCode().name());
        ctx.metrics().request(rpc, start);
        try {
            out.onError(ErrorMapper.toStatus(d));
        } catch (RuntimeException e) {
            // Cancelled meanwhile.
        }
    }
}
