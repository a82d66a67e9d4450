package io.tributary.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tributary.proto.v1.AdminServiceGrpc;
import io.tributary.proto.v1.CreateTopicsRequest;
import io.tributary.proto.v1.ErrorCode;
import io.tributary.proto.v1.FetchPartition;
import io.tributary.proto.v1.FetchRequest;
import io.tributary.proto.v1.FetchServiceGrpc;
import io.tributary.proto.v1.NewTopic;
import io.tributary.proto.v1.PartitionProduceData;
import io.tributary.proto.v1.PartitionProduceResult;
import io.tributary.proto.v1.PartitionRecords;
import io.tributary.proto.v1.ProduceRequest;
import io.tributary.proto.v1.ProduceServiceGrpc;
import io.tributary.record.Compression;
import io.tributary.record.RecordBatch;
import io.tributary.record.RecordBatchBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runnable jar, started exactly as an operator would ({@code java -jar tributary-cli.jar
 * broker start --config FILE}, with no JVM flag at all), runs a broker whose storage works: the
 * manifest's Add-Opens/Add-Exports and the launcher's system properties are all Chronicle Bytes
 * needs. A one-broker cluster creates a topic (which maps its index files), takes a batch and
 * serves it back; SIGTERM stops it cleanly.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class BrokerStartIT {

    @Test
    void shouldRunABrokerFromTheJarWithNoJvmFlags(@TempDir Path dir) throws Exception {
        Path jar = Paths.get(System.getProperty("tributary.cli.jar", "target/tributary-cli.jar"));
        assertThat(jar).exists();
        int[] ports = freePorts(3);
        Path config = dir.resolve("broker.properties");
        Files.writeString(config, String.join("\n",
                "node.id=1",
                "advertised.host=127.0.0.1",
                "listen.host=127.0.0.1",
                "client.port=" + ports[0],
                "raft.port=" + ports[1],
                "metrics.port=" + ports[2],
                "data.dirs=" + dir.resolve("partitions"),
                "metadata.dir=" + dir.resolve("metadata"),
                "controller.voters=1@127.0.0.1:" + ports[1],
                "default.replication.factor=1",
                ""), StandardCharsets.UTF_8);
        Path log = dir.resolve("broker.log");
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        Process broker = new ProcessBuilder(List.of(java, "-Xmx256m", "-jar", jar.toString(),
                "broker", "start", "--config", config.toString()))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", ports[0]).usePlaintext().build();
        try {
            await("broker ready").atMost(Duration.ofSeconds(90)).until(() -> {
                assertThat(broker.isAlive()).as("broker alive; log:\n%s", read(log)).isTrue();
                return read(log).contains("Broker 1 ready");
            });

            await("topic created").atMost(Duration.ofSeconds(30)).ignoreException(StatusRuntimeException.class).until(() -> {
                ErrorCode code = AdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS)
                        .createTopics(CreateTopicsRequest.newBuilder().addTopics(NewTopic.newBuilder()
                                .setName("launcher").setPartitionCount(1).setReplicationFactor(1)).build())
                        .getTopics(0).getError().getCode();
                return code == ErrorCode.NONE || code == ErrorCode.TOPIC_ALREADY_EXISTS;
            });
            RecordBatchBuilder builder = new RecordBatchBuilder(Compression.NONE, 1 << 20);
            builder.append(System.currentTimeMillis(), ByteBuffer.wrap("k".getBytes(StandardCharsets.UTF_8)),
                    ByteBuffer.wrap("hello from java -jar".getBytes(StandardCharsets.UTF_8)));
            RecordBatch batch = builder.build();
            PartitionProduceResult produced = await("produced").atMost(Duration.ofSeconds(30))
                    .ignoreException(StatusRuntimeException.class)
                    .until(() -> ProduceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                            .produce(ProduceRequest.newBuilder().addPartitions(PartitionProduceData.newBuilder()
                                    .setTopic("launcher").setPartition(0).setRecords(ByteString.copyFrom(batch.buffer())))
                                    .build())
                            .getPartitions(0), r -> r.getError().getCode() == ErrorCode.NONE);
            assertThat(produced.getBaseOffset()).isZero();
            PartitionRecords fetched = FetchServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .fetch(FetchRequest.newBuilder().addPartitions(FetchPartition.newBuilder()
                            .setTopic("launcher").setPartition(0).setFetchOffset(0)).build())
                    .getPartitions(0);
            assertThat(fetched.getError().getCode()).isEqualTo(ErrorCode.NONE);
            RecordBatch stored = RecordBatch.wrap(fetched.getRecords().asReadOnlyByteBuffer());
            assertThat(stored.recordCount()).isEqualTo(1);
            assertThat(StandardCharsets.UTF_8.decode(stored.recordList().get(0).value()).toString())
                    .isEqualTo("hello from java -jar");

            broker.destroy(); // SIGTERM: graceful shutdown
            assertThat(broker.waitFor(60, TimeUnit.SECONDS)).as("broker stopped after SIGTERM; log:\n%s", read(log)).isTrue();
            String output = read(log);
            assertThat(output).as("broker log").doesNotContain("InaccessibleObjectException", "IllegalAccessError",
                    "lacks flags", "Exception in thread \"main\"");
        } finally {
            channel.shutdownNow();
            if (broker.isAlive()) {
                broker.destroyForcibly();
                broker.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    private static String read(Path log) throws IOException {
        return Files.exists(log) ? Files.readString(log, StandardCharsets.ISO_8859_1) : "";
    }

    private static int[] freePorts(int count) throws IOException {
        ServerSocket[] sockets = new ServerSocket[count];
        int[] ports = new int[count];
        try {
            for (int i = 0; i < count; i++) {
                sockets[i] = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                ports[i] = sockets[i].getLocalPort();
            }
        } finally {
            for (ServerSocket socket : sockets) {
                if (socket != null) {
                    socket.close();
                }
            }
        }
        return ports;
    }
}
