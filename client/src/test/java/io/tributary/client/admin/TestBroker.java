package io.tributary.client.admin;

import static org.awaitility.Awaitility.await;

import io.tributary.broker.Broker;
import io.tributary.broker.BrokerConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/** One real broker in this JVM on 127.0.0.1 with free ports and a temp dir (test scope only). */
final class TestBroker implements AutoCloseable {

    private final Broker broker;
    private final int port;

    /** A single-broker cluster. */
    TestBroker(Path dir, Map<String, String> extra) {
        this(dir, 1, freePort(), freePort(), null, extra);
    }

    /**
     * Broker {@code id} of a cluster whose controller voters are {@code voters} (null: this broker
     * alone, on {@code raftPort}).
     */
    TestBroker(Path dir, int id, int clientPort, int raftPort, String voters, Map<String, String> extra) {
        port = clientPort;
        int raft = raftPort;
        BrokerConfig.Builder b = BrokerConfig.builder().nodeId(id)
                .set(BrokerConfig.LISTEN_HOST, "127.0.0.1")
                .clientPort(port).raftPort(raft).metricsPort(freePort())
                .dataDirs(dir.resolve("broker-" + id))
                .controllerVoters(voters != null ? voters : id + "@127.0.0.1:" + raft)
                .set(BrokerConfig.SHUTDOWN_TIMEOUT_MS, "5000")
                .set(BrokerConfig.CLIENT_THREADS, "4")
                .set(BrokerConfig.GROUP_OFFSETS_TOPIC_PARTITIONS, "2");
        extra.forEach(b::set);
        try {
            broker = Broker.start(b.build());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (voters == null) {
            await().atMost(Duration.ofSeconds(60)).until(broker::isReady);
        }
    }

    boolean isReady() {
        return broker.isReady();
    }

    String bootstrap() {
        return "127.0.0.1:" + port;
    }

    @Override
    public void close() {
        broker.close();
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
