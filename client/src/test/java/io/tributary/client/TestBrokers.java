package io.tributary.client;

import static org.awaitility.Awaitility.await;

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
import io.tributary.proto.v1.TopicMetadata;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;

/**
 * Real brokers in the test JVM on 127.0.0.1, free ports and a temp dir each, for client tests:
 * {@code new TestBrokers(dir, 1).start()}, {@link #bootstrap()}, {@link #createTopic},
 * {@link #stopBroker}/{@link #startBroker}, {@link #leaderOf}. Closes everything in {@link #close}.
 * Topics are created with the raw gRPC API so these tests do not depend on the Admin client.
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
    private final ManagedChannel[] channels;

    public TestBrokers(Path dir, int size) {
        this(dir, size, Map.of());
    }

    public TestBrokers(Path dir, int size, Map<String, String> extra) {
        this.dir = dir;
        this.size = size;
        this.extra = extra;
        this.brokers = new Broker[size + 1];
        this.channels = new ManagedChannel[size + 1];
        for (int i = 0; i < size; i++) {
            ports.add(new int[] {freePort(), freePort(), freePort()});
        }
    }

    public TestBrokers start() {
        for (int i = 1; i <= size; i++) {
            startBroker(i);
        }
        for (int i = 1; i <= size; i++) {
            int id = i;
            await().atMost(Duration.ofSeconds(60)).until(() -> brokers[id].isReady());
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
                .set(BrokerConfig.CLIENT_THREADS, "4");
        extra.forEach(b::set);
        return b.build();
    }

    public Broker startBroker(int id) {
        try {
            brokers[id] = Broker.start(config(id));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return brokers[id];
    }

    public synchronized void stopBroker(int id) {
        if (channels[id] != null) {
            channels[id].shutdownNow();
            channels[id] = null;
        }
        if (brokers[id] != null) {
            brokers[id].close();
            brokers[id] = null;
        }
    }

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

    /** A running broker's channel, for raw API calls. */
    private synchronized ManagedChannel channel() {
        int id = 1;
        while (id < size && brokers[id] == null) {
            id++;
        }
        if (channels[id] == null) {
            channels[id] = ManagedChannelBuilder.forAddress("127.0.0.1", ports.get(id - 1)[0]).usePlaintext().build();
        }
        return channels[id];
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
