package io.tributary.client.internal;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.tributary.client.errors.AuthorizationException;
import io.tributary.client.errors.BrokerBusyException;
import io.tributary.client.errors.ControllerNotAvailableException;
import io.tributary.client.errors.CoordinatorLoadInProgressException;
import io.tributary.client.errors.CoordinatorNotAvailableException;
import io.tributary.client.errors.CorruptLogException;
import io.tributary.client.errors.CorruptRecordException;
import io.tributary.client.errors.DiskFullException;
import io.tributary.client.errors.DuplicateSequenceException;
import io.tributary.client.errors.ExpectedOffsetMismatchException;
import io.tributary.client.errors.GroupIdNotFoundException;
import io.tributary.client.errors.GroupNotEmptyException;
import io.tributary.client.errors.IllegalGenerationException;
import io.tributary.client.errors.InvalidConfigurationException;
import io.tributary.client.errors.InvalidPartitionsException;
import io.tributary.client.errors.InvalidProducerEpochException;
import io.tributary.client.errors.InvalidReplicationFactorException;
import io.tributary.client.errors.InvalidRequestException;
import io.tributary.client.errors.InvalidTopicException;
import io.tributary.client.errors.LeaderNotAvailableException;
import io.tributary.client.errors.NetworkException;
import io.tributary.client.errors.NotCoordinatorException;
import io.tributary.client.errors.NotLeaderException;
import io.tributary.client.errors.OffsetOutOfRangeException;
import io.tributary.client.errors.OutOfOrderSequenceException;
import io.tributary.client.errors.PartitionNotOwnedException;
import io.tributary.client.errors.PolicyViolationException;
import io.tributary.client.errors.RebalanceInProgressException;
import io.tributary.client.errors.RecordTooLargeException;
import io.tributary.client.errors.RequestTimedOutException;
import io.tributary.client.errors.RetriableException;
import io.tributary.client.errors.StorageErrorException;
import io.tributary.client.errors.TopicExistsException;
import io.tributary.client.errors.TributaryException;
import io.tributary.client.errors.UnknownMemberIdException;
import io.tributary.client.errors.UnknownProducerIdException;
import io.tributary.client.errors.UnknownServerException;
import io.tributary.client.errors.UnknownTopicOrPartitionException;
import io.tributary.proto.v1.ErrorCode;
import io.tributary.proto.v1.ErrorDetail;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The one place that turns what a broker answered into a typed {@link TributaryException}
 * (STYLE.md §4): a per-item {@link ErrorDetail}, or a failed call's gRPC status with its single
 * packed ErrorDetail (errors.proto), or a status without one (a connection failure, the client's
 * own deadline, gRPC's message size limit), judged by its gRPC code alone.
 *
 * <p>Retriability follows the broker's {@code retriable} flag when an ErrorDetail is present, so a
 * code this client does not know yet is handled right: such a code becomes a plain
 * {@link TributaryException} or {@link RetriableException} with {@link ErrorCode#UNRECOGNIZED}.
 *
 * <p>Thread-safety: stateless.
 */
public final class ErrorMapper {

    private ErrorMapper() {
    }

    /** True when {@code detail} reports a failure (set and its code not NONE). */
    public static boolean isError(ErrorDetail detail) {
        return detail != null && detail.getCodeValue() != ErrorCode.NONE_VALUE;
    }

    /** The exception for a per-item (or per-call) ErrorDetail. */
    public static TributaryException fromDetail(ErrorDetail detail) {
        return fromDetail(detail, null);
    }

    /**
     * The exception for an ErrorDetail; {@code cause} (may be null) is kept as the cause (the
     * gRPC status exception for a failed call).
     */
    public static TributaryException fromDetail(ErrorDetail detail, Throwable cause) {
        int value = detail.getCodeValue();
        ErrorCode code = ErrorCode.forNumber(value);
        String msg = detail.getMessage().isEmpty()
                ? (code == null ? "error code " + value : code.name()) : detail.getMessage();
        TributaryException e;
        if (code == null) {
            e = detail.getRetriable() ? new RetriableException(value, msg, cause)
                    : new TributaryException(value, msg, false, cause);
            return e;
        }
        switch (code) {
            case NOT_LEADER:
                e = new NotLeaderException(msg, detail.hasLeader() ? detail.getLeader().getBrokerId() : -1,
                        detail.getLeaderEpoch());
                break;
            case LEADER_NOT_AVAILABLE: e = new LeaderNotAvailableException(msg); break;
            case REQUEST_TIMED_OUT: e = new RequestTimedOutException(msg); break;
            case BROKER_BUSY: e = new BrokerBusyException(msg); break;
            case NOT_COORDINATOR: e = new NotCoordinatorException(msg); break;
            case COORDINATOR_NOT_AVAILABLE: e = new CoordinatorNotAvailableException(msg); break;
            case COORDINATOR_LOAD_IN_PROGRESS: e = new CoordinatorLoadInProgressException(msg); break;
            case CONTROLLER_NOT_AVAILABLE: e = new ControllerNotAvailableException(msg); break;
            case STORAGE_ERROR: e = new StorageErrorException(msg); break;
            case REBALANCE_IN_PROGRESS: e = new RebalanceInProgressException(msg); break;
            case UNKNOWN: e = new UnknownServerException(msg); break;
            case INVALID_REQUEST: e = new InvalidRequestException(msg); break;
            case UNAUTHORIZED: e = new AuthorizationException(msg); break;
            case POLICY_VIOLATION: e = new PolicyViolationException(msg); break;
            case UNKNOWN_TOPIC_OR_PARTITION: e = new UnknownTopicOrPartitionException(msg); break;
            case CORRUPT_BATCH: e = new CorruptRecordException(msg); break;
            case BATCH_TOO_LARGE: e = new RecordTooLargeException(msg); break;
            case DUPLICATE_SEQUENCE: e = new DuplicateSequenceException(msg); break;
            case OUT_OF_ORDER_SEQUENCE: e = new OutOfOrderSequenceException(msg); break;
            case UNKNOWN_PRODUCER_ID: e = new UnknownProducerIdException(msg); break;
            case INVALID_PRODUCER_EPOCH: e = new InvalidProducerEpochException(msg); break;
            case EXPECTED_OFFSET_MISMATCH:
                e = new ExpectedOffsetMismatchException(msg,
                        detail.hasActualOffset() ? detail.getActualOffset() : Long.MIN_VALUE,
                        detail.getMismatchedKey().toByteArray());
                break;
            case DISK_FULL: e = new DiskFullException(msg); break;
            case CORRUPT_LOG: e = new CorruptLogException(msg); break;
            case OFFSET_OUT_OF_RANGE:
                e = new OffsetOutOfRangeException(msg,
                        detail.hasValidOffsets() ? detail.getValidOffsets().getLogStartOffset() : -1,
                        detail.hasValidOffsets() ? detail.getValidOffsets().getHighWatermark() : -1);
                break;
            case INVALID_TOPIC_NAME: e = new InvalidTopicException(msg); break;
            case TOPIC_ALREADY_EXISTS: e = new TopicExistsException(msg); break;
            case INVALID_PARTITIONS: e = new InvalidPartitionsException(msg); break;
            case INVALID_REPLICATION_FACTOR: e = new InvalidReplicationFactorException(msg); break;
            case INVALID_CONFIG: e = new InvalidConfigurationException(msg); break;
            case UNKNOWN_MEMBER_ID: e = new UnknownMemberIdException(msg); break;
            case ILLEGAL_GENERATION: e = new IllegalGenerationException(msg); break;
            case GROUP_NOT_EMPTY: e = new GroupNotEmptyException(msg); break;
            case GROUP_ID_NOT_FOUND: e = new GroupIdNotFoundException(msg); break;
            case PARTITION_NOT_OWNED: e = new PartitionNotOwnedException(msg); break;
            default:
                // NONE (a caller bug) or a code added to the enum after this switch.
                e = detail.getRetriable() ? new RetriableException(value, msg, cause)
                        : new TributaryException(value, msg, false, cause);
                return e;
        }
        if (cause != null) {
            e.initCause(cause);
        }
        return e;
    }

    /**
     * The exception for any failure of a call: a {@link TributaryException} as it is; a gRPC
     * status with an ErrorDetail by {@link #fromDetail}; a status without one by its gRPC code;
     * {@link CompletionException}/{@link ExecutionException} unwrapped; anything else an
     * {@link UnknownServerException} (not retriable).
     */
    public static TributaryException fromThrowable(Throwable t) {
        Throwable e = unwrap(t);
        if (e instanceof TributaryException te) {
            return te;
        }
        if (e instanceof StatusRuntimeException || e instanceof StatusException) {
            ErrorDetail detail = detailOf(e);
            if (detail != null && isError(detail)) {
                return fromDetail(detail, e);
            }
            return fromStatus(Status.fromThrowable(e), e);
        }
        return new UnknownServerException("unexpected client failure: " + e, e);
    }

    /** The ErrorDetail packed in a failed call's status, or null if there is none. */
    public static ErrorDetail detailOf(Throwable e) {
        com.google.rpc.Status status = StatusProto.fromThrowable(e);
        if (status == null) {
            return null;
        }
        for (com.google.protobuf.Any any : status.getDetailsList()) {
            if (any.is(ErrorDetail.class)) {
                try {
                    return any.unpack(ErrorDetail.class);
                } catch (InvalidProtocolBufferException ignored) {
                    return null;
                }
            }
        }
        return null;
    }

    /** A status that carries no ErrorDetail: not from Tributary's mapper. */
    static TributaryException fromStatus(Status status, Throwable cause) {
        String desc = status.getDescription() == null ? status.getCode().name()
                : status.getCode() + ": " + status.getDescription();
        switch (status.getCode()) {
            case UNAVAILABLE:
            case UNKNOWN: // e.g. the connection closed under a call
            case CANCELLED:
            case ABORTED:
                return new NetworkException("broker connection failed: " + desc, cause);
            case DEADLINE_EXCEEDED:
                return new RequestTimedOutException("request timed out: " + desc, cause);
            case RESOURCE_EXHAUSTED:
                // gRPC's own message size limit, on either side.
                return new RecordTooLargeException("message exceeds a gRPC size limit: " + desc, cause);
            case INVALID_ARGUMENT:
            case OUT_OF_RANGE:
                return new InvalidRequestException("request rejected: " + desc, cause);
            case UNIMPLEMENTED:
                return new UnknownServerException("the broker does not implement this call (an older broker?): "
                        + desc, cause);
            case PERMISSION_DENIED:
            case UNAUTHENTICATED:
                return new AuthorizationException(desc, cause);
            case NOT_FOUND:
                return new UnknownTopicOrPartitionException(desc, cause);
            default:
                return new UnknownServerException(desc, cause);
        }
    }

    private static Throwable unwrap(Throwable t) {
        Throwable e = t;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }
}
