package io.tributary.client;

import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.tributary.broker.Broker;
import io.tributary.broker.BrokerConfig;
import io.tributary.proto.v1.AdminServiceGrpc;
import io.tributary.proto.v1.BrokerStatus;
import io.tributary.proto.v1.CreateTopicResult;
import io.tributary.proto.v1.CreateTopicsRequest;
import io.tributary.proto.v1.DescribeClusterRequest;
import io.tributary.proto.v1.MetadataRequest;
import io.tributary.proto.v1.MetadataServiceGrpc;
import io.tributary.proto.v1.NewTopic;
import io.tributary.proto.v1.PartitionMetadata;
import io.tributary.proto.v1.PartitionProduceData;
import io.tributary.proto.v1.PartitionProduceResult;
import io.tributary.proto.v1.ProduceRequest;
import io.tributary.proto.v1.ProduceServiceGrpc;
import io.tributary.proto.v1.TopicMetadata;
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
import java.util.StringJoiner;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Real brokers in the test JVM on 127.0.0.1, free ports and a temp dir each: the one harness of
 * the client module's tests (producer, consumer, admin). {@code new TestBrokers(dir, 1).start()},
 * {@link #bootstrap()}/{@link #address}, {@link #createTopic}, {@link #produce} (raw batches built
 * with {@link RecordBatchBuilder}, see {@link #recs}), {@link #stopBroker}/{@link #startBroker},
 * {@link #leaderOf}. Closes everything in {@link #close}. Topics are created and records produced
 * with the raw gRPC API so these tests do not depend on the Admin client or the producer.
 *
 * <p>The first three brokers are the controller voters; {@code extra} broker settings override the
 * defaults set here (a 3 s broker session, a 5 s shutdown, 4 client threads).
 *
 * <p>Thread-safety: for one test thread.
 */
public final class TestBrokers implements AutoCloseable {

    private static final Set<Integer> USED_PORTS = new HashSet<>();

    private final Path dir;
    private final int size;
    private final Map<String, String> extra;
    private final List<int[]> ports = new ArrayList<>();
    private final Broker[] brokers;
    private final Map<Integer, ManagedChannel> channels = new HashMap<>();

    public TestBrokers(Path dir, int size) {
        this(dir, size, Map.of());
    }

    public TestBrokers(Path dir, int size, Map<String, String> extra) {
        this.dir = dir;
        this.size = size;
        this.extra = extra;
        this.brokers = new Broker[size + 1];
        for (int i = 0; i < size; i++) {
            ports.add(new int[] {freePort(), freePort(), freePort()});
        }
    }

    /** Starts every broker and waits until each is ready and the controller sees all alive. */
    public TestBrokers start() {
        for (int i = 1; i <= size; i++) {
            startBroker(i);
        }
        for (int i = 1; i <= size; i++) {
            int id = i;
            await().atMost(Duration.ofSeconds(90)).until(() -> brokers[id].isReady());
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> metadata().describeCluster(
                DescribeClusterRequest.getDefaultInstance()).getBrokersList().stream()
                .filter(BrokerStatus::getAlive).count() == size);
        return this;
    }

    private BrokerConfig config(int id) {
        StringJoiner voters = new StringJoiner(",");
        for (int i = 1; i <= Math.min(size, 3); i++) {
            voters.add(i + "@127.0.0.1:" + ports.get(i - 1)[1]);
        }
        BrokerConfig.Builder b = BrokerConfig.builder().nodeId(id)
                .set(BrokerConfig.LISTEN_HOST, "127.0.0.1")
                .clientPort(ports.get(id - 1)[0]).raftPort(ports.get(id - 1)[1]).metricsPort(ports.get(id - 1)[2])
                .dataDirs(dir.resolve("broker-" + id))
                .controllerVoters(voters.toString())
                .set(BrokerConfig.BROKER_SESSION_TIMEOUT_MS, "3000")
                .set(BrokerConfig.SHUTDOWN_TIMEOUT_MS, "5000")
                .set(BrokerConfig.CLIENT_THREADS, "4")
                // Ratis' leader-to-follower retry backs off to 5 s after 30 failures (a stopped
                // broker), so a restarted broker waited up to 5 s to be caught up; retry every 100 ms.
                .set("raft.server.log.appender.retry.policy", "1ms,10, 100ms,1000000");
        extra.forEach(b::set);
        return b.build();
    }

    /** Starts (or restarts, on its data) broker {@code id}; does not wait until it is ready. */
    public Broker startBroker(int id) {
        try {
            brokers[id] = Broker.start(config(id));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return brokers[id];
    }

    public synchronized void stopBroker(int id) {
        ManagedChannel ch = channels.remove(id);
        if (ch != null) {
            ch.shutdownNow();
        }
        if (brokers[id] != null) {
            brokers[id].close();
            brokers[id] = null;
        }
    }

    /** The broker with this id, or null when stopped. */
    public Broker broker(int id) {
        return brokers[id];
    }

    /** {@code 127.0.0.1:port,...} of every broker. */
    public String bootstrap() {
        StringJoiner j = new StringJoiner(",");
        for (int[] p : ports) {
            j.add("127.0.0.1:" + p[0]);
        }
        return j.toString();
    }

    /** A channel to the first running broker, for raw API calls. */
    private synchronized ManagedChannel channel() {
        for (int i = 1; i <= size; i++) {
            if (brokers[i] != null) {
                return channelTo(i);
            }
        }
        throw new IllegalStateException("no broker is running");
    }

    private synchronized ManagedChannel channelTo(int id) {
        return channels.computeIfAbsent(id, i -> ManagedChannelBuilder.forAddress("127.0.0.1", ports.get(i - 1)[0])
                .usePlaintext().maxInboundMessageSize(256 * 1024 * 1024).build());
    }

    public MetadataServiceGrpc.MetadataServiceBlockingStub metadata() {
        return MetadataServiceGrpc.newBlockingStub(channel());
    }

    /** Creates a topic and waits until every partition has a leader. */
    public void createTopic(String name, int partitions, int rf, Map<String, String> configs) {
        CreateTopicResult r = AdminServiceGrpc.newBlockingStub(channel()).createTopics(CreateTopicsRequest.newBuilder()
                .addTopics(NewTopic.newBuilder().setName(name).setPartitionCount(partitions).setReplicationFactor(rf)
                        .putAllConfigs(configs)).setTimeoutMs(30_000).build()).getTopics(0);
        if (r.hasError()) {
            throw new AssertionError("creating " + name + " failed: " + r.getError());
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            TopicMetadata t = metadata().metadata(MetadataRequest.newBuilder().addTopics(name).build()).getTopics(0);
            return !t.hasError() && t.getPartitionsCount() == partitions
                    && t.getPartitionsList().stream().allMatch(p -> p.getLeaderId() >= 0);
        });
    }

    /** One record to produce. */
    public record Rec(String key, String value, long timestamp, List<Header> headers) {
        public Rec(String key, String value) {
            this(key, value, System.currentTimeMillis(), List.of());
        }
    }

    /** {@code n} records {@code prefix-k<i>} = {@code prefix-v<i>}. */
    public static List<Rec> recs(String prefix, int n) {
        return recs(prefix, n, 0);
    }

    /** {@code n} records {@code prefix-k<i>} = {@code prefix-v<i>} padded with 'x' to {@code valueBytes}. */
    public static List<Rec> recs(String prefix, int n, int valueBytes) {
        List<Rec> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String v = prefix + "-v" + i;
            out.add(new Rec(prefix + "-k" + i, v + "x".repeat(Math.max(0, valueBytes - v.length()))));
        }
        return out;
    }

    private static ByteBuffer bytes(String s) {
        return s == null ? null : ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Produces one batch to the partition's leader (asked of the first running broker, retried while
     * retriable); returns its base offset.
     */
    public long produce(String topic, int partition, Compression compression, List<Rec> records) {
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
            int leader = leaderOf(topic, partition);
            ManagedChannel ch = leader < 0 || brokers[leader] == null ? channel() : channelTo(leader);
            PartitionProduceResult p = ProduceServiceGrpc.newBlockingStub(ch).produce(req).getPartitions(0);
            last.set(p);
            if (p.hasError() && !p.getError().getRetriable()) {
                throw new AssertionError("produce to " + topic + "-" + partition + " failed: " + p.getError());
            }
            return !p.hasError();
        });
        return last.get().getBaseOffset();
    }

    /** {@code 127.0.0.1:port} of broker {@code id}'s client listener. */
    public String address(int id) {
        return "127.0.0.1:" + ports.get(id - 1)[0];
    }

    /** The address of the partition's leader (waits for one). */
    public String leaderAddress(String topic, int partition) {
        int[] leader = new int[1];
        await().atMost(Duration.ofSeconds(60)).until(() -> (leader[0] = leaderOf(topic, partition)) > 0);
        return address(leader[0]);
    }

    /** The partition's leader broker id (-1 when none). */
    public int leaderOf(String topic, int partition) {
        TopicMetadata t = metadata().metadata(MetadataRequest.newBuilder().addTopics(topic).build()).getTopics(0);
        for (PartitionMetadata p : t.getPartitionsList()) {
            if (p.getPartition() == partition) {
                return p.getLeaderId();
            }
        }
        return -1;
    }

    @Override
    public void close() {
        for (int i = 1; i <= size; i++) {
            stopBroker(i);
        }
        synchronized (this) {
            channels.values().forEach(ManagedChannel::shutdownNow);
            channels.clear();
        }
    }

    /** A free port on 127.0.0.1, never the same twice in this JVM. */
    public static synchronized int freePort() {
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
