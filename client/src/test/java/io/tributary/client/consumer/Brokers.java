package io.tributary.client.consumer;

import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.tributary.broker.Broker;
import io.tributary.broker.BrokerConfig;
import io.tributary.proto.v1.AdminServiceGrpc;
import io.tributary.proto.v1.CreateTopicResult;
import io.tributary.proto.v1.CreateTopicsRequest;
import io.tributary.proto.v1.DescribeClusterRequest;
import io.tributary.proto.v1.MetadataRequest;
import io.tributary.proto.v1.MetadataServiceGrpc;
import io.tributary.proto.v1.NewTopic;
import io.tributary.proto.v1.PartitionProduceData;
import io.tributary.proto.v1.PartitionProduceResult;
import io.tributary.proto.v1.ProduceRequest;
import io.tributary.proto.v1.ProduceResponse;
import io.tributary.proto.v1.ProduceServiceGrpc;
import io.tributary.record.Compression;
import io.tributary.record.Header;
import io.tributary.record.RecordBatch;
import io.tributary.record.RecordBatchBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Real brokers in the test JVM on 127.0.0.1 (free ports, a temp dir each) for consumer tests, and
 * raw gRPC helpers to create topics and produce batches built with {@link RecordBatchBuilder}.
 */
final class Brokers implements AutoCloseable {

    private static final Set<Integer> USED_PORTS = new HashSet<>();

    private final Path dir;
    private final int size;
    private final Map<String, String> extra;
    private final List<int[]> ports = new ArrayList<>();
    private final Broker[] brokers;

    Brokers(Path dir, int size, Map<String, String> extra) {
        this.dir = dir;
        this.size = size;
        this.extra = extra;
        this.brokers = new Broker[size + 1];
        for (int i = 0; i < size; i++) {
            ports.add(new int[] {freePort(), freePort(), freePort()});
        }
    }

    /** The broker with this id, or null when stopped. */
    Broker broker(int id) {
        return brokers[id];
    }

    Brokers start() {
        for (int i = 1; i <= size; i++) {
            startBroker(i);
        }
        for (int i = 1; i <= size; i++) {
            int id = i;
            await().atMost(Duration.ofSeconds(60)).until(() -> brokers[id].isReady());
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> metadata().describeCluster(
                DescribeClusterRequest.getDefaultInstance()).getBrokersList().stream()
                .filter(io.tributary.proto.v1.BrokerStatus::getAlive).count() == size);
        return this;
    }

    void startBroker(int id) {
        StringBuilder voters = new StringBuilder();
        for (int i = 1; i <= Math.min(size, 3); i++) {
            voters.append(i > 1 ? "," : "").append(i).append("@127.0.0.1:").append(ports.get(i - 1)[1]);
        }
        BrokerConfig.Builder b = BrokerConfig.builder().nodeId(id)
                .set(BrokerConfig.LISTEN_HOST, "127.0.0.1")
                .clientPort(ports.get(id - 1)[0]).raftPort(ports.get(id - 1)[1]).metricsPort(ports.get(id - 1)[2])
                .dataDirs(dir.resolve("broker-" + id))
                .controllerVoters(voters.toString())
                .set(BrokerConfig.BROKER_SESSION_TIMEOUT_MS, "3000")
                .set(BrokerConfig.SHUTDOWN_TIMEOUT_MS, "5000")
                .set(BrokerConfig.CLIENT_THREADS, "4");
        extra.forEach(b::set);
        try {
            brokers[id] = Broker.start(b.build());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    synchronized void stopBroker(int id) {
        ManagedChannel ch = others.remove(id);
        if (ch != null) {
            ch.shutdownNow();
        }
        if (brokers[id] != null) {
            brokers[id].close();
            brokers[id] = null;
        }
    }

    /** bootstrap.servers for a client. */
    String bootstrap() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < size; i++) {
            sb.append(i > 0 ? "," : "").append("127.0.0.1:").append(ports.get(i)[0]);
        }
        return sb.toString();
    }

    /** A channel to the first running broker. */
    private synchronized ManagedChannel channel() {
        for (int i = 1; i <= size; i++) {
            if (brokers[i] != null) {
                return channelTo(i);
            }
        }
        throw new IllegalStateException("no broker is running");
    }

    MetadataServiceGrpc.MetadataServiceBlockingStub metadata() {
        return MetadataServiceGrpc.newBlockingStub(channel());
    }

    /** Creates a topic and waits until every partition has a leader. */
    void createTopic(String name, int partitions, int rf, Map<String, String> configs) {
        CreateTopicResult r = AdminServiceGrpc.newBlockingStub(channel()).createTopics(CreateTopicsRequest.newBuilder()
                .addTopics(NewTopic.newBuilder().setName(name).setPartitionCount(partitions).setReplicationFactor(rf)
                        .putAllConfigs(configs)).setTimeoutMs(30_000).build()).getTopics(0);
        if (r.hasError()) {
            throw new AssertionError("creating " + name + " failed: " + r.getError());
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> metadata().metadata(MetadataRequest.newBuilder()
                .addTopics(name).build()).getTopics(0).getPartitionsList().stream().allMatch(p -> p.getLeaderId() >= 0));
    }

    /** One record to produce. */
    record Rec(String key, String value, long timestamp, List<Header> headers) {
        Rec(String key, String value) {
            this(key, value, System.currentTimeMillis(), List.of());
        }
    }

    static ByteBuffer bytes(String s) {
        return s == null ? null : ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    /** Produces one batch to the partition's leader (asked of broker 1, retried while retriable); returns its base offset. */
    long produce(String topic, int partition, Compression compression, List<Rec> records) {
        RecordBatchBuilder b = new RecordBatchBuilder(compression, 16 * 1024 * 1024);
        for (Rec r : records) {
            b.append(r.timestamp(), bytes(r.key()), bytes(r.value()), r.headers().toArray(Header[]::new));
        }
        RecordBatch batch = b.build();
        ProduceRequest req = ProduceRequest.newBuilder().setTimeoutMs(30_000).addPartitions(PartitionProduceData
                .newBuilder().setTopic(topic).setPartition(partition).setRecords(ByteString.copyFrom(batch.buffer())))
                .build();
        AtomicReference<PartitionProduceResult> last = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                .ignoreException(io.grpc.StatusRuntimeException.class).until(() -> {
            int leader = metadata().metadata(MetadataRequest.newBuilder().addTopics(topic).build()).getTopics(0)
                    .getPartitions(partition).getLeaderId();
            ManagedChannel ch = leader < 0 || brokers[leader] == null ? channel() : channelTo(leader);
            ProduceResponse resp = ProduceServiceGrpc.newBlockingStub(ch).produce(req);
            PartitionProduceResult p = resp.getPartitions(0);
            last.set(p);
            if (p.hasError() && !p.getError().getRetriable()) {
                throw new AssertionError("produce to " + topic + "-" + partition + " failed: " + p.getError());
            }
            return !p.hasError();
        });
        return last.get().getBaseOffset();
    }

    private final Map<Integer, ManagedChannel> others = new HashMap<>();

    private synchronized ManagedChannel channelTo(int id) {
        return others.computeIfAbsent(id, i -> ManagedChannelBuilder.forAddress("127.0.0.1", ports.get(i - 1)[0])
                .usePlaintext().maxInboundMessageSize(256 * 1024 * 1024).build());
    }

    @Override
    public void close() {
        others.values().forEach(ManagedChannel::shutdownNow);
        for (int i = 1; i <= size; i++) {
            stopBroker(i);
        }
    }

    static synchronized int freePort() {
        while (true) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
                int p = s.getLocalPort();
                if (USED_PORTS.add(p)) {
                    return p;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
