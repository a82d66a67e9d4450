package io.tributary.cli;

import static org.awaitility.Awaitility.await;

import io.tributary.broker.Broker;
import io.tributary.broker.BrokerConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;

/** One real broker in this JVM on 127.0.0.1 with free ports and a temp dir (test scope only). */
final class TestBroker implements AutoCloseable {

    private final Broker broker;
    private final int port;

    TestBroker(Path dir) {
        port = freePort();
        int raft = freePort();
        BrokerConfig config = BrokerConfig.builder().nodeId(1)
                .set(BrokerConfig.LISTEN_HOST, "127.0.0.1")
                .clientPort(port).raftPort(raft).metricsPort(freePort())
                .dataDirs(dir.resolve("broker-1"))
                .controllerVoters("1@127.0.0.1:" + raft)
                .set(BrokerConfig.SHUTDOWN_TIMEOUT_MS, "5000")
                .set(BrokerConfig.CLIENT_THREADS, "4")
                .set(BrokerConfig.GROUP_OFFSETS_TOPIC_PARTITIONS, "2")
                .set(BrokerConfig.DEFAULT_REPLICATION_FACTOR, "1")
                .build();
        try {
            broker = Broker.start(config);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        await().atMost(Duration.ofSeconds(60)).until(broker::isReady);
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
