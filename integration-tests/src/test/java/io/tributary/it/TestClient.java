package io.tributary.it;

import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.StatusProto;
import io.tributary.proto.v1.AdminServiceGrpc;
import io.tributary.proto.v1.CreateTopicsRequest;
import io.tributary.proto.v1.CreateTopicsResponse;
import io.tributary.proto.v1.DescribeClusterRequest;
import io.tributary.proto.v1.DescribeClusterResponse;
import io.tributary.proto.v1.DescribeTopicsRequest;
import io.tributary.proto.v1.ErrorCode;
import io.tributary.proto.v1.ErrorDetail;
import io.tributary.proto.v1.FetchPartition;
import io.tributary.proto.v1.FetchRequest;
import io.tributary.proto.v1.FetchServiceGrpc;
import io.tributary.proto.v1.MetadataRequest;
import io.tributary.proto.v1.MetadataResponse;
import io.tributary.proto.v1.MetadataServiceGrpc;
import io.tributary.proto.v1.NewTopic;
import io.tributary.proto.v1.PartitionDescription;
import io.tributary.proto.v1.PartitionMetadata;
import io.tributary.proto.v1.PartitionProduceData;
import io.tributary.proto.v1.PartitionProduceResult;
import io.tributary.proto.v1.PartitionRecords;
import io.tributary.proto.v1.ProduceRequest;
import io.tributary.proto.v1.ProduceResponse;
import io.tributary.proto.v1.ProduceServiceGrpc;
import io.tributary.proto.v1.TopicDescription;
import io.tributary.proto.v1.TopicMetadata;
import io.tributary.record.RecordBatch;
import io.tributary.record.RecordBatches;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.awaitility.core.ConditionTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small gRPC client for the tests, on the generated {@code tributary.v1} stubs: produce with
 * retries across leader changes, fetch, metadata, topic admin. Not the SDK (issue 4): it does only
 * what the tests need, plainly.
 *
 * <p>Routing: it learns leaders from {@code Metadata}, asked of the brokers it is given in turn;
 * on {@code NOT_LEADER} it follows the leader hint, on anything retriable (or a broker that cannot
 * be reached) it asks for metadata again and retries, polling with Awaitility until the call's
 * overall timeout. Retried produces are not idempotent: a batch whose first attempt timed out may be
 * written twice; the tests check the offsets that were acknowledged.
 *
 * <p>Thread-safety: thread-safe (channels and leader cache in concurrent maps).
 */
public final class TestClient implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TestClient.class);
    private static final Duration RPC_DEADLINE = Duration.ofSeconds(8);
    private static final int PRODUCE_TIMEOUT_MS = 5_000;

    private final Supplier<List<String>> bootstrap;
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
    /** Leader address per partition, as last learned. */
    private final Map<TopicPartition, String> leaders = new ConcurrentHashMap<>();
    private final AtomicInteger nextBootstrap = new AtomicInteger();
    /** The last failure per partition, for the message of a call that times out. */
    private final Map<TopicPartition, String> lastError = new ConcurrentHashMap<>();

    /** @param bootstrap the client addresses ({@code host:port}) of the brokers to ask for metadata, re-read on each refresh */
    public TestClient(Supplier<List<String>> bootstrap) {
        this.bootstrap = bootstrap;
    }

    // ------------------------------------------------------------------ channels

    ManagedChannel channel(String address) {
        return channels.computeIfAbsent(address, a -> {
            int colon = a.lastIndexOf(':');
            return NettyChannelBuilder.forAddress(a.substring(0, colon), Integer.parseInt(a.substring(colon + 1)))
                    .usePlaintext()
                    .maxInboundMessageSize(64 * 1024 * 1024)
                    .build();
        });
    }

    /** Makes the channel to {@code address} reconnect at once (after its broker restarted). */
    void resetBackoff(String address) {
        ManagedChannel channel = channels.get(address);
        if (channel != null) {
            channel.resetConnectBackoff();
        }
    }

    // ------------------------------------------------------------------ metadata and admin

    /** Metadata from the next bootstrap broker that answers; empty when none does. */
    public Optional<MetadataResponse> metadata(String... topics) {
        List<String> addresses = bootstrap.get();
        for (int i = 0; i < addresses.size(); i++) {
            String address = addresses.get(Math.floorMod(nextBootstrap.getAndIncrement(), addresses.size()));
            try {
                return Optional.of(metadataFrom(address, topics));
            } catch (StatusRuntimeException e) {
                LOG.debug("metadata from {} failed: {}", address, e.getStatus());
                resetBackoff(address);
            }
        }
        return Optional.empty();
    }

    public MetadataResponse metadataFrom(String address, String... topics) {
        return MetadataServiceGrpc.newBlockingStub(channel(address))
                .withDeadlineAfter(RPC_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .metadata(MetadataRequest.newBuilder().addAllTopics(List.of(topics)).build());
    }

    public DescribeClusterResponse describeCluster(String address) {
        return MetadataServiceGrpc.newBlockingStub(channel(address))
                .withDeadlineAfter(RPC_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .describeCluster(DescribeClusterRequest.getDefaultInstance());
    }

    /** Leader id of the partition per the metadata of the next broker that answers; -1 if none known. */
    public int leaderId(TopicPartition tp) {
        return metadata(tp.topic()).flatMap(m -> partitionMetadata(m, tp)).map(PartitionMetadata::getLeaderId).orElse(-1);
    }

    static Optional<PartitionMetadata> partitionMetadata(MetadataResponse metadata, TopicPartition tp) {
        for (TopicMetadata topic : metadata.getTopicsList()) {
            if (topic.getName().equals(tp.topic())) {
                for (PartitionMetadata partition : topic.getPartitionsList()) {
                    if (partition.getPartition() == tp.partition()) {
                        return Optional.of(partition);
                    }
                }
            }
        }
        return Optional.empty();
    }

    static Optional<String> brokerAddress(MetadataResponse metadata, int brokerId) {
        return metadata.getBrokersList().stream()
                .filter(b -> b.getBrokerId() == brokerId)
                .map(b -> b.getHost() + ":" + b.getPort())
                .findFirst();
    }

    /**
     * Creates a topic, retrying while the controller is not available; a topic that already exists
     * (an earlier attempt that timed out on our side) counts as created.
     */
    public void createTopic(String name, int partitions, int replicationFactor, Map<String, String> configs,
                            Duration timeout) {
        NewTopic topic = NewTopic.newBuilder().setName(name).setPartitionCount(partitions)
                .setReplicationFactor(replicationFactor).putAllConfigs(configs).build();
        CreateTopicsRequest request = CreateTopicsRequest.newBuilder().addTopics(topic)
                .setTimeoutMs((int) Math.min(timeout.toMillis(), 30_000)).build();
        await("create topic " + name).atMost(timeout).pollInterval(Duration.ofMillis(200)).until(() -> {
            for (String address : bootstrap.get()) {
                try {
                    CreateTopicsResponse response = AdminServiceGrpc.newBlockingStub(channel(address))
                            .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                            .createTopics(request);
                    ErrorDetail error = response.getTopics(0).getError();
                    if (error.getCode() == ErrorCode.NONE || error.getCode() == ErrorCode.TOPIC_ALREADY_EXISTS) {
                        return true;
                    }
                    if (!error.getRetriable()) {
                        throw new AssertionError("CreateTopics " + name + " failed: " + error.getCode() + " " + error.getMessage());
                    }
                    LOG.info("CreateTopics {} via {}: {} {}; retrying", name, address, error.getCode(), error.getMessage());
                } catch (StatusRuntimeException e) {
                    if (!isRetriable(e)) {
                        throw new AssertionError("CreateTopics " + name + " failed: " + describe(e), e);
                    }
                    LOG.info("CreateTopics {} via {}: {}; retrying", name, address, describe(e));
                }
            }
            return false;
        });
    }

    /** DescribeTopics of one topic from the next broker that answers. */
    public Optional<TopicDescription> describeTopic(String name) {
        for (String address : bootstrap.get()) {
            try {
                TopicDescription description = AdminServiceGrpc.newBlockingStub(channel(address))
                        .withDeadlineAfter(RPC_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                        .describeTopics(DescribeTopicsRequest.newBuilder().addNames(name).build())
                        .getTopics(0);
                if (description.getError().getCode() == ErrorCode.NONE) {
                    return Optional.of(description);
                }
            } catch (StatusRuntimeException e) {
                LOG.debug("DescribeTopics from {} failed: {}", address, e.getStatus());
            }
        }
        return Optional.empty();
    }

    public static List<PartitionDescription> partitions(TopicDescription description) {
        return description.getPartitionsList();
    }

    // ------------------------------------------------------------------ produce

    /**
     * Produces one batch (ACKS_ALL), retrying across leader changes until it is acknowledged or
     * {@code timeout} passes; returns the base offset the broker assigned.
     */
    public long produce(TopicPartition tp, RecordBatch batch, Duration timeout) {
        return produce(tp, batch, timeout, Duration.ofMillis(50));
    }

    /** {@link #produce(TopicPartition, RecordBatch, Duration)} with the pause between attempts. */
    public long produce(TopicPartition tp, RecordBatch batch, Duration timeout, Duration retryInterval) {
        try {
            return await("produce to " + tp).atMost(timeout).pollInterval(retryInterval).pollDelay(Duration.ZERO)
                    .until(() -> tryProduce(tp, batch), Optional::isPresent).orElseThrow();
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("produce to " + tp + " not acknowledged within " + timeout + "; last failure: "
                    + lastError.getOrDefault(tp, "no leader known"), e);
        }
    }

    /**
     * One attempt at the partition's leader as last known (learning it from metadata if needed):
     * the base offset, or empty after a retriable failure (the leader cache is updated from the
     * hint, or dropped). Throws on a failure that no retry can fix.
     */
    public Optional<Long> tryProduce(TopicPartition tp, RecordBatch batch) {
        String address = leaders.get(tp);
        if (address == null) {
            address = refreshLeader(tp).orElse(null);
            if (address == null) {
                return Optional.empty();
            }
        }
        try {
            PartitionProduceResult result = produceTo(address, tp, batch);
            return handle(tp, address, "produce", result.getError(), () -> result.getBaseOffset());
        } catch (StatusRuntimeException e) {
            return handle(tp, address, "produce", e);
        }
    }

    /** One produce call to the given broker, no retry: its result for the partition. */
    public PartitionProduceResult produceTo(String address, TopicPartition tp, RecordBatch batch) {
        ProduceRequest request = ProduceRequest.newBuilder()
                .addPartitions(PartitionProduceData.newBuilder()
                        .setTopic(tp.topic()).setPartition(tp.partition())
                        .setRecords(ByteString.copyFrom(batch.buffer())))
                .setTimeoutMs(PRODUCE_TIMEOUT_MS)
                .build();
        ProduceResponse response = ProduceServiceGrpc.newBlockingStub(channel(address))
                .withDeadlineAfter(PRODUCE_TIMEOUT_MS + 2_000L, TimeUnit.MILLISECONDS)
                .produce(request);
        return response.getPartitions(0);
    }

    // ------------------------------------------------------------------ fetch

    /** One fetch of the partition at {@code offset} from its leader, retrying until {@code timeout}. */
    public PartitionRecords fetch(TopicPartition tp, long offset, int maxBytes, Duration timeout) {
        try {
            return await("fetch " + tp + " at " + offset).atMost(timeout).pollInterval(Duration.ofMillis(50))
                    .pollDelay(Duration.ZERO)
                    .until(() -> tryFetch(tp, offset, maxBytes), Optional::isPresent).orElseThrow();
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("fetch of " + tp + " at " + offset + " failed for " + timeout + "; last failure: "
                    + lastError.getOrDefault(tp, "no leader known"), e);
        }
    }

    private Optional<PartitionRecords> tryFetch(TopicPartition tp, long offset, int maxBytes) {
        String address = leaders.get(tp);
        if (address == null) {
            address = refreshLeader(tp).orElse(null);
            if (address == null) {
                return Optional.empty();
            }
        }
        try {
            FetchRequest request = FetchRequest.newBuilder()
                    .addPartitions(FetchPartition.newBuilder().setTopic(tp.topic()).setPartition(tp.partition())
                            .setFetchOffset(offset).setMaxBytes(maxBytes))
                    .setMaxWaitMs(0)
                    .setMaxBytes(maxBytes)
                    .build();
            PartitionRecords records = FetchServiceGrpc.newBlockingStub(channel(address))
                    .withDeadlineAfter(RPC_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                    .fetch(request).getPartitions(0);
            return handle(tp, address, "fetch", records.getError(), () -> records);
        } catch (StatusRuntimeException e) {
            return handle(tp, address, "fetch", e);
        }
    }

    /**
     * Every batch of the partition from {@code fromOffset} (a batch boundary) up to at least
     * {@code endOffset}, in order, fetched from the leader.
     */
    public List<RecordBatch> readAll(TopicPartition tp, long fromOffset, long endOffset, Duration timeout) {
        List<RecordBatch> batches = new ArrayList<>();
        long offset = fromOffset;
        long deadline = System.nanoTime() + timeout.toNanos();
        while (offset < endOffset) {
            Duration left = Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
            PartitionRecords records = fetch(tp, offset, 1024 * 1024, left);
            ByteBuffer bytes = records.getRecords().asReadOnlyByteBuffer();
            boolean progressed = false;
            for (RecordBatch batch : RecordBatches.iterate(bytes)) {
                if (batch.lastOffset() < offset) {
                    continue;
                }
                batches.add(batch);
                offset = batch.nextOffset();
                progressed = true;
            }
            if (!progressed && System.nanoTime() > deadline) {
                throw new AssertionError("fetch of " + tp + " made no progress at offset " + offset
                        + " before the timeout; high watermark " + records.getHighWatermark() + ", wanted " + endOffset);
            }
        }
        return batches;
    }

    // ------------------------------------------------------------------ errors and routing

    private <T> Optional<T> handle(TopicPartition tp, String address, String what, ErrorDetail error, Supplier<T> success) {
        if (error.getCode() == ErrorCode.NONE) {
            lastError.remove(tp);
            return Optional.of(success.get());
        }
        lastError.put(tp, what + " at " + address + ": " + error.getCode() + " " + error.getMessage());
        if (error.getCode() == ErrorCode.NOT_LEADER && error.hasLeader() && error.getLeader().getPort() > 0) {
            String hinted = error.getLeader().getHost() + ":" + error.getLeader().getPort();
            LOG.debug("{} {} at {}: not the leader, hint {}", what, tp, address, hinted);
            if (hinted.equals(address)) {
                leaders.remove(tp);
            } else {
                leaders.put(tp, hinted);
            }
            return Optional.empty();
        }
        if (error.getRetriable() || error.getCode() == ErrorCode.NOT_LEADER
                || error.getCode() == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
            // UNKNOWN_TOPIC_OR_PARTITION: a broker whose metadata has not seen a new topic yet.
            LOG.debug("{} {} at {}: {} {}; retrying", what, tp, address, error.getCode(), error.getMessage());
            leaders.remove(tp);
            return Optional.empty();
        }
        throw new AssertionError(what + " " + tp + " at " + address + " failed: " + error.getCode() + " " + error.getMessage());
    }

    private <T> Optional<T> handle(TopicPartition tp, String address, String what, StatusRuntimeException e) {
        lastError.put(tp, what + " at " + address + ": " + describe(e));
        if (!isRetriable(e)) {
            throw new AssertionError(what + " " + tp + " at " + address + " failed: " + describe(e), e);
        }
        LOG.debug("{} {} at {}: {}; retrying", what, tp, address, describe(e));
        ErrorDetail detail = detail(e);
        if (detail != null && detail.getCode() == ErrorCode.NOT_LEADER && detail.hasLeader()
                && detail.getLeader().getPort() > 0) {
            leaders.put(tp, detail.getLeader().getHost() + ":" + detail.getLeader().getPort());
        } else {
            leaders.remove(tp);
            resetBackoff(address);
        }
        return Optional.empty();
    }

    /** Asks metadata for the partition's leader and caches its address. */
    private Optional<String> refreshLeader(TopicPartition tp) {
        Optional<MetadataResponse> metadata = metadata(tp.topic());
        if (metadata.isEmpty()) {
            lastError.put(tp, "no broker answered Metadata");
            return Optional.empty();
        }
        Optional<String> address = partitionMetadata(metadata.get(), tp)
                .filter(p -> p.getLeaderId() >= 0 && p.getError().getCode() == ErrorCode.NONE)
                .flatMap(p -> brokerAddress(metadata.get(), p.getLeaderId()));
        address.ifPresent(a -> leaders.put(tp, a));
        if (address.isEmpty()) {
            lastError.put(tp, "Metadata names no leader: " + partitionMetadata(metadata.get(), tp)
                    .map(p -> "leader " + p.getLeaderId() + ", error " + p.getError().getCode()).orElse("partition unknown"));
        }
        return address;
    }

    static boolean isRetriable(StatusRuntimeException e) {
        ErrorDetail detail = detail(e);
        if (detail != null) {
            return detail.getRetriable() || detail.getCode() == ErrorCode.NOT_LEADER;
        }
        // No ErrorDetail: not from the broker's mapper but from the transport (errors.proto). UNKNOWN is
        // what gRPC reports when the connection closes under a call in flight (the broker was killed).
        Status.Code code = e.getStatus().getCode();
        return code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED
                || code == Status.Code.CANCELLED || code == Status.Code.RESOURCE_EXHAUSTED
                || code == Status.Code.UNKNOWN;
    }

    static ErrorDetail detail(StatusRuntimeException e) {
        com.google.rpc.Status status = StatusProto.fromThrowable(e);
        if (status == null || status.getDetailsCount() == 0) {
            return null;
        }
        try {
            return status.getDetails(0).unpack(ErrorDetail.class);
        } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
            return null;
        }
    }

    static String describe(StatusRuntimeException e) {
        ErrorDetail detail = detail(e);
        return e.getStatus().getCode() + (detail == null ? " " + e.getStatus().getDescription()
                : " " + detail.getCode() + " " + detail.getMessage());
    }

    @Override
    public void close() {
        for (ManagedChannel channel : channels.values()) {
            channel.shutdownNow();
        }
        for (ManagedChannel channel : channels.values()) {
            try {
                channel.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        channels.clear();
    }
}
