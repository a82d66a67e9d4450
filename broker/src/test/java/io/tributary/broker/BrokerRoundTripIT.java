package io.tributary.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.tributary.broker.internal.TestBatches;
import io.tributary.proto.v1.Acks;
import io.tributary.proto.v1.FetchPartition;
import io.tributary.proto.v1.FetchRequest;
import io.tributary.proto.v1.FetchResponse;
import io.tributary.proto.v1.FetchServiceGrpc;
import io.tributary.proto.v1.ListOffsetsPartition;
import io.tributary.proto.v1.ListOffsetsRequest;
import io.tributary.proto.v1.ListOffsetsResponse;
import io.tributary.proto.v1.OffsetSpec;
import io.tributary.proto.v1.PartitionProduceData;
import io.tributary.proto.v1.PartitionProduceResult;
import io.tributary.proto.v1.PartitionRecords;
import io.tributary.proto.v1.ProduceRequest;
import io.tributary.proto.v1.ProduceServiceGrpc;
import io.tributary.proto.v1.ProduceStreamRequest;
import io.tributary.proto.v1.ProduceStreamResponse;
import io.tributary.proto.v1.SubscribePartition;
import io.tributary.proto.v1.SubscribeRequest;
import io.tributary.proto.v1.SubscribeResponse;
import io.tributary.record.Compression;
import io.tributary.record.RecordBatch;
import io.tributary.record.RecordBatchFormat;
import io.tributary.record.RecordBatches;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** One real broker on 127.0.0.1: produce, fetch, subscribe, list offsets, health, metrics. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class BrokerRoundTripIT {

    TestCluster cluster;

    @BeforeAll
    void start(@TempDir Path dir) {
        cluster = new TestCluster(dir, 1, Map.of()).start();
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    static PartitionProduceData data(String topic, int partition, byte[] records) {
        return PartitionProduceData.newBuilder().setTopic(topic).setPartition(partition)
                .setRecords(ByteString.copyFrom(records)).build();
    }

    PartitionProduceResult produce(String topic, byte[] records) {
        return cluster.produceRetrying(1, ProduceRequest.newBuilder().addPartitions(data(topic, 0, records))
                .setAcks(Acks.ACKS_ALL).build()).getPartitions(0);
    }

    /** The stored batch equals the sent one except base offset and partition leader epoch (outside the CRC). */
    static void assertSameBatch(ByteBuffer stored, byte[] sent, long expectedBaseOffset) {
        ByteBuffer s = ByteBuffer.wrap(sent.clone());
        RecordBatch.wrap(s).setBaseOffset(expectedBaseOffset);
        RecordBatch.wrap(s).setPartitionLeaderEpoch(stored.getInt(stored.position()
                + RecordBatchFormat.PARTITION_LEADER_EPOCH_OFFSET));
        ByteBuffer storedSlice = stored.slice(stored.position(), sent.length);
        assertThat(storedSlice).isEqualTo(ByteBuffer.wrap(s.array()));
        assertThat(RecordBatch.wrap(storedSlice).isValid()).isTrue();
    }

    @Test
    void shouldServeHealthAsServing() {
        HealthCheckResponse r = HealthGrpc.newBlockingStub(cluster.channel(1))
                .check(HealthCheckRequest.newBuilder().setService("tributary.v1.ProduceService").build());
        assertThat(r.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    }

    @Test
    void shouldServeReflection() throws Exception {
        CompletableFuture<io.grpc.reflection.v1.ServerReflectionResponse> answer = new CompletableFuture<>();
        var requests = io.grpc.reflection.v1.ServerReflectionGrpc.newStub(cluster.channel(1)).serverReflectionInfo(
                new io.grpc.stub.StreamObserver<>() {
                    @Override
                    public void onNext(io.grpc.reflection.v1.ServerReflectionResponse value) {
                        answer.complete(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        answer.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
        requests.onNext(io.grpc.reflection.v1.ServerReflectionRequest.newBuilder().setListServices("").build());
        requests.onCompleted();
        assertThat(answer.get(10, TimeUnit.SECONDS).getListServicesResponse().getServiceList())
                .extracting(io.grpc.reflection.v1.ServiceResponse::getName)
                .contains("tributary.v1.ProduceService", "tributary.v1.FetchService", "tributary.v1.MetadataService",
                        "tributary.v1.AdminService", "grpc.health.v1.Health");
    }

    @Test
    void shouldRoundTripProducedBatchesByteForByte() {
        cluster.createTopic("roundtrip", 1, 1, Map.of());
        byte[] a = TestBatches.batch("a", 3);
        byte[] b = TestBatches.batch("b", 5, 200, Compression.LZ4);
        byte[] c = TestBatches.batch("c", 1);
        PartitionProduceResult r1 = produce("roundtrip", TestBatches.concat(a, b));
        assertThat(r1.hasError()).as("%s", r1.getError()).isFalse();
        assertThat(r1.getBaseOffset()).isZero();
        PartitionProduceResult r2 = produce("roundtrip", c);
        assertThat(r2.getBaseOffset()).isEqualTo(8);

        FetchResponse f = cluster.fetch(1).fetch(FetchRequest.newBuilder().addPartitions(FetchPartition.newBuilder()
                .setTopic("roundtrip").setPartition(0).setFetchOffset(0)).build());
        PartitionRecords pr = f.getPartitions(0);
        assertThat(pr.hasError()).isFalse();
        assertThat(pr.getHighWatermark()).isEqualTo(9);
        ByteBuffer all = pr.getRecords().asReadOnlyByteBuffer();
        assertThat(all.remaining()).isEqualTo(a.length + b.length + c.length);
        assertSameBatch(all.duplicate().position(0), a, 0);
        assertSameBatch(all.duplicate().position(a.length), b, 3);
        assertSameBatch(all.duplicate().position(a.length + b.length), c, 8);

        // Fetching from the middle of a batch returns the whole batch.
        FetchResponse mid = cluster.fetch(1).fetch(FetchRequest.newBuilder().addPartitions(FetchPartition.newBuilder()
                .setTopic("roundtrip").setPartition(0).setFetchOffset(4)).build());
        assertThat(RecordBatch.wrap(mid.getPartitions(0).getRecords().asReadOnlyByteBuffer()).baseOffset()).isEqualTo(3);
    }

    @Test
    void shouldAppendConditionallyAndWithoutAcks() {
        cluster.createTopic("conditional", 1, 1, Map.of());
        PartitionProduceResult first = produce("conditional", TestBatches.batch("a", 2));
        assertThat(first.getBaseOffset()).as("%s", first.getError()).isZero();
        PartitionProduceResult stale = cluster.produce(1).produce(ProduceRequest.newBuilder().addPartitions(
                data("conditional", 0, TestBatches.batch("b", 1)).toBuilder().setExpectedEndOffset(0)).build())
                .getPartitions(0);
        assertThat(stale.getError().getCode()).isEqualTo(io.tributary.proto.v1.ErrorCode.EXPECTED_OFFSET_MISMATCH);
        assertThat(stale.getError().getActualOffset()).isEqualTo(2);
        PartitionProduceResult ok = cluster.produce(1).produce(ProduceRequest.newBuilder().addPartitions(
                data("conditional", 0, TestBatches.batch("b", 1)).toBuilder().setExpectedEndOffset(2)).build())
                .getPartitions(0);
        assertThat(ok.hasError()).as("%s", ok.getError()).isFalse();
        assertThat(ok.getBaseOffset()).isEqualTo(2);

        PartitionProduceResult fireAndForget = cluster.produce(1).produce(ProduceRequest.newBuilder()
                .setAcks(Acks.ACKS_NONE).addPartitions(data("conditional", 0, TestBatches.batch("c", 4))).build())
                .getPartitions(0);
        assertThat(fireAndForget.hasError()).isFalse();
        assertThat(fireAndForget.getBaseOffset()).isEqualTo(-1);
        await().atMost(Duration.ofSeconds(10)).until(() -> cluster.fetch(1).listOffsets(ListOffsetsRequest.newBuilder()
                .addPartitions(ListOffsetsPartition.newBuilder().setTopic("conditional").setPartition(0)
                        .setSpec(OffsetSpec.OFFSET_SPEC_LATEST)).build()).getPartitions(0).getOffset() == 7);
    }

    @Test
    void shouldAnswerALongPollFetchAsSoonAsAProduceCommits() throws Exception {
        cluster.createTopic("longpoll", 1, 1, Map.of());
        FetchServiceGrpc.FetchServiceFutureStub stub = FetchServiceGrpc.newFutureStub(cluster.channel(1));
        long start = System.nanoTime();
        var pending = stub.fetch(FetchRequest.newBuilder().setMaxWaitMs(20_000).setMinBytes(1)
                .addPartitions(FetchPartition.newBuilder().setTopic("longpoll").setPartition(0).setFetchOffset(0))
                .build());
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> !pending.isDone());
        produce("longpoll", TestBatches.batch("x", 2));
        FetchResponse f = pending.get(10, TimeUnit.SECONDS);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(15_000);
        assertThat(f.getPartitions(0).getRecords().size()).isPositive();
        assertThat(f.getPartitions(0).getHighWatermark()).isEqualTo(2);
    }

    @Test
    void shouldAnswerAnEmptyFetchAfterMaxWait() {
        cluster.createTopic("idle", 1, 1, Map.of());
        long start = System.nanoTime();
        FetchResponse f = cluster.fetch(1).fetch(FetchRequest.newBuilder().setMaxWaitMs(400)
                .addPartitions(FetchPartition.newBuilder().setTopic("idle").setPartition(0).setFetchOffset(0)).build());
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(350);
        assertThat(f.getPartitions(0).getRecords().isEmpty()).isTrue();
        assertThat(f.getPartitions(0).hasError()).isFalse();
    }

    @Test
    void shouldListOffsets() {
        cluster.createTopic("offsets", 1, 1, Map.of());
        long before = System.currentTimeMillis();
        produce("offsets", TestBatches.batch("a", 4));
        ListOffsetsResponse r = cluster.fetch(1).listOffsets(ListOffsetsRequest.newBuilder()
                .addPartitions(ListOffsetsPartition.newBuilder().setTopic("offsets").setPartition(0)
                        .setSpec(OffsetSpec.OFFSET_SPEC_EARLIEST))
                .build());
        assertThat(r.getPartitions(0).getOffset()).isZero();
        r = cluster.fetch(1).listOffsets(ListOffsetsRequest.newBuilder()
                .addPartitions(ListOffsetsPartition.newBuilder().setTopic("offsets").setPartition(0)
                        .setSpec(OffsetSpec.OFFSET_SPEC_LATEST)).build());
        assertThat(r.getPartitions(0).getOffset()).isEqualTo(4);
        r = cluster.fetch(1).listOffsets(ListOffsetsRequest.newBuilder()
                .addPartitions(ListOffsetsPartition.newBuilder().setTopic("offsets").setPartition(0)
                        .setSpec(OffsetSpec.OFFSET_SPEC_TIMESTAMP).setTimestampMs(before - 60_000)).build());
        assertThat(r.getPartitions(0).getOffset()).isZero();
        assertThat(r.getPartitions(0).getTimestampMs()).isGreaterThanOrEqualTo(before - 1000);
        r = cluster.fetch(1).listOffsets(ListOffsetsRequest.newBuilder()
                .addPartitions(ListOffsetsPartition.newBuilder().setTopic("offsets").setPartition(0)
                        .setSpec(OffsetSpec.OFFSET_SPEC_TIMESTAMP).setTimestampMs(before + 3_600_000)).build());
        assertThat(r.getPartitions(0).getOffset()).isEqualTo(-1);
    }

    @Test
    void shouldPipelineProduceStreamWithPerRequestAnswers() throws Exception {
        cluster.createTopic("stream", 1, 1, Map.of());
        assertThat(produce("stream", TestBatches.batch("warm-up", 2)).getBaseOffset()).isZero();
        ConcurrentLinkedQueue<ProduceStreamResponse> answers = new ConcurrentLinkedQueue<>();
        CompletableFuture<Void> done = new CompletableFuture<>();
        var in = ProduceServiceGrpc.newStub(cluster.channel(1)).produceStream(new io.grpc.stub.StreamObserver<>() {
            @Override
            public void onNext(ProduceStreamResponse r) {
                answers.add(r);
            }

            @Override
            public void onError(Throwable t) {
                done.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                done.complete(null);
            }
        });
        int n = 50;
        for (int i = 0; i < n; i++) {
            in.onNext(ProduceStreamRequest.newBuilder().setCorrelationId(i).setRequest(ProduceRequest.newBuilder()
                    .addPartitions(data("stream", 0, TestBatches.batch("s" + i, 2)))).build());
        }
        // A request that fails as a whole is answered with `error` and the stream goes on.
        in.onNext(ProduceStreamRequest.newBuilder().setCorrelationId(999).setRequest(ProduceRequest.getDefaultInstance())
                .build());
        in.onCompleted();
        done.get(30, TimeUnit.SECONDS);
        assertThat(answers).hasSize(n + 1);
        List<Long> offsets = new ArrayList<>();
        for (ProduceStreamResponse r : answers) {
            if (r.getCorrelationId() == 999) {
                assertThat(r.getError().getCode()).isEqualTo(io.tributary.proto.v1.ErrorCode.INVALID_REQUEST);
            } else {
                assertThat(r.getResponse().getPartitions(0).hasError()).isFalse();
                offsets.add(r.getResponse().getPartitions(0).getBaseOffset());
                // Stream order is append order: request i lands at offset 2 (i + 1), after the warm-up.
                assertThat(r.getResponse().getPartitions(0).getBaseOffset()).isEqualTo(2 * (r.getCorrelationId() + 1));
            }
        }
        assertThat(offsets).hasSize(n);
    }

    @Test
    void shouldPushWithFlowControlAndNotBufferForASlowSubscriber() throws Exception {
        cluster.createTopic("push", 1, 1, Map.of());
        int batches = 160;
        long produced = 0;
        for (int i = 0; i < batches; i += 16) {
            List<byte[]> parts = new ArrayList<>();
            for (int j = 0; j < 16; j++) {
                parts.add(TestBatches.batch("p" + (i + j), 1, 64 * 1024, Compression.NONE));
            }
            byte[] req = TestBatches.concat(parts.toArray(new byte[0][]));
            produced += req.length;
            assertThat(produce("push", req).hasError()).isFalse();
        }
        long bytesOutBefore = bytesOut();
        AtomicLong received = new AtomicLong();
        AtomicInteger messages = new AtomicInteger();
        AtomicReference<ClientCallStreamObserver<SubscribeRequest>> call = new AtomicReference<>();
        CompletableFuture<Void> ended = new CompletableFuture<>();
        FetchServiceGrpc.newStub(cluster.channel(1)).subscribe(SubscribeRequest.newBuilder().setMaxBytes(128 * 1024)
                .addPartitions(SubscribePartition.newBuilder().setTopic("push").setPartition(0).setStartOffset(0))
                .build(), new ClientResponseObserver<SubscribeRequest, SubscribeResponse>() {
                    @Override
                    public void beforeStart(ClientCallStreamObserver<SubscribeRequest> requestStream) {
                        call.set(requestStream);
                        requestStream.disableAutoRequestWithInitial(1);
                    }

                    @Override
                    public void onNext(SubscribeResponse value) {
                        messages.incrementAndGet();
                        for (PartitionRecords pr : value.getPartitionsList()) {
                            assertThat(pr.hasError()).isFalse();
                            received.addAndGet(pr.getRecords().size());
                        }
                    }

                    @Override
                    public void onError(Throwable t) {
                        ended.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        ended.complete(null);
                    }
                });
        await().atMost(Duration.ofSeconds(10)).until(() -> messages.get() == 1);
        // The client reads nothing more: the server stops when the transport window is full.
        await().pollDelay(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5)).until(() -> true);
        long pushedWhileStalled = bytesOut() - bytesOutBefore;
        assertThat(messages.get()).isEqualTo(1);
        assertThat(produced).isGreaterThan(10L * 1024 * 1024);
        assertThat(pushedWhileStalled).as("bytes the server pushed while the client read nothing")
                .isLessThan(4L * 1024 * 1024);

        call.get().request(Integer.MAX_VALUE);
        long expected = produced;
        await().atMost(Duration.ofSeconds(30)).until(() -> received.get() == expected);
        call.get().cancel("done", null);
    }

    @Test
    void shouldExposePrometheusMetrics() throws Exception {
        cluster.createTopic("metered", 1, 1, Map.of());
        produce("metered", TestBatches.batch("m", 3));
        String body = scrape();
        assertThat(body).contains("tributary_partition_high_watermark{partition=\"0\",topic=\"metered\"} 3");
        assertThat(body).contains("tributary_requests_total").contains("tributary_partitions_led")
                .contains("tributary_partition_commit_index").contains("tributary_partition_raft_term")
                .contains("tributary_partition_log_size_bytes").contains("tributary_under_replicated_partitions")
                .contains("tributary_request_latency_seconds");
    }

    private String scrape() throws IOException, InterruptedException {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + cluster.metricsPort(1) + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    private long bytesOut() throws IOException, InterruptedException {
        for (String line : scrape().split("\n")) {
            if (line.startsWith("tributary_record_bytes_total{direction=\"out\"}")) {
                return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return 0;
    }

    static int count(ByteBuffer records) {
        int n = 0;
        for (RecordBatch ignored : RecordBatches.iterate(records)) {
            n++;
        }
        return n;
    }
}
