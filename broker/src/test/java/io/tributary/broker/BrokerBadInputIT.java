package io.tributary.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import io.tributary.broker.internal.TestBatches;
import io.tributary.proto.v1.Acks;
import io.tributary.proto.v1.AlterTopicConfigsRequest;
import io.tributary.proto.v1.ConfigAlteration;
import io.tributary.proto.v1.ConfigOperation;
import io.tributary.proto.v1.CreatePartitionsRequest;
import io.tributary.proto.v1.CreateTopicResult;
import io.tributary.proto.v1.CreateTopicsRequest;
import io.tributary.proto.v1.DeleteTopicsRequest;
import io.tributary.proto.v1.DescribeTopicsRequest;
import io.tributary.proto.v1.ErrorCode;
import io.tributary.proto.v1.ErrorDetail;
import io.tributary.proto.v1.FetchPartition;
import io.tributary.proto.v1.FetchRequest;
import io.tributary.proto.v1.FetchServiceGrpc;
import io.tributary.proto.v1.FindCoordinatorRequest;
import io.tributary.proto.v1.GroupServiceGrpc;
import io.tributary.proto.v1.InitProducerIdRequest;
import io.tributary.proto.v1.InitProducerIdResponse;
import io.tributary.proto.v1.KeyCondition;
import io.tributary.proto.v1.ListGroupsRequest;
import io.tributary.proto.v1.ListOffsetsPartition;
import io.tributary.proto.v1.ListOffsetsRequest;
import io.tributary.proto.v1.MetadataRequest;
import io.tributary.proto.v1.MetadataResponse;
import io.tributary.proto.v1.NewPartitions;
import io.tributary.proto.v1.NewTopic;
import io.tributary.proto.v1.OffsetSpec;
import io.tributary.proto.v1.PartitionProduceData;
import io.tributary.proto.v1.PartitionProduceResult;
import io.tributary.proto.v1.PartitionRecords;
import io.tributary.proto.v1.ProduceRequest;
import io.tributary.proto.v1.ProducerIdAndEpoch;
import io.tributary.proto.v1.SubscribePartition;
import io.tributary.proto.v1.SubscribeRequest;
import io.tributary.proto.v1.SubscribeResponse;
import io.tributary.proto.v1.TopicConfigAlteration;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input for every RPC (issue 3 §2): each is refused with the right gRPC status or per-item
 * ErrorDetail, a message naming the problem, and nothing written.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class BrokerBadInputIT {

    static final String TOPIC = "good";
    static final String SMALL = "small";

    TestCluster cluster;

    @BeforeAll
    void start(@TempDir Path dir) {
        cluster = new TestCluster(dir, 1, Map.of()).start();
        cluster.createTopic(TOPIC, 2, 1, Map.of());
        cluster.createTopic(SMALL, 1, 1, Map.of("max.message.bytes", "1000"));
        PartitionProduceResult r = cluster.produceRetrying(1, ProduceRequest.newBuilder()
                .addPartitions(data(TOPIC, 0, TestBatches.batch("seed", 5)))
                .addPartitions(data(TOPIC, 1, TestBatches.batch("seed", 1))).build()).getPartitions(0);
        assertThat(r.hasError()).isFalse();
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

    static ErrorDetail detail(StatusRuntimeException e) {
        com.google.rpc.Status s = StatusProto.fromThrowable(e);
        assertThat(s).as("status of %s", e).isNotNull();
        assertThat(s.getDetailsCount()).isEqualTo(1);
        try {
            return s.getDetails(0).unpack(ErrorDetail.class);
        } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
            throw new AssertionError(ex);
        }
    }

    /** Asserts the call fails with {@code code} and an ErrorDetail of {@code error} whose message has the fragments. */
    static void assertCallFails(Runnable call, Status.Code code, ErrorCode error, String... fragments) {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call::run);
        assertThat(e).as("expected the call to fail with %s", code).isNotNull();
        assertThat(e.getStatus().getCode()).isEqualTo(code);
        ErrorDetail d = detail(e);
        assertThat(d.getCode()).isEqualTo(error);
        for (String f : fragments) {
            assertThat(d.getMessage()).contains(f);
        }
        assertThat(d.getMessage()).doesNotContain("Exception").doesNotContain("\tat ");
    }

    static void assertError(ErrorDetail d, ErrorCode error, String... fragments) {
        assertThat(d.getCode()).as("%s", d).isEqualTo(error);
        for (String f : fragments) {
            assertThat(d.getMessage()).contains(f);
        }
    }

    long latest(String topic, int partition) {
        return cluster.fetch(1).listOffsets(ListOffsetsRequest.newBuilder().addPartitions(ListOffsetsPartition
                .newBuilder().setTopic(topic).setPartition(partition).setSpec(OffsetSpec.OFFSET_SPEC_LATEST)).build())
                .getPartitions(0).getOffset();
    }

    PartitionProduceResult produceOne(PartitionProduceData d) {
        return cluster.produce(1).produce(ProduceRequest.newBuilder().addPartitions(d).build()).getPartitions(0);
    }

    /** Runs a produce that must fail per partition with {@code error}, and checks nothing was written. */
    void assertProduceRefused(PartitionProduceData d, ErrorCode error, String... fragments) {
        long before0 = latest(TOPIC, 0);
        long beforeSmall = latest(SMALL, 0);
        PartitionProduceResult r = produceOne(d);
        assertThat(r.getBaseOffset()).isEqualTo(-1);
        assertError(r.getError(), error, fragments);
        assertThat(latest(TOPIC, 0)).isEqualTo(before0);
        assertThat(latest(SMALL, 0)).isEqualTo(beforeSmall);
    }

    // ------------------------------------------------------------------ Produce

    @Test
    void produceShouldRefuseAnEmptyRequest() {
        assertCallFails(() -> cluster.produce(1).produce(ProduceRequest.getDefaultInstance()),
                Status.Code.INVALID_ARGUMENT, ErrorCode.INVALID_REQUEST, "partitions");
    }

    @Test
    void produceShouldRefuseBadTimeoutsAndDuplicates() {
        assertCallFails(() -> cluster.produce(1).produce(ProduceRequest.newBuilder().setTimeoutMs(-5)
                .addPartitions(data(TOPIC, 0, TestBatches.batch("x", 1))).build()),
                Status.Code.INVALID_ARGUMENT, ErrorCode.INVALID_REQUEST, "timeout_ms", "-5");
        assertCallFails(() -> cluster.produce(1).produce(ProduceRequest.newBuilder()
                .addPartitions(data(TOPIC, 0, TestBatches.batch("x", 1)))
                .addPartitions(data(TOPIC, 0, TestBatches.batch("y", 1))).build()),
                Status.Code.INVALID_ARGUMENT, ErrorCode.INVALID_REQUEST, "more than once");
        assertCallFails(() -> cluster.produce(1).produce(ProduceRequest.newBuilder().setAcks(Acks.ACKS_NONE)
                .addPartitions(data(TOPIC, 0, TestBatches.batch("x", 1)).toBuilder().setExpectedEndOffset(5)).build()),
                Status.Code.INVALID_ARGUMENT, ErrorCode.INVALID_REQUEST, "ACKS_ALL");
        assertThat(latest(TOPIC, 0)).isEqualTo(5);
    }

    @Test
    void produceShouldRefuseUnknownTopicsAndPartitions() {
        assertProduceRefused(data("nope", 0, TestBatches.batch("x", 1)), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "nope");
        assertProduceRefused(data(TOPIC, 7, TestBatches.batch("x", 1)), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                "partition 7", "2 partitions");
        assertProduceRefused(data(TOPIC, -1, TestBatches.batch("x", 1)), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "-1");
    }

    @Test
    void produceShouldRefuseInvalidTopicNames() {
        assertProduceRefused(data("bad topic!", 0, TestBatches.batch("x", 1)), ErrorCode.INVALID_TOPIC_NAME,
                "bad topic!");
        assertProduceRefused(data("", 0, TestBatches.batch("x", 1)), ErrorCode.INVALID_TOPIC_NAME, "empty");
    }

    @Test
    void produceShouldRefuseCorruptBatches() {
        byte[] crc = TestBatches.batch("x", 3);
        crc[crc.length - 2] ^= 0x7f;
        assertProduceRefused(data(TOPIC, 0, crc), ErrorCode.CORRUPT_BATCH, "CRC");
        byte[] truncated = java.util.Arrays.copyOf(TestBatches.batch("x", 3), 40);
        assertProduceRefused(data(TOPIC, 0, truncated), ErrorCode.CORRUPT_BATCH);
        assertProduceRefused(data(TOPIC, 0, new byte[] {1, 2, 3}), ErrorCode.CORRUPT_BATCH);
        // A good batch followed by a bad one: the unit is all or nothing.
        assertProduceRefused(data(TOPIC, 0, TestBatches.concat(TestBatches.batch("ok", 2), crc)),
                ErrorCode.CORRUPT_BATCH, "byte ");
    }

    @Test
    void produceShouldRefuseEmptyRecords() {
        assertProduceRefused(data(TOPIC, 0, new byte[0]), ErrorCode.INVALID_REQUEST, "empty");
    }

    @Test
    void produceShouldRefuseABatchOverMaxMessageBytes() {
        byte[] big = TestBatches.batch("x", 20, 100, io.tributary.record.Compression.NONE);
        assertThat(big.length).isGreaterThan(1000);
        assertProduceRefused(data(SMALL, 0, big), ErrorCode.BATCH_TOO_LARGE, "max.message.bytes (1000)");
    }

    @Test
    void produceShouldRefuseBadKeyConditions() {
        assertProduceRefused(data(TOPIC, 0, TestBatches.batch("x", 1)).toBuilder().addExpectedKeyOffsets(KeyCondition
                .newBuilder().setKey(ByteString.copyFromUtf8("k")).setExpectedLastOffset(-2)).build(),
                ErrorCode.INVALID_REQUEST, "expected_key_offsets[0].expected_last_offset -2");
        PartitionProduceData.Builder many = data(TOPIC, 0, TestBatches.batch("x", 1)).toBuilder();
        for (int i = 0; i < 1025; i++) {
            many.addExpectedKeyOffsets(KeyCondition.newBuilder().setKey(ByteString.copyFromUtf8("k" + i))
                    .setExpectedLastOffset(-1));
        }
        assertProduceRefused(many.build(), ErrorCode.INVALID_REQUEST, "1025 key conditions");
    }

    static byte[] keyed(long pid, int epoch, int seq, String key, String value) {
        io.tributary.record.RecordBatchBuilder b = new io.tributary.record.RecordBatchBuilder(
                io.tributary.record.Compression.NONE, Integer.MAX_VALUE);
        if (pid >= 0) {
            b.producer(pid, (short) epoch, seq);
        }
        b.append(System.currentTimeMillis(), key == null ? null : java.nio.ByteBuffer.wrap(key.getBytes(
                java.nio.charset.StandardCharsets.UTF_8)), value == null ? null : java.nio.ByteBuffer.wrap(
                        value.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        java.nio.ByteBuffer buf = b.build().buffer();
        byte[] out = new byte[buf.remaining()];
        buf.duplicate().get(out);
        return out;
    }

    static PartitionProduceData withKeyCondition(PartitionProduceData d, String key, long expected) {
        return d.toBuilder().addExpectedKeyOffsets(KeyCondition.newBuilder().setKey(ByteString.copyFromUtf8(key))
                .setExpectedLastOffset(expected)).build();
    }

    @Test
    void produceShouldReportAKeyConditionMismatchWithTheActualOffsetAndTheKey() {
        cluster.createTopic("keyed", 1, 1, Map.of());
        PartitionProduceData first = withKeyCondition(data("keyed", 0, keyed(-1, 0, 0, "order-1", "created")),
                "order-1", -1);
        PartitionProduceResult ok = cluster.produceRetrying(1, ProduceRequest.newBuilder().addPartitions(first).build())
                .getPartitions(0);
        assertThat(ok.hasError()).as("%s", ok.getError()).isFalse();
        long at = ok.getBaseOffset();
        PartitionProduceResult stale = produceOne(first); // expects no record: there is one now
        assertError(stale.getError(), ErrorCode.EXPECTED_OFFSET_MISMATCH, "order-1", "nothing was written");
        assertThat(stale.getError().getActualOffset()).isEqualTo(at);
        assertThat(stale.getError().getMismatchedKey().toStringUtf8()).isEqualTo("order-1");
        assertThat(stale.getError().getRetriable()).isFalse();
        assertThat(stale.getBaseOffset()).isEqualTo(-1);
        PartitionProduceResult next = produceOne(withKeyCondition(data("keyed", 0,
                keyed(-1, 0, 0, "order-1", "paid")), "order-1", at));
        assertThat(next.hasError()).as("%s", next.getError()).isFalse();
        assertThat(next.getBaseOffset()).isEqualTo(at + 1);
        // A tombstone: the key has no record any more (-1), whatever compaction does later.
        produceOne(data("keyed", 0, keyed(-1, 0, 0, "order-1", null)));
        PartitionProduceResult gone = produceOne(withKeyCondition(data("keyed", 0,
                keyed(-1, 0, 0, "order-1", "again")), "order-1", at + 1));
        assertError(gone.getError(), ErrorCode.EXPECTED_OFFSET_MISMATCH);
        assertThat(gone.getError().getActualOffset()).isEqualTo(-1);
        assertThat(latest("keyed", 0)).isEqualTo(at + 3);
    }

    @Test
    void produceShouldAnswerDuplicatesAndMapSequenceAndEpochErrors() {
        cluster.createTopic("idem", 1, 1, Map.of());
        long pid = cluster.produce(1).initProducerId(InitProducerIdRequest.getDefaultInstance()).getProducer()
                .getProducerId();
        PartitionProduceData unit0 = data("idem", 0, keyed(pid, 0, 0, null, "a"));
        PartitionProduceResult first = cluster.produceRetrying(1, ProduceRequest.newBuilder().addPartitions(unit0)
                .build()).getPartitions(0);
        assertThat(first.hasError()).as("%s", first.getError()).isFalse();
        PartitionProduceResult dup = produceOne(unit0);
        assertThat(dup.hasError()).as("a duplicate succeeds: %s", dup.getError()).isFalse();
        assertThat(dup.getBaseOffset()).isEqualTo(first.getBaseOffset());
        assertThat(latest("idem", 0)).isEqualTo(first.getBaseOffset() + 1);

        PartitionProduceResult gap = produceOne(data("idem", 0, keyed(pid, 0, 5, null, "b")));
        assertError(gap.getError(), ErrorCode.OUT_OF_ORDER_SEQUENCE, "expected sequence 1", "received 5");
        assertThat(gap.getError().getRetriable()).isFalse();

        assertThat(produceOne(data("idem", 0, keyed(pid, 1, 0, null, "c"))).hasError()).isFalse(); // new epoch
        PartitionProduceResult fenced = produceOne(data("idem", 0, keyed(pid, 0, 1, null, "d")));
        assertError(fenced.getError(), ErrorCode.INVALID_PRODUCER_EPOCH, "current epoch 1", "received 0");

        long other = cluster.produce(1).initProducerId(InitProducerIdRequest.getDefaultInstance()).getProducer()
                .getProducerId();
        PartitionProduceResult unknown = produceOne(data("idem", 0, keyed(other, 0, 3, null, "e")));
        assertError(unknown.getError(), ErrorCode.UNKNOWN_PRODUCER_ID, "InitProducerId");

        PartitionProduceResult mixed = produceOne(data("idem", 0, TestBatches.concat(keyed(pid, 1, 1, null, "f"),
                keyed(other, 0, 0, null, "g"))));
        assertError(mixed.getError(), ErrorCode.INVALID_REQUEST, "one producer");
        assertThat(latest("idem", 0)).isEqualTo(first.getBaseOffset() + 2);
    }

    @Test
    void produceShouldFailOnlyTheBadPartitionOfARequest() {
        long before = latest(TOPIC, 1);
        assertThat(before).isPositive();
        var r = cluster.produce(1).produce(ProduceRequest.newBuilder()
                .addPartitions(data(TOPIC, 1, TestBatches.batch("fine", 2)))
                .addPartitions(data("nope", 0, TestBatches.batch("x", 1))).build());
        assertThat(r.getPartitions(0).hasError()).isFalse();
        assertThat(r.getPartitions(0).getBaseOffset()).isEqualTo(before);
        assertError(r.getPartitions(1).getError(), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    }

    @Test
    void initProducerIdShouldAllocateBumpAndRefuseBadEpochs() {
        InitProducerIdResponse first = cluster.produce(1).initProducerId(InitProducerIdRequest.getDefaultInstance());
        assertThat(first.getProducer().getProducerId()).isNotNegative();
        assertThat(first.getProducer().getProducerEpoch()).isZero();
        InitProducerIdResponse second = cluster.produce(1).initProducerId(InitProducerIdRequest.getDefaultInstance());
        assertThat(second.getProducer().getProducerId()).isNotEqualTo(first.getProducer().getProducerId());
        InitProducerIdResponse bumped = cluster.produce(1).initProducerId(InitProducerIdRequest.newBuilder()
                .setCurrent(first.getProducer()).build());
        assertThat(bumped.getProducer().getProducerId()).isEqualTo(first.getProducer().getProducerId());
        assertThat(bumped.getProducer().getProducerEpoch()).isEqualTo(1);
        assertCallFails(() -> cluster.produce(1).initProducerId(InitProducerIdRequest.newBuilder()
                .setCurrent(ProducerIdAndEpoch.newBuilder().setProducerId(1).setProducerEpoch(40000)).build()),
                Status.Code.INVALID_ARGUMENT, ErrorCode.INVALID_REQUEST, "40000");
    }

    // ------------------------------------------------------------------ Fetch, Subscribe, ListOffsets

    @Test
    void fetchShouldRefuseMalformedRequests() {
        assertCallFails(() -> cluster.fetch(1).fetch(FetchRequest.getDefaultInstance()), Status.Code.INVALID_ARGUMENT,
                ErrorCode.INVALID_REQUEST, "partitions");
        FetchPartition p = FetchPartition.newBuilder().setTopic(TOPIC).setPartition(0).build();
        assertCallFails(() -> cluster.fetch(1).fetch(FetchRequest.newBuilder().addPartitions(p).setMaxBytes(-1).build()),
                Status.Code.INVALID_ARGUMENT, ErrorCode.INVALID_REQUEST, "max_bytes");
        assertCallFails(() -> cluster.fetch(1).fetch(FetchRequest.newBuilder().addPartitions(p).setMaxWaitMs(-1).build()),
                Status.Code.INVALID_ARGUMENT, ErrorCode.INVALID_REQUEST, "max_wait_ms");
        assertCallFails(() -> cluster.fetch(1).fetch(FetchRequest.newBuilder().addPartitions(p)
                .setMaxWaitMs(Integer.MAX_VALUE).build()), Status.Code.INVALID_ARGUMENT, ErrorCode.INVALID_REQUEST,
                "max_wait_ms");
        assertCallFails(() -> cluster.fetch(1).fetch(FetchRequest.newBuilder().addPartitions(p).setMinBytes(-3).build()),
                Status.Code.INVALID_ARGUMENT, ErrorCode.INVALID_REQUEST, "min_bytes");
        assertCallFails(() -> cluster.fetch(1).fetch(FetchRequest.newBuilder().addPartitions(p)
                .addPartitions(p.toBuilder().setMaxBytes(-1)).build()), Status.Code.INVALID_ARGUMENT,
                ErrorCode.INVALID_REQUEST);
    }

    @Test
    void fetchShouldReportOutOfRangeWithTheValidRange() {
        for (long offset : new long[] {-1, 6, 1_000_000}) {
            PartitionRecords pr = cluster.fetch(1).fetch(FetchRequest.newBuilder().addPartitions(FetchPartition
                    .newBuilder().setTopic(TOPIC).setPartition(0).setFetchOffset(offset)).setMaxWaitMs(5000).build())
                    .getPartitions(0);
            assertError(pr.getError(), ErrorCode.OFFSET_OUT_OF_RANGE, Long.toString(offset));
            assertThat(pr.getError().getValidOffsets().getLogStartOffset()).isZero();
            assertThat(pr.getError().getValidOffsets().getHighWatermark()).isEqualTo(5);
            assertThat(pr.getRecords().isEmpty()).isTrue();
        }
    }

    @Test
    void fetchShouldReportUnknownAndInvalidTopicsPerPartition() {
        var r = cluster.fetch(1).fetch(FetchRequest.newBuilder()
                .addPartitions(FetchPartition.newBuilder().setTopic("nope").setPartition(0))
                .addPartitions(FetchPartition.newBuilder().setTopic("no/pe").setPartition(0))
                .addPartitions(FetchPartition.newBuilder().setTopic(TOPIC).setPartition(9))
                .addPartitions(FetchPartition.newBuilder().setTopic(TOPIC).setPartition(0)).build());
        assertError(r.getPartitions(0).getError(), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "nope");
        assertError(r.getPartitions(1).getError(), ErrorCode.INVALID_TOPIC_NAME);
        assertError(r.getPartitions(2).getError(), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "partition 9");
        assertThat(r.getPartitions(3).hasError()).isFalse();
        assertThat(r.getPartitions(3).getRecords().size()).isPositive();
    }

    @Test
    void subscribeShouldRefuseMalformedRequestsBeforeSendingAnything() {
        assertCallFails(() -> FetchServiceGrpc.newBlockingStub(cluster.channel(1))
                .subscribe(SubscribeRequest.getDefaultInstance()).hasNext(), Status.Code.INVALID_ARGUMENT,
                ErrorCode.INVALID_REQUEST, "partitions");
        assertCallFails(() -> FetchServiceGrpc.newBlockingStub(cluster.channel(1)).subscribe(SubscribeRequest
                .newBuilder().setMaxBytes(-1).addPartitions(SubscribePartition.newBuilder().setTopic(TOPIC)).build())
                .hasNext(), Status.Code.INVALID_ARGUMENT, ErrorCode.INVALID_REQUEST, "max_bytes");
    }

    @Test
    void subscribeShouldReportAFailedPartitionOnceAndEndWhenNoneIsLeft() throws Exception {
        List<SubscribeResponse> got = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> done = new CompletableFuture<>();
        FetchServiceGrpc.newStub(cluster.channel(1)).subscribe(SubscribeRequest.newBuilder()
                .addPartitions(SubscribePartition.newBuilder().setTopic(TOPIC).setPartition(0).setStartOffset(99))
                .addPartitions(SubscribePartition.newBuilder().setTopic("nope").setPartition(0)).build(),
                new StreamObserver<>() {
                    @Override
                    public void onNext(SubscribeResponse value) {
                        got.add(value);
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
        done.get(20, TimeUnit.SECONDS);
        List<PartitionRecords> all = got.stream().flatMap(m -> m.getPartitionsList().stream()).toList();
        assertThat(all).hasSize(2);
        PartitionRecords oor = all.stream().filter(p -> p.getTopic().equals(TOPIC)).findFirst().orElseThrow();
        assertError(oor.getError(), ErrorCode.OFFSET_OUT_OF_RANGE, "99");
        assertThat(oor.getError().getValidOffsets().getHighWatermark()).isEqualTo(5);
        assertError(all.stream().filter(p -> p.getTopic().equals("nope")).findFirst().orElseThrow().getError(),
                ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    }

    @Test
    void listOffsetsShouldRefuseMalformedRequests() {
        assertCallFails(() -> cluster.fetch(1).listOffsets(ListOffsetsRequest.getDefaultInstance()),
                Status.Code.INVALID_ARGUMENT, ErrorCode.INVALID_REQUEST, "partitions");
        assertCallFails(() -> cluster.fetch(1).listOffsets(ListOffsetsRequest.newBuilder().addPartitions(
                ListOffsetsPartition.newBuilder().setTopic(TOPIC).setPartition(0)).build()),
                Status.Code.INVALID_ARGUMENT, ErrorCode.INVALID_REQUEST, "spec");
        assertCallFails(() -> cluster.fetch(1).listOffsets(ListOffsetsRequest.newBuilder().addPartitions(
                ListOffsetsPartition.newBuilder().setTopic(TOPIC).setPartition(0)
                        .setSpec(OffsetSpec.OFFSET_SPEC_TIMESTAMP).setTimestampMs(-7)).build()),
                Status.Code.INVALID_ARGUMENT, ErrorCode.INVALID_REQUEST, "-7");
        var r = cluster.fetch(1).listOffsets(ListOffsetsRequest.newBuilder()
                .addPartitions(ListOffsetsPartition.newBuilder().setTopic("nope").setPartition(0)
                        .setSpec(OffsetSpec.OFFSET_SPEC_LATEST))
                .addPartitions(ListOffsetsPartition.newBuilder().setTopic(TOPIC).setPartition(5)
                        .setSpec(OffsetSpec.OFFSET_SPEC_LATEST)).build());
        assertError(r.getPartitions(0).getError(), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        assertError(r.getPartitions(1).getError(), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    }

    // ------------------------------------------------------------------ Metadata

    @Test
    void metadataShouldReportUnknownAndInvalidTopics() {
        MetadataResponse r = cluster.metadata(1).metadata(MetadataRequest.newBuilder().addTopics("nope")
                .addTopics("bad name").addTopics(TOPIC).build());
        assertError(r.getTopics(0).getError(), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        assertError(r.getTopics(1).getError(), ErrorCode.INVALID_TOPIC_NAME);
        assertThat(r.getTopics(2).hasError()).isFalse();
        assertThat(r.getTopics(2).getPartitionsCount()).isEqualTo(2);
        assertThat(r.getTopics(2).getPartitions(0).getLeaderId()).isEqualTo(1);
        assertThat(r.getBrokersList()).extracting(b -> b.getPort()).containsExactly(cluster.broker(1).clientPort());
        assertThat(r.getControllerId()).isEqualTo(1);
    }

    @Test
    void findCoordinatorShouldRefuseAnEmptyRequestAndAnswerPerGroup() {
        assertCallFails(() -> cluster.metadata(1).findCoordinator(FindCoordinatorRequest.getDefaultInstance()),
                Status.Code.INVALID_ARGUMENT, ErrorCode.INVALID_REQUEST, "group_ids");
        io.tributary.proto.v1.FindCoordinatorResponse r = cluster.metadata(1).findCoordinator(
                FindCoordinatorRequest.newBuilder().addGroupIds("g").addGroupIds("").build());
        assertThat(r.getCoordinatorsCount()).isEqualTo(2);
        // The internal topic may still be being created: a coordinator, or COORDINATOR_NOT_AVAILABLE.
        assertThat(r.getCoordinators(0).hasCoordinator()
                || r.getCoordinators(0).getError().getCode() == ErrorCode.COORDINATOR_NOT_AVAILABLE).isTrue();
        assertError(r.getCoordinators(1).getError(), ErrorCode.INVALID_REQUEST);
        assertThat(GroupServiceGrpc.newBlockingStub(cluster.channel(1)).listGroups(ListGroupsRequest.getDefaultInstance())
                .getGroupsCount()).isZero();
    }

    // ------------------------------------------------------------------ Admin

    CreateTopicResult create(NewTopic t) {
        return cluster.admin(1).createTopics(CreateTopicsRequest.newBuilder().addTopics(t).build()).getTopics(0);
    }

    @Test
    void createTopicsShouldRefuseBadTopics() {
        assertCallFails(() -> cluster.admin(1).createTopics(CreateTopicsRequest.getDefaultInstance()),
                Status.Code.INVALID_ARGUMENT, ErrorCode.INVALID_REQUEST, "topics");
        assertCallFails(() -> cluster.admin(1).createTopics(CreateTopicsRequest.newBuilder()
                .addTopics(NewTopic.newBuilder().setName("a")).addTopics(NewTopic.newBuilder().setName("a")).build()),
                Status.Code.INVALID_ARGUMENT, ErrorCode.INVALID_REQUEST, "more than once");
        assertError(create(NewTopic.newBuilder().setName("has space").build()).getError(),
                ErrorCode.INVALID_TOPIC_NAME);
        assertError(create(NewTopic.newBuilder().setName("__internal").build()).getError(),
                ErrorCode.INVALID_TOPIC_NAME, "reserved");
        assertError(create(NewTopic.newBuilder().setName("x").setPartitionCount(-1).build()).getError(),
                ErrorCode.INVALID_PARTITIONS, "-1");
        assertError(create(NewTopic.newBuilder().setName("x").setPartitionCount(1_000_000).build()).getError(),
                ErrorCode.INVALID_PARTITIONS, "1000000");
        assertError(create(NewTopic.newBuilder().setName("x").setReplicationFactor(5).build()).getError(),
                ErrorCode.INVALID_REPLICATION_FACTOR, "1 live broker");
        // The default replication factor (3) also exceeds the single live broker.
        assertError(create(NewTopic.newBuilder().setName("x").build()).getError(),
                ErrorCode.INVALID_REPLICATION_FACTOR, "1 live broker");
        assertError(create(NewTopic.newBuilder().setName("x").setReplicationFactor(1)
                .putConfigs("retention.msec", "5").build()).getError(), ErrorCode.INVALID_CONFIG, "retention.msec");
        assertError(create(NewTopic.newBuilder().setName("x").setReplicationFactor(1)
                .putConfigs("cleanup.policy", "shred").build()).getError(), ErrorCode.INVALID_CONFIG, "shred");
        assertError(create(NewTopic.newBuilder().setName(TOPIC).setReplicationFactor(1).build()).getError(),
                ErrorCode.TOPIC_ALREADY_EXISTS);
        MetadataResponse md = cluster.metadata(1).metadata(MetadataRequest.getDefaultInstance());
        assertThat(md.getTopicsList()).extracting(t -> t.getName()).doesNotContain("x", "has space", "__internal");
    }

    @Test
    void adminCallsShouldWorkAndRefuseBadInput() {
        CreateTopicResult dry = cluster.admin(1).createTopics(CreateTopicsRequest.newBuilder().setValidateOnly(true)
                .addTopics(NewTopic.newBuilder().setName("admin").setPartitionCount(2).setReplicationFactor(1))
                .build()).getTopics(0);
        assertThat(dry.hasError()).isFalse();
        assertThat(dry.getTopicId()).isEmpty();
        assertThat(cluster.metadata(1).metadata(MetadataRequest.newBuilder().addTopics("admin").build()).getTopics(0)
                .getError().getCode()).isEqualTo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);

        CreateTopicResult created = cluster.createTopic("admin", 2, 1, Map.of("retention.ms", "60000"));
        assertThat(created.getTopicId()).isNotEmpty();
        assertThat(created.getPartitionCount()).isEqualTo(2);
        assertThat(created.getReplicationFactor()).isEqualTo(1);

        var listed = cluster.admin(1).listTopics(io.tributary.proto.v1.ListTopicsRequest.getDefaultInstance());
        assertThat(listed.getTopicsList()).extracting(t -> t.getName()).contains("admin", TOPIC);

        var described = cluster.admin(1).describeTopics(DescribeTopicsRequest.newBuilder().addNames("admin")
                .addNames("nope").setIncludeConfigs(true).build());
        var d = described.getTopics(0);
        assertThat(d.hasError()).isFalse();
        assertThat(d.getPartitionsCount()).isEqualTo(2);
        assertThat(d.getPartitions(0).getLeaderId()).isEqualTo(1);
        assertThat(d.getPartitions(0).getReplicaIdsList()).containsExactly(1);
        assertThat(d.getPartitions(0).getInSyncReplicaIdsList()).containsExactly(1);
        assertThat(d.getPartitions(0).getHighWatermark()).isZero();
        assertThat(d.getPartitions(0).getLogStartOffset()).isZero();
        assertThat(d.getConfigsList()).anySatisfy(c -> {
            assertThat(c.getName()).isEqualTo("retention.ms");
            assertThat(c.getValue()).isEqualTo("60000");
            assertThat(c.getSource()).isEqualTo(io.tributary.proto.v1.ConfigSource.CONFIG_SOURCE_TOPIC);
        });
        assertError(described.getTopics(1).getError(), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        assertCallFails(() -> cluster.admin(1).describeTopics(DescribeTopicsRequest.getDefaultInstance()),
                Status.Code.INVALID_ARGUMENT, ErrorCode.INVALID_REQUEST, "names");

        // AlterTopicConfigs
        assertCallFails(() -> cluster.admin(1).alterTopicConfigs(AlterTopicConfigsRequest.newBuilder().addTopics(
                TopicConfigAlteration.newBuilder().setTopic("admin").addAlterations(ConfigAlteration.newBuilder()
                        .setName("retention.ms").setValue("5"))).build()),
                Status.Code.INVALID_ARGUMENT, ErrorCode.INVALID_REQUEST, "operation");
        assertCallFails(() -> cluster.admin(1).alterTopicConfigs(AlterTopicConfigsRequest.newBuilder().addTopics(
                TopicConfigAlteration.newBuilder().setTopic("admin")).build()),
                Status.Code.INVALID_ARGUMENT, ErrorCode.INVALID_REQUEST, "alterations");
        var bad = cluster.admin(1).alterTopicConfigs(AlterTopicConfigsRequest.newBuilder()
                .addTopics(TopicConfigAlteration.newBuilder().setTopic("admin").addAlterations(ConfigAlteration
                        .newBuilder().setName("segment.bytes").setValue("-1")
                        .setOperation(ConfigOperation.CONFIG_OPERATION_SET)))
                .addTopics(TopicConfigAlteration.newBuilder().setTopic("nope").addAlterations(ConfigAlteration
                        .newBuilder().setName("retention.ms").setOperation(ConfigOperation.CONFIG_OPERATION_DELETE)))
                .build());
        assertError(bad.getTopics(0).getError(), ErrorCode.INVALID_CONFIG, "segment.bytes", "-1");
        assertError(bad.getTopics(1).getError(), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        var ok = cluster.admin(1).alterTopicConfigs(AlterTopicConfigsRequest.newBuilder()
                .addTopics(TopicConfigAlteration.newBuilder().setTopic("admin")
                        .addAlterations(ConfigAlteration.newBuilder().setName("retention.ms")
                                .setOperation(ConfigOperation.CONFIG_OPERATION_DELETE))
                        .addAlterations(ConfigAlteration.newBuilder().setName("max.message.bytes").setValue("2000")
                                .setOperation(ConfigOperation.CONFIG_OPERATION_SET))).build());
        assertThat(ok.getTopics(0).hasError()).as("%s", ok.getTopics(0).getError()).isFalse();
        await().atMost(Duration.ofSeconds(10)).until(() -> cluster.admin(1).describeTopics(DescribeTopicsRequest
                .newBuilder().addNames("admin").setIncludeConfigs(true).build()).getTopics(0).getConfigsList().stream()
                .anyMatch(c -> c.getName().equals("max.message.bytes") && c.getValue().equals("2000")));

        // CreatePartitions
        var shrink = cluster.admin(1).createPartitions(CreatePartitionsRequest.newBuilder().addTopics(NewPartitions
                .newBuilder().setTopic("admin").setTotalCount(1)).build());
        assertError(shrink.getTopics(0).getError(), ErrorCode.INVALID_PARTITIONS, "2 partitions");
        var grow = cluster.admin(1).createPartitions(CreatePartitionsRequest.newBuilder().addTopics(NewPartitions
                .newBuilder().setTopic("admin").setTotalCount(3)).build());
        assertThat(grow.getTopics(0).hasError()).as("%s", grow.getTopics(0).getError()).isFalse();
        assertThat(cluster.metadata(1).metadata(MetadataRequest.newBuilder().addTopics("admin").build()).getTopics(0)
                .getPartitionsCount()).isEqualTo(3);

        // DeleteTopics
        assertCallFails(() -> cluster.admin(1).deleteTopics(DeleteTopicsRequest.getDefaultInstance()),
                Status.Code.INVALID_ARGUMENT, ErrorCode.INVALID_REQUEST, "names");
        var del = cluster.admin(1).deleteTopics(DeleteTopicsRequest.newBuilder().addNames("admin").addNames("nope")
                .addNames("__consumer_offsets").addNames("bad name").build());
        assertThat(del.getTopics(0).hasError()).isFalse();
        assertError(del.getTopics(1).getError(), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        assertError(del.getTopics(2).getError(), ErrorCode.POLICY_VIOLATION);
        assertError(del.getTopics(3).getError(), ErrorCode.INVALID_TOPIC_NAME);
        Supplier<ErrorCode> code = () -> cluster.metadata(1).metadata(MetadataRequest.newBuilder().addTopics("admin")
                .build()).getTopics(0).getError().getCode();
        await().atMost(Duration.ofSeconds(10)).until(() -> code.get() == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    }
}
