package io.tributary.broker.internal;

import com.google.protobuf.Any;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.tributary.log.CorruptLogException;
import io.tributary.log.LogException;
import io.tributary.log.LogFailedException;
import io.tributary.log.OffsetOutOfRangeException;
import io.tributary.proto.v1.Broker;
import io.tributary.proto.v1.ErrorCode;
import io.tributary.proto.v1.ErrorDetail;
import io.tributary.proto.v1.OffsetRange;
import io.tributary.record.InvalidRecordBatchException;
import io.tributary.replication.BrokerInfo;
import io.tributary.replication.ClusterMetadata;
import io.tributary.replication.DuplicateSequenceException;
import io.tributary.replication.ExpectedOffsetMismatchException;
import io.tributary.replication.InvalidProducerEpochException;
import io.tributary.replication.OutOfOrderSequenceException;
import io.tributary.replication.UnknownProducerIdException;
import io.tributary.replication.NotLeaderException;
import io.tributary.replication.PartitionInfo;
import io.tributary.replication.ReplicationException;
import io.tributary.replication.ReplicationTimeoutException;
import io.tributary.replication.TopicException;
import io.tributary.replication.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The one place where failures become what a client sees (STYLE.md §4, the table in
 * errors.proto): an {@link ErrorDetail} for an item's result, or a gRPC status carrying exactly
 * one {@code ErrorDetail} for a failed call. Messages say what failed and what to do; stack
 * traces and class names stay in this broker's log.
 *
 * <p>Thread-safety: thread-safe (reads the cluster view's immutable snapshots).
 */
public final class ErrorMapper {
    private static final Logger LOG = LoggerFactory.getLogger(ErrorMapper.class);

    private final int nodeId;
    private final Supplier<ClusterMetadata> metadata;
    private final AtomicLong errorIds = new AtomicLong();

    public ErrorMapper(int nodeId, Supplier<ClusterMetadata> metadata) {
        this.nodeId = nodeId;
        this.metadata = metadata;
    }

    /** An ErrorDetail with the code's default retriability. */
    public static ErrorDetail detail(ErrorCode code, String message) {
        return ErrorDetail.newBuilder().setCode(code).setMessage(message).setRetriable(isRetriable(code)).build();
    }

    /**
     * The detail for {@code failure}, which happened while serving {@code tp} (may be null when the
     * failure is not about one partition).
     */
    public ErrorDetail toDetail(Throwable failure, TopicPartition tp) {
        Throwable t = unwrap(failure);
        String where = tp == null ? "" : " (" + tp + ")";
        if (t instanceof RequestException re) {
            return re.detail();
        }
        if (t instanceof NotLeaderException nle) {
            return notLeader(tp, nle.leaderId());
        }
        if (t instanceof ExpectedOffsetMismatchException m) {
            if (m.isKeyCondition()) {
                return detail(ErrorCode.EXPECTED_OFFSET_MISMATCH, m.getMessage() + "; nothing was written: re-read the"
                        + " key's records and decide again")
                        .toBuilder().setActualOffset(m.actualOffset())
                        .setMismatchedKey(com.google.protobuf.ByteString.copyFrom(m.key())).build();
            }
            return detail(ErrorCode.EXPECTED_OFFSET_MISMATCH, "conditional append" + where + " expected end offset "
                    + m.expectedOffset() + " but it is " + m.actualOffset() + "; nothing was written")
                    .toBuilder().setActualOffset(m.actualOffset()).build();
        }
        if (t instanceof OutOfOrderSequenceException e) {
            return detail(ErrorCode.OUT_OF_ORDER_SEQUENCE, e.getMessage() + " (expected sequence "
                    + e.expectedSequence() + ", received " + e.receivedSequence() + "): resend from the first"
                    + " unacknowledged batch, or bump the epoch with InitProducerId");
        }
        if (t instanceof DuplicateSequenceException e) {
            return detail(ErrorCode.DUPLICATE_SEQUENCE, e.getMessage());
        }
        if (t instanceof InvalidProducerEpochException e) {
            return detail(ErrorCode.INVALID_PRODUCER_EPOCH, e.getMessage() + " (current epoch " + e.currentEpoch()
                    + ", received " + e.receivedEpoch() + ")");
        }
        if (t instanceof UnknownProducerIdException e) {
            return detail(ErrorCode.UNKNOWN_PRODUCER_ID, e.getMessage() + ": bump the epoch with InitProducerId and"
                    + " restart the sequences at 0");
        }
        if (t instanceof ReplicationTimeoutException) {
            return detail(ErrorCode.REQUEST_TIMED_OUT, "replication" + where + " did not complete in time; the"
                    + " write may still commit (an idempotent producer can retry safely)");
        }
        if (t instanceof TopicException te) {
            return detail(topicCode(te.reason()), te.getMessage());
        }
        if (t instanceof OffsetOutOfRangeException oor) {
            return offsetOutOfRange(tp, oor.requestedOffset(), oor.logStartOffset(), oor.logEndOffset());
        }
        if (t instanceof InvalidRecordBatchException ibe) {
            return detail(ErrorCode.CORRUPT_BATCH, "record batch" + where + " rejected: " + ibe.getMessage()
                    + "; nothing was written");
        }
        Optional<LogException> logFailure = cause(t, LogException.class);
        if (logFailure.isPresent()) {
            return storage(logFailure.get(), tp);
        }
        if (t instanceof ReplicationException re) {
            // Replication's messages are written for people; its retriable flag is authoritative.
            LOG.warn("replication failure{}", where, t);
            return ErrorDetail.newBuilder().setCode(re.isRetriable() ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.UNKNOWN)
                    .setMessage(re.getMessage() == null ? "replication failed" + where : re.getMessage())
                    .setRetriable(re.isRetriable()).build();
        }
        if (t instanceof TimeoutException || t instanceof CancellationException) {
            return detail(ErrorCode.REQUEST_TIMED_OUT, "the operation" + where + " did not complete in time; its"
                    + " outcome is unknown");
        }
        if (t instanceof RejectedExecutionException) {
            return detail(ErrorCode.BROKER_BUSY, "broker " + nodeId + " is overloaded or shutting down; retry after a"
                    + " backoff");
        }
        long id = errorIds.incrementAndGet();
        LOG.error("internal error #{} while serving{}", id, where.isEmpty() ? " a request" : where, t);
        return detail(ErrorCode.UNKNOWN, "internal error in broker " + nodeId + where + "; see the broker's log for"
                + " error #" + id);
    }

    /** A status for a whole call that failed with {@code failure}. */
    public StatusRuntimeException toStatus(Throwable failure) {
        return toStatus(toDetail(failure, null));
    }

    /** NOT_LEADER with the leader's address and epoch when the cluster view knows them; LEADER_NOT_AVAILABLE when none. */
    public ErrorDetail notLeader(TopicPartition tp, int leaderHint) {
        return notLeader(tp, leaderHint, -1);
    }

    /**
     * As {@link #notLeader(TopicPartition, int)}, with the epoch of the hint when the caller knows
     * it (a replica's current term, whose leader it names).
     */
    public ErrorDetail notLeader(TopicPartition tp, int leaderHint, long hintEpoch) {
        ClusterMetadata md = metadata.get();
        Optional<PartitionInfo> p = tp == null ? Optional.empty() : md.partition(tp);
        int leaderId = leaderHint >= 0 ? leaderHint : p.map(PartitionInfo::leaderId).orElse(-1);
        String what = tp == null ? "the partition" : tp.toString();
        if (leaderId < 0 || leaderId == nodeId) {
            return detail(ErrorCode.LEADER_NOT_AVAILABLE, what + " has no leader right now (an election may be under"
                    + " way); refresh metadata and retry after a short backoff");
        }
        ErrorDetail.Builder b = ErrorDetail.newBuilder().setCode(ErrorCode.NOT_LEADER).setRetriable(true);
        Optional<BrokerInfo> leader = md.broker(leaderId);
        if (leader.isPresent()) {
            b.setLeader(toProto(leader.get()));
            b.setMessage("broker " + nodeId + " is not the leader of " + what + "; the leader is broker " + leaderId
                    + " at " + leader.get().clientAddress());
        } else {
            b.setMessage("broker " + nodeId + " is not the leader of " + what + "; the leader is broker " + leaderId
                    + " (address not known here yet: refresh metadata)");
        }
        long epoch = leaderHint >= 0 && hintEpoch >= 0 ? hintEpoch
                : p.filter(pi -> pi.leaderId() == leaderId && pi.leaderEpoch() >= 0).map(PartitionInfo::leaderEpoch)
                        .orElse(-1L);
        if (epoch >= 0) {
            b.setLeaderEpoch((int) Math.min(Integer.MAX_VALUE, epoch));
        }
        return b.build();
    }

    public static ErrorDetail offsetOutOfRange(TopicPartition tp, long requested, long logStartOffset,
                                               long highWatermark) {
        return detail(ErrorCode.OFFSET_OUT_OF_RANGE, "offset " + requested + (tp == null ? "" : " of " + tp)
                + " is out of range: readable offsets are " + logStartOffset + " to " + highWatermark
                + " (the high watermark); reset the position to one of them")
                .toBuilder().setValidOffsets(OffsetRange.newBuilder().setLogStartOffset(logStartOffset)
                        .setHighWatermark(highWatermark)).build();
    }

    private ErrorDetail storage(LogException e, TopicPartition tp) {
        String what = tp == null ? "a partition" : tp.toString();
        if (e instanceof CorruptLogException) {
            LOG.error("corrupt data read for {}", what, e);
            return detail(ErrorCode.CORRUPT_LOG, "stored data of " + what + " on broker " + nodeId
                    + " failed its checksum; the data is not served from this replica (see the broker's log)");
        }
        if (e instanceof LogFailedException lfe && lfe.isDiskFull()) {
            LOG.error("disk full for {}", what, e);
            return detail(ErrorCode.DISK_FULL, "the log directory of " + what + " on broker " + nodeId
                    + " is out of space; nothing was written");
        }
        LOG.error("storage failure for {}", what, e);
        return detail(ErrorCode.STORAGE_ERROR, "the log of " + what + " on broker " + nodeId
                + " failed (I/O error); refresh metadata and retry (leadership moves to another replica)");
    }

    /** A failed call's status: the code per errors.proto, the message, the detail in the trailers. */
    public static StatusRuntimeException toStatus(ErrorDetail detail) {
        com.google.rpc.Status status = com.google.rpc.Status.newBuilder()
                .setCode(grpcCode(detail.getCode()).value())
                .setMessage(detail.getMessage())
                .addDetails(Any.pack(detail))
                .build();
        return StatusProto.toStatusRuntimeException(status);
    }

    /** The gRPC status code for an error code (errors.proto's table). */
    public static Status.Code grpcCode(ErrorCode code) {
        switch (code) {
            case NONE:
                return Status.Code.OK;
            case INVALID_REQUEST:
            case CORRUPT_BATCH:
            case BATCH_TOO_LARGE:
            case INVALID_TOPIC_NAME:
            case INVALID_PARTITIONS:
            case INVALID_REPLICATION_FACTOR:
            case INVALID_CONFIG:
                return Status.Code.INVALID_ARGUMENT;
            case REQUEST_TIMED_OUT:
                return Status.Code.DEADLINE_EXCEEDED;
            case UNAUTHORIZED:
                return Status.Code.PERMISSION_DENIED;
            case BROKER_BUSY:
            case DISK_FULL:
                return Status.Code.RESOURCE_EXHAUSTED;
            case POLICY_VIOLATION:
            case NOT_LEADER:
            case NOT_COORDINATOR:
            case OUT_OF_ORDER_SEQUENCE:
            case UNKNOWN_PRODUCER_ID:
            case INVALID_PRODUCER_EPOCH:
            case ILLEGAL_GENERATION:
            case GROUP_NOT_EMPTY:
            case PARTITION_NOT_OWNED:
                return Status.Code.FAILED_PRECONDITION;
            case LEADER_NOT_AVAILABLE:
            case COORDINATOR_NOT_AVAILABLE:
            case COORDINATOR_LOAD_IN_PROGRESS:
            case CONTROLLER_NOT_AVAILABLE:
            case STORAGE_ERROR:
                return Status.Code.UNAVAILABLE;
            case UNKNOWN_TOPIC_OR_PARTITION:
            case UNKNOWN_MEMBER_ID:
            case GROUP_ID_NOT_FOUND:
                return Status.Code.NOT_FOUND;
            case DUPLICATE_SEQUENCE:
            case TOPIC_ALREADY_EXISTS:
                return Status.Code.ALREADY_EXISTS;
            case EXPECTED_OFFSET_MISMATCH:
            case REBALANCE_IN_PROGRESS:
                return Status.Code.ABORTED;
            case CORRUPT_LOG:
                return Status.Code.DATA_LOSS;
            case OFFSET_OUT_OF_RANGE:
                return Status.Code.OUT_OF_RANGE;
            case UNKNOWN:
            default:
                return Status.Code.INTERNAL;
        }
    }

    /** The default of ErrorDetail.retriable for a code (errors.proto's comments). */
    public static boolean isRetriable(ErrorCode code) {
        switch (code) {
            case REQUEST_TIMED_OUT:
            case BROKER_BUSY:
            case NOT_LEADER:
            case LEADER_NOT_AVAILABLE:
            case NOT_COORDINATOR:
            case COORDINATOR_NOT_AVAILABLE:
            case COORDINATOR_LOAD_IN_PROGRESS:
            case CONTROLLER_NOT_AVAILABLE:
            case STORAGE_ERROR:
            case REBALANCE_IN_PROGRESS:
                return true;
            default:
                return false;
        }
    }

    static ErrorCode topicCode(TopicException.Reason reason) {
        switch (reason) {
            case UNKNOWN_TOPIC:
                return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
            case TOPIC_ALREADY_EXISTS:
                return ErrorCode.TOPIC_ALREADY_EXISTS;
            case INVALID_TOPIC_NAME:
                return ErrorCode.INVALID_TOPIC_NAME;
            case INVALID_PARTITIONS:
                return ErrorCode.INVALID_PARTITIONS;
            case INVALID_REPLICATION_FACTOR:
                return ErrorCode.INVALID_REPLICATION_FACTOR;
            case INVALID_CONFIG:
                return ErrorCode.INVALID_CONFIG;
            case CONTROLLER_NOT_AVAILABLE:
                return ErrorCode.CONTROLLER_NOT_AVAILABLE;
            default:
                return ErrorCode.UNKNOWN;
        }
    }

    public static Broker toProto(BrokerInfo b) {
        return Broker.newBuilder().setBrokerId(b.id()).setHost(b.host()).setPort(b.clientPort()).setRack(b.rack())
                .build();
    }

    static Throwable unwrap(Throwable t) {
        Throwable cur = t;
        while ((cur instanceof CompletionException || cur instanceof ExecutionException) && cur.getCause() != null) {
            cur = cur.getCause();
        }
        return cur;
    }

    private static <T extends Throwable> Optional<T> cause(Throwable t, Class<T> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return Optional.of(type.cast(c));
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return Optional.empty();
    }
}
