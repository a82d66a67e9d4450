package io.tributary.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.tributary.client.errors.ExpectedOffsetMismatchException;
import io.tributary.client.errors.InvalidProducerEpochException;
import io.tributary.client.errors.NetworkException;
import io.tributary.client.errors.NotLeaderException;
import io.tributary.client.errors.OffsetOutOfRangeException;
import io.tributary.client.errors.OutOfOrderSequenceException;
import io.tributary.client.errors.RecordTooLargeException;
import io.tributary.client.errors.RequestTimedOutException;
import io.tributary.client.errors.RetriableException;
import io.tributary.client.errors.TributaryException;
import io.tributary.client.errors.UnknownServerException;
import io.tributary.client.errors.UnknownTopicOrPartitionException;
import io.tributary.proto.v1.Broker;
import io.tributary.proto.v1.ErrorCode;
import io.tributary.proto.v1.ErrorDetail;
import io.tributary.proto.v1.OffsetRange;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ErrorMapperTest {

    static StatusRuntimeException failed(int grpcCode, ErrorDetail detail) {
        return StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder().setCode(grpcCode)
                .setMessage(detail.getMessage()).addDetails(Any.pack(detail)).build());
    }

    @Test
    void shouldMapEveryKnownCodeToATypedExceptionWithTheRightRetriability() {
        for (ErrorCode code : ErrorCode.values()) {
            if (code == ErrorCode.UNRECOGNIZED || code == ErrorCode.NONE) {
                continue;
            }
            TributaryException e = ErrorMapper.fromDetail(ErrorDetail.newBuilder().setCode(code)
                    .setMessage("m " + code).build());
            assertThat(e.code()).as(code.name()).isEqualTo(code);
            assertThat(e.getMessage()).isEqualTo("m " + code);
            assertThat(e.isRetriable()).as(code.name()).isEqualTo(e instanceof RetriableException);
        }
        assertThat(ErrorMapper.fromDetail(ErrorDetail.newBuilder().setCode(ErrorCode.NOT_LEADER).build()).isRetriable())
                .isTrue();
        assertThat(ErrorMapper.fromDetail(ErrorDetail.newBuilder().setCode(ErrorCode.BROKER_BUSY).build()).isRetriable())
                .isTrue();
        assertThat(ErrorMapper.fromDetail(ErrorDetail.newBuilder().setCode(ErrorCode.OUT_OF_ORDER_SEQUENCE).build()))
                .isInstanceOf(OutOfOrderSequenceException.class).matches(e -> !e.isRetriable());
        assertThat(ErrorMapper.fromDetail(ErrorDetail.newBuilder().setCode(ErrorCode.INVALID_PRODUCER_EPOCH).build()))
                .isInstanceOf(InvalidProducerEpochException.class);
    }

    @Test
    void shouldCarryLeaderHintActualOffsetAndValidRange() {
        NotLeaderException nl = (NotLeaderException) ErrorMapper.fromDetail(ErrorDetail.newBuilder()
                .setCode(ErrorCode.NOT_LEADER).setRetriable(true)
                .setLeader(Broker.newBuilder().setBrokerId(3).setHost("h").setPort(1)).setLeaderEpoch(7).build());
        assertThat(nl.leaderId()).isEqualTo(3);
        assertThat(nl.leaderEpoch()).isEqualTo(7);

        ExpectedOffsetMismatchException m = (ExpectedOffsetMismatchException) ErrorMapper.fromThrowable(
                failed(Status.Code.ABORTED.value(), ErrorDetail.newBuilder().setCode(ErrorCode.EXPECTED_OFFSET_MISMATCH)
                        .setMessage("key k is at 41").setActualOffset(41)
                        .setMismatchedKey(ByteString.copyFromUtf8("k")).build()));
        assertThat(m.actualOffset()).isEqualTo(41);
        assertThat(m.mismatchedKey()).hasValueSatisfying(k -> assertThat(new String(k)).isEqualTo("k"));
        assertThat(m.getCause()).isInstanceOf(StatusRuntimeException.class);

        ExpectedOffsetMismatchException none = (ExpectedOffsetMismatchException) ErrorMapper.fromDetail(
                ErrorDetail.newBuilder().setCode(ErrorCode.EXPECTED_OFFSET_MISMATCH).setActualOffset(-1).build());
        assertThat(none.actualOffset()).isEqualTo(-1);
        assertThat(none.mismatchedKey()).isEmpty();

        OffsetOutOfRangeException r = (OffsetOutOfRangeException) ErrorMapper.fromDetail(ErrorDetail.newBuilder()
                .setCode(ErrorCode.OFFSET_OUT_OF_RANGE)
                .setValidOffsets(OffsetRange.newBuilder().setLogStartOffset(5).setHighWatermark(9)).build());
        assertThat(r.logStartOffset()).isEqualTo(5);
        assertThat(r.highWatermark()).isEqualTo(9);
    }

    @Test
    void shouldJudgeAnUnknownCodeByItsRetriableFlag() {
        TributaryException retriable = ErrorMapper.fromDetail(ErrorDetail.newBuilder().setCodeValue(9999)
                .setRetriable(true).setMessage("new").build());
        assertThat(retriable).isInstanceOf(RetriableException.class);
        assertThat(retriable.code()).isEqualTo(ErrorCode.UNRECOGNIZED);
        assertThat(retriable.codeValue()).isEqualTo(9999);
        TributaryException not = ErrorMapper.fromDetail(ErrorDetail.newBuilder().setCodeValue(9998).build());
        assertThat(not.isRetriable()).isFalse();
        assertThat(not.getMessage()).isEqualTo("error code 9998");
    }

    @Test
    void shouldJudgeAStatusWithoutDetailByItsGrpcCode() {
        assertThat(ErrorMapper.fromThrowable(Status.UNAVAILABLE.withDescription("io").asRuntimeException()))
                .isInstanceOf(NetworkException.class).matches(TributaryException::isRetriable);
        assertThat(ErrorMapper.fromThrowable(new CompletionException(Status.DEADLINE_EXCEEDED.asRuntimeException())))
                .isInstanceOf(RequestTimedOutException.class).matches(TributaryException::isRetriable);
        assertThat(ErrorMapper.fromThrowable(Status.RESOURCE_EXHAUSTED.asRuntimeException()))
                .isInstanceOf(RecordTooLargeException.class).matches(e -> !e.isRetriable());
        assertThat(ErrorMapper.fromThrowable(Status.INTERNAL.asRuntimeException()))
                .isInstanceOf(UnknownServerException.class).matches(e -> !e.isRetriable());
        assertThat(ErrorMapper.fromThrowable(failed(Status.Code.NOT_FOUND.value(), ErrorDetail.newBuilder()
                .setCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION).setMessage("no topic t").build())))
                .isInstanceOf(UnknownTopicOrPartitionException.class).hasMessage("no topic t");
        assertThat(ErrorMapper.fromThrowable(new IllegalStateException("x"))).isInstanceOf(UnknownServerException.class);
        assertThat(ErrorMapper.isError(ErrorDetail.getDefaultInstance())).isFalse();
        assertThat(ErrorMapper.isError(null)).isFalse();
    }
}
