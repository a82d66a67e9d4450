package io.tributary.replication;

import io.tributary.log.LogReadResult;
import io.tributary.log.TimestampOffset;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * This broker's replica of one partition: a member of the partition's Raft group whose state
 * machine keeps the partition's log. Appends go through Raft on the leader; reads are served
 * from the local log up to the high watermark (the end of the last committed entry), on any
 * replica. Thread-safe; no method blocks on disk or on replication except where it says so.
 */
public interface PartitionReplica {

    TopicPartition topicPartition();

    /** Whether this replica is the Raft leader now. */
    boolean isLeader();

    /** The current leader's broker id, or -1 when none is known. */
    int leaderId();

    /** The current Raft term (the leader epoch stamped into batches). */
    long leaderEpoch();

    /**
     * Appends through Raft. Completes with the assigned offsets once committed (or accepted, for
     * {@code acksAll=false}); a recent duplicate of an idempotent producer's unit completes with the
     * original offsets and {@link AppendResult#duplicate()} set. Fails with
     * {@link NotLeaderException} (with the leader's id when known),
     * {@link ExpectedOffsetMismatchException} (partition or key condition),
     * {@link OutOfOrderSequenceException}, {@link DuplicateSequenceException},
     * {@link InvalidProducerEpochException}, {@link UnknownProducerIdException},
     * {@link ReplicationTimeoutException}, or {@link ReplicationException} for anything else; never
     * blocks the caller. Every check is decided by the partition's state machine, identically on
     * every replica, so it holds across leader changes.
     */
    CompletableFuture<AppendResult> append(AppendRequest request);

    /** The end of the committed records: reads never go past it. */
    long highWatermark();

    long logStartOffset();

    /** The end of the local log, committed or not. */
    long logEndOffset();

    /**
     * Reads whole committed batches from {@code offset} (see {@link io.tributary.log.Log#read}),
     * bounded by the high watermark.
     *
     * @throws io.tributary.log.OffsetOutOfRangeException with the valid range
     */
    LogReadResult read(long offset, int maxBytes);

    /** The first committed record at or after the timestamp. */
    Optional<TimestampOffset> offsetForTimestamp(long timestampMs);

    /**
     * A future that completes (on a replication thread; do not block in it) as soon as the high
     * watermark exceeds {@code offset}, at once if it already does. Used by long-poll fetches and
     * subscriptions; cancel it to stop waiting.
     */
    CompletableFuture<Long> awaitHighWatermarkAbove(long offset);

    /** The replicas (broker ids) in the Raft group now. */
    List<Integer> replicas();

    /**
     * Replicas whose log has reached the leader's commit index (leader only; elsewhere the
     * last known value or the replica list).
     */
    List<Integer> inSyncReplicas();

    /** Bytes of the local log on disk. */
    long sizeInBytes();

    /** The Raft commit index of this replica. */
    long commitIndex();
}
