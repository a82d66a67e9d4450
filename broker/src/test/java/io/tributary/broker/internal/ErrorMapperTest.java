package io.tributary.broker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.tributary.log.CorruptLogException;
import io.tributary.log.LogFailedException;
import io.tributary.log.OffsetOutOfRangeException;
import io.tributary.proto.v1.ErrorCode;
import io.tributary.proto.v1.ErrorDetail;
import io.tributary.record.InvalidRecordBatchException;
import io.tributary.replication.BrokerInfo;
import io.tributary.replication.ClusterMetadata;
import io.tributary.replication.ExpectedOffsetMismatchException;
import io.tributary.replication.NotLeaderException;
import io.tributary.replication.PartitionInfo;
import io.tributary.replication.ReplicationTimeoutException;
import io.tributary.replication.TopicException;
import io.tributary.replication.TopicInfo;
import io.tributary.replication.TopicPartition;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ErrorMapperTest {

    private static final TopicPartition TP = new TopicPartition("orders", 0);

    private final ClusterMetadata md = new ClusterMetadata("c1", 7, Optional.of(1),
            Map.of(1, new BrokerInfo(1, "10.0.0.1", 7401, "10.0.0.1:7501", "", true, true),
                    2, new BrokerInfo(2, "10.0.0.2", 7402, "10.0.0.2:7502", "rack-b", true, true)),
            Map.of("orders", new TopicInfo("orders", "id-1", Map.of(),
                    List.of(new PartitionInfo(0, List.of(2, 1), 2, 5, List.of(2, 1))))));
    private final ErrorMapper mapper = new ErrorMapper(1, () -> md);

    @Test
    void shouldMapNotLeaderToFailedPreconditionWithTheLeadersAddressAndEpoch() {
        ErrorDetail d = mapper.toDetail(new CompletionException(new NotLeaderException("orders-0", 2)), TP);
        assertThat(d.getCode()).isEqualTo(ErrorCode.NOT_LEADER);
        assertThat(d.getRetriable()).isTrue();
        assertThat(d.getLeader().getBrokerId()).isEqualTo(2);
        assertThat(d.getLeader().getHost()).isEqualTo("10.0.0.2");
        assertThat(d.getLeader().getPort()).isEqualTo(7402);
        assertThat(d.getLeader().getRack()).isEqualTo("rack-b");
        assertThat(d.getLeaderEpoch()).isEqualTo(5);
        assertThat(d.getMessage()).contains("orders-0").contains("broker 2 at 10.0.0.2:7402");
        assertThat(ErrorMapper.grpcCode(d.getCode())).isEqualTo(Status.Code.FAILED_PRECONDITION);
    }

    @Test
    void shouldMapNotLeaderWithoutAKnownLeaderToLeaderNotAvailable() {
        ErrorMapper empty = new ErrorMapper(1, () -> new ClusterMetadata("c1", 0, Optional.empty(), Map.of(), Map.of()));
        ErrorDetail d = empty.toDetail(new NotLeaderException("orders-0", -1), TP);
        assertThat(d.getCode()).isEqualTo(ErrorCode.LEADER_NOT_AVAILABLE);
        assertThat(d.getRetriable()).isTrue();
        assertThat(ErrorMapper.grpcCode(d.getCode())).isEqualTo(Status.Code.UNAVAILABLE);
    }

    @Test
    void shouldMapOffsetOutOfRangeWithTheValidRange() {
        ErrorDetail d = mapper.toDetail(new OffsetOutOfRangeException(500, 10, 120), TP);
        assertThat(d.getCode()).isEqualTo(ErrorCode.OFFSET_OUT_OF_RANGE);
        assertThat(d.getValidOffsets().getLogStartOffset()).isEqualTo(10);
        assertThat(d.getValidOffsets().getHighWatermark()).isEqualTo(120);
        assertThat(d.getMessage()).contains("500").contains("10").contains("120");
        assertThat(ErrorMapper.grpcCode(d.getCode())).isEqualTo(Status.Code.OUT_OF_RANGE);
    }

    @Test
    void shouldMapStorageFailures() {
        ErrorDetail corrupt = mapper.toDetail(new CorruptLogException(Path.of("/data/orders-0/0.log"), 42, "bad crc",
                null), TP);
        assertThat(corrupt.getCode()).isEqualTo(ErrorCode.CORRUPT_LOG);
        assertThat(ErrorMapper.grpcCode(corrupt.getCode())).isEqualTo(Status.Code.DATA_LOSS);

        ErrorDetail full = mapper.toDetail(new LogFailedException("append failed",
                new IOException("No space left on device")), TP);
        assertThat(full.getCode()).isEqualTo(ErrorCode.DISK_FULL);
        assertThat(ErrorMapper.grpcCode(full.getCode())).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);

        ErrorDetail io = mapper.toDetail(new LogFailedException("append failed", new IOException("EIO")), TP);
        assertThat(io.getCode()).isEqualTo(ErrorCode.STORAGE_ERROR);
        assertThat(io.getRetriable()).isTrue();
    }

    @Test
    void shouldMapReplicationAndTopicFailures() {
        assertThat(mapper.toDetail(new ReplicationTimeoutException("slow"), TP).getCode())
                .isEqualTo(ErrorCode.REQUEST_TIMED_OUT);
        ErrorDetail mismatch = mapper.toDetail(new ExpectedOffsetMismatchException(TP, 5, 9), TP);
        assertThat(mismatch.getCode()).isEqualTo(ErrorCode.EXPECTED_OFFSET_MISMATCH);
        assertThat(mismatch.getActualOffset()).isEqualTo(9);
        assertThat(ErrorMapper.grpcCode(mismatch.getCode())).isEqualTo(Status.Code.ABORTED);
        assertThat(mapper.toDetail(new TopicException(TopicException.Reason.TOPIC_ALREADY_EXISTS, "exists"), null)
                .getCode()).isEqualTo(ErrorCode.TOPIC_ALREADY_EXISTS);
        assertThat(mapper.toDetail(new TopicException(TopicException.Reason.UNKNOWN_TOPIC, "no"), null).getCode())
                .isEqualTo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        assertThat(mapper.toDetail(new TopicException(TopicException.Reason.CONTROLLER_NOT_AVAILABLE, "no"), null)
                .getRetriable()).isTrue();
        assertThat(mapper.toDetail(new InvalidRecordBatchException(InvalidRecordBatchException.Reason.CRC_MISMATCH,
                "CRC32C mismatch"), TP).getCode()).isEqualTo(ErrorCode.CORRUPT_BATCH);
    }

    @Test
    void shouldMapIdempotenceAndKeyConditionFailures() {
        ErrorDetail gap = mapper.toDetail(new java.util.concurrent.CompletionException(
                new io.tributary.replication.OutOfOrderSequenceException(TP, 42, 3, 7, 9)), TP);
        assertThat(gap.getCode()).isEqualTo(ErrorCode.OUT_OF_ORDER_SEQUENCE);
        assertThat(gap.getRetriable()).isFalse();
        assertThat(gap.getMessage()).contains("expected sequence 7", "received 9", "producer 42", "orders-0");
        assertThat(ErrorMapper.grpcCode(gap.getCode())).isEqualTo(Status.Code.FAILED_PRECONDITION);

        ErrorDetail fenced = mapper.toDetail(new io.tributary.replication.InvalidProducerEpochException(TP, 42, 2, 5), TP);
        assertThat(fenced.getCode()).isEqualTo(ErrorCode.INVALID_PRODUCER_EPOCH);
        assertThat(fenced.getMessage()).contains("current epoch 5", "received 2");
        assertThat(fenced.getRetriable()).isFalse();

        ErrorDetail unknown = mapper.toDetail(new io.tributary.replication.UnknownProducerIdException(TP, 42, 0, 12), TP);
        assertThat(unknown.getCode()).isEqualTo(ErrorCode.UNKNOWN_PRODUCER_ID);
        assertThat(unknown.getMessage()).contains("InitProducerId", "sequence 12");

        ErrorDetail old = mapper.toDetail(new io.tributary.replication.DuplicateSequenceException(TP, 42, 0, 3, 60), TP);
        assertThat(old.getCode()).isEqualTo(ErrorCode.DUPLICATE_SEQUENCE);
        assertThat(ErrorMapper.grpcCode(old.getCode())).isEqualTo(Status.Code.ALREADY_EXISTS);

        ErrorDetail key = mapper.toDetail(new ExpectedOffsetMismatchException(TP,
                "order-17".getBytes(java.nio.charset.StandardCharsets.UTF_8), 4, -1), TP);
        assertThat(key.getCode()).isEqualTo(ErrorCode.EXPECTED_OFFSET_MISMATCH);
        assertThat(key.getActualOffset()).isEqualTo(-1);
        assertThat(key.getMismatchedKey().toStringUtf8()).isEqualTo("order-17");
        assertThat(key.getMessage()).contains("\"order-17\"", "no record");
        ErrorDetail end = mapper.toDetail(new ExpectedOffsetMismatchException(TP, 5, 9), TP);
        assertThat(end.getMismatchedKey().isEmpty()).isTrue();
    }

    @Test
    void shouldHideUnexpectedExceptionsBehindAnErrorId() {
        ErrorDetail d = mapper.toDetail(new IllegalStateException("secret internals at com.example.Foo"), TP);
        assertThat(d.getCode()).isEqualTo(ErrorCode.UNKNOWN);
        assertThat(d.getMessage()).doesNotContain("IllegalStateException").doesNotContain("secret")
                .contains("error #");
        assertThat(ErrorMapper.grpcCode(d.getCode())).isEqualTo(Status.Code.INTERNAL);
    }

    @Test
    void shouldCarryExactlyOneErrorDetailInTheStatus() throws Exception {
        StatusRuntimeException e = mapper.toStatus(RequestException.invalidRequest("partitions is empty"));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(e.getStatus().getDescription()).isEqualTo("partitions is empty");
        com.google.rpc.Status s = StatusProto.fromThrowable(e);
        assertThat(s.getDetailsCount()).isEqualTo(1);
        ErrorDetail d = s.getDetails(0).unpack(ErrorDetail.class);
        assertThat(d.getCode()).isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(d.getRetriable()).isFalse();
    }

    @Test
    void shouldMapEveryCodeToAStatus() {
        for (ErrorCode c : ErrorCode.values()) {
            if (c == ErrorCode.UNRECOGNIZED) {
                continue;
            }
            Status.Code g = ErrorMapper.grpcCode(c);
            assertThat(g == Status.Code.OK).isEqualTo(c == ErrorCode.NONE);
            assertThat(c == ErrorCode.UNKNOWN ? g == Status.Code.INTERNAL : g != Status.Code.INTERNAL)
                    .as("code %s", c).isTrue();
        }
    }
}
