package io.tributary.broker;

import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.tributary.proto.v1.AdminServiceGrpc;
import io.tributary.proto.v1.CreateTopicResult;
import io.tributary.proto.v1.CreateTopicsRequest;
import io.tributary.proto.v1.FetchServiceGrpc;
import io.tributary.proto.v1.MetadataServiceGrpc;
import io.tributary.proto.v1.NewTopic;
import io.tributary.proto.v1.ProduceServiceGrpc;
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

/**
 * Real brokers in this JVM on 127.0.0.1, free ports and a temp dir each: {@code start()},
 * {@code broker(i)}, stubs per broker, {@code createTopic}. Closes everything in {@link #close}.
 */
public final class TestCluster implements AutoCloseable {

    private static final Set<Integer> USED_PORTS = new HashSet<>();

    private final Path dir;
    private final int size;
    private final Map<String, String> extra;
    private final List<int[]> ports = new ArrayList<>();
    private final Broker[] brokers;
    private final ManagedChannel[] channels;

    public TestCluster(Path dir, int size, Map<String, String> extra) {
        this.dir = dir;
        this.size = size;
        this.extra = extra;
        this.brokers = new Broker[size + 1];
        this.channels = new ManagedChannel[size + 1];
        for (int i = 0; i < size; i++) {
            ports.add(new int[] {freePort(), freePort(), freePort()});
        }
    }

    public TestCluster start() {
        for (int i = 1; i <= size; i++) {
            startBroker(i);
        }
        for (int i = 1; i <= size; i++) {
            int id = i;
            await().atMost(Duration.ofSeconds(60)).until(() -> brokers[id].isReady());
        }
        // Every broker registered and seen alive by the view of broker 1.
        await().atMost(Duration.ofSeconds(60)).until(() -> brokers[1].isReady()
                && metadata(1).describeCluster(io.tributary.proto.v1.DescribeClusterRequest.getDefaultInstance())
                        .getBrokersList().stream().filter(io.tributary.proto.v1.BrokerStatus::getAlive).count() == size);
        return this;
    }

    public BrokerConfig config(int id) {
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
                .set(BrokerConfig.CLIENT_THREADS, "4")
                // Ratis' leader-to-follower retry backs off to 5 s after 30 failures (a stopped
                // broker), so a restarted broker waited up to 5 s to be caught up; retry every 100 ms.
                .set("raft.server.log.appender.retry.policy", "1ms,10, 100ms,1000000");
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

    public void stopBroker(int id) {
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

    public int size() {
        return size;
    }

    public synchronized ManagedChannel channel(int id) {
        if (channels[id] == null) {
            channels[id] = ManagedChannelBuilder.forAddress("127.0.0.1", ports.get(id - 1)[0]).usePlaintext()
                    .maxInboundMessageSize(256 * 1024 * 1024).build();
        }
        return channels[id];
    }

    public ProduceServiceGrpc.ProduceServiceBlockingStub produce(int id) {
        return ProduceServiceGrpc.newBlockingStub(channel(id));
    }

    public FetchServiceGrpc.FetchServiceBlockingStub fetch(int id) {
        return FetchServiceGrpc.newBlockingStub(channel(id));
    }

    public MetadataServiceGrpc.MetadataServiceBlockingStub metadata(int id) {
        return MetadataServiceGrpc.newBlockingStub(channel(id));
    }

    public AdminServiceGrpc.AdminServiceBlockingStub admin(int id) {
        return AdminServiceGrpc.newBlockingStub(channel(id));
    }

    public int metricsPort(int id) {
        return ports.get(id - 1)[2];
    }

    /** Creates a topic through broker 1 and waits for its leaders; fails the test on an error. */
    public CreateTopicResult createTopic(String name, int partitions, int rf, Map<String, String> configs) {
        CreateTopicResult r = admin(1).createTopics(CreateTopicsRequest.newBuilder().addTopics(NewTopic.newBuilder()
                .setName(name).setPartitionCount(partitions).setReplicationFactor(rf).putAllConfigs(configs))
                .setTimeoutMs(30_000).build()).getTopics(0);
        if (r.hasError()) {
            throw new AssertionError("creating " + name + " failed: " + r.getError());
        }
        return r;
    }

    /**
     * Produces like a client does: a partition failing with a retriable error (a leader elected a
     * moment ago that has not committed in its term yet, a leader moving) is sent again.
     */
    public io.tributary.proto.v1.ProduceResponse produceRetrying(int id, io.tributary.proto.v1.ProduceRequest request) {
        java.util.concurrent.atomic.AtomicReference<io.tributary.proto.v1.ProduceResponse> last =
                new java.util.concurrent.atomic.AtomicReference<>();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> {
            io.tributary.proto.v1.ProduceResponse r = produce(id).produce(request);
            last.set(r);
            return r.getPartitionsList().stream().noneMatch(p -> p.hasError() && p.getError().getRetriable());
        });
        return last.get();
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
