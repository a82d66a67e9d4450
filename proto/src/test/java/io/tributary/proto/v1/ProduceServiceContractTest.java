package io.tributary.proto.v1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Drives the generated stubs over an in-process gRPC server to check the contract works as the
 * comments in {@code produce.proto} and {@code errors.proto} say: per-partition results on
 * success, and a whole-call failure that carries an {@link ErrorDetail} as its status detail.
 */
@Timeout(30)
class ProduceServiceContractTest {

    private static final Broker LEADER =
            Broker.newBuilder().setBrokerId(2).setHost("127.0.0.1").setPort(7402).build();

    /** A number no ErrorCode has yet, as a newer broker might send. */
    private static final int FUTURE_CODE = 199;

    private Server server;
    private ManagedChannel channel;
    private ProduceServiceGrpc.ProduceServiceBlockingStub stub;

    @BeforeEach
    void startServer() throws IOException {
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name)
                .directExecutor()
                .addService(new FakeProduceService())
                .build()
                .start();
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
        stub = ProduceServiceGrpc.newBlockingStub(channel);
    }

    @AfterEach
    void stopServer() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    @Test
    void shouldReturnOneResultPerPartitionWithItsOwnError() {
        ProduceRequest request = ProduceRequest.newBuilder()
                .setAcks(Acks.ACKS_ALL)
                .addPartitions(partition("orders", 0).setRecords(ByteString.copyFrom(new byte[61])))
                .addPartitions(partition("orders", 1)
                        .setRecords(ByteString.copyFrom(new byte[61]))
                        .setExpectedEndOffset(7))
                .addPartitions(partition("moved", 0).setRecords(ByteString.copyFrom(new byte[61])))
                .build();

        ProduceResponse response = stub.produce(request);

        assertThat(response.getPartitionsList()).hasSize(3);
        PartitionProduceResult appended = response.getPartitions(0);
        assertThat(appended.hasError()).isFalse();
        assertThat(appended.getError().getCode()).isEqualTo(ErrorCode.NONE);
        assertThat(appended.getBaseOffset()).isEqualTo(42L);

        PartitionProduceResult rejected = response.getPartitions(1);
        assertThat(rejected.getError().getCode()).isEqualTo(ErrorCode.EXPECTED_OFFSET_MISMATCH);
        assertThat(rejected.getError().hasActualOffset()).isTrue();
        assertThat(rejected.getError().getActualOffset()).isEqualTo(9L);
        assertThat(rejected.getBaseOffset()).isEqualTo(-1L);

        ErrorDetail notLeader = response.getPartitions(2).getError();
        assertThat(notLeader.getCode()).isEqualTo(ErrorCode.NOT_LEADER);
        assertThat(notLeader.getRetriable()).isTrue();
        assertThat(notLeader.getLeader()).isEqualTo(LEADER);
        assertThat(notLeader.getLeaderEpoch()).isEqualTo(5);
    }

    @Test
    void shouldCarryErrorDetailAsStatusDetailWhenTheWholeCallFails() throws InvalidProtocolBufferException {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                () -> stub.produce(ProduceRequest.getDefaultInstance()));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        com.google.rpc.Status status = StatusProto.fromThrowable(e);
        assertThat(status).isNotNull();
        assertThat(status.getDetailsList()).hasSize(1);
        Any any = status.getDetails(0);
        assertThat(any.getTypeUrl()).isEqualTo("type.googleapis.com/tributary.v1.ErrorDetail");
        ErrorDetail detail = any.unpack(ErrorDetail.class);
        assertThat(detail.getCode()).isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(detail.getRetriable()).isFalse();
        assertThat(detail.getMessage()).isEqualTo(status.getMessage()).contains("partitions");
    }

    @Test
    void shouldLetAnOldClientHandleAnErrorCodeItDoesNotKnow() throws InvalidProtocolBufferException {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                () -> stub.initProducerId(InitProducerIdRequest.getDefaultInstance()));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        ErrorDetail detail = StatusProto.fromThrowable(e).getDetails(0).unpack(ErrorDetail.class);
        assertThat(detail.getCode()).isEqualTo(ErrorCode.UNRECOGNIZED);
        assertThat(detail.getCodeValue()).isEqualTo(FUTURE_CODE);
        assertThat(detail.getRetriable()).isTrue();
    }

    private static PartitionProduceData.Builder partition(String topic, int partition) {
        return PartitionProduceData.newBuilder().setTopic(topic).setPartition(partition);
    }

    /**
     * Test-only implementation: appends at offset 42; fails conditions, topic "moved" (led
     * elsewhere), empty requests, and InitProducerId (with a code from the future).
     */
    private static final class FakeProduceService extends ProduceServiceGrpc.ProduceServiceImplBase {

        @Override
        public void produce(ProduceRequest request, StreamObserver<ProduceResponse> responses) {
            if (request.getPartitionsCount() == 0) {
                responses.onError(failure(Status.Code.INVALID_ARGUMENT, ErrorDetail.newBuilder()
                        .setCode(ErrorCode.INVALID_REQUEST)
                        .setMessage("a produce request needs at least one entry in partitions")
                        .build()));
                return;
            }
            ProduceResponse.Builder response = ProduceResponse.newBuilder();
            for (PartitionProduceData data : request.getPartitionsList()) {
                PartitionProduceResult.Builder result = PartitionProduceResult.newBuilder()
                        .setTopic(data.getTopic())
                        .setPartition(data.getPartition())
                        .setLogAppendTimeMs(-1)
                        .setLogStartOffset(0);
                if (data.getTopic().equals("moved")) {
                    result.setBaseOffset(-1).setError(ErrorDetail.newBuilder()
                            .setCode(ErrorCode.NOT_LEADER)
                            .setMessage("not the leader of moved-0; the leader is broker 2 at 127.0.0.1:7402")
                            .setRetriable(true)
                            .setLeader(LEADER)
                            .setLeaderEpoch(5));
                } else if (data.hasExpectedEndOffset()) {
                    result.setBaseOffset(-1).setError(ErrorDetail.newBuilder()
                            .setCode(ErrorCode.EXPECTED_OFFSET_MISMATCH)
                            .setMessage("expected end offset " + data.getExpectedEndOffset() + ", actual 9")
                            .setActualOffset(9));
                } else {
                    result.setBaseOffset(42);
                }
                response.addPartitions(result);
            }
            responses.onNext(response.build());
            responses.onCompleted();
        }

        @Override
        public void initProducerId(InitProducerIdRequest request, StreamObserver<InitProducerIdResponse> responses) {
            responses.onError(failure(Status.Code.UNAVAILABLE, ErrorDetail.newBuilder()
                    .setCodeValue(FUTURE_CODE)
                    .setMessage("a failure this client's version has no name for")
                    .setRetriable(true)
                    .build()));
        }

        private static StatusRuntimeException failure(Status.Code code, ErrorDetail detail) {
            return StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
                    .setCode(code.value())
                    .setMessage(detail.getMessage())
                    .addDetails(Any.pack(detail))
                    .build());
        }
    }
}
