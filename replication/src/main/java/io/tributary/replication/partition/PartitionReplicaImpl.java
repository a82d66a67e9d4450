package io.tributary.replication.partition;

import io.tributary.log.LogReadResult;
import io.tributary.log.TimestampOffset;
import io.tributary.proto.internal.v1.PartitionAppend;
import io.tributary.proto.internal.v1.PartitionEntryHeader;
import io.tributary.proto.internal.v1.PartitionEntryResult;
import io.tributary.record.InvalidRecordBatchException;
import io.tributary.record.RecordBatch;
import io.tributary.record.RecordBatchFormat;
import io.tributary.replication.AppendRequest;
import io.tributary.replication.AppendResult;
import io.tributary.replication.DuplicateSequenceException;
import io.tributary.replication.ExpectedOffsetMismatchException;
import io.tributary.replication.InvalidProducerEpochException;
import io.tributary.replication.OutOfOrderSequenceException;
import io.tributary.replication.UnknownProducerIdException;
import io.tributary.proto.internal.v1.PartitionAppendOutcome;
import io.tributary.proto.internal.v1.PartitionAppendResult;
import io.tributary.proto.internal.v1.PartitionKeyCondition;
import io.tributary.replication.PartitionReplica;
import io.tributary.replication.ReplicationException;
import io.tributary.replication.ReplicationTimeoutException;
import io.tributary.replication.TopicPartition;
import org.apache.ratis.proto.RaftProtos.CommitInfoProto;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * This broker's replica of a partition, with the leader's group commit.
 *
 * <p><b>Design note (group commit).</b> The cost of a Raft entry is per entry (CPU, RPCs), so the
 * leader coalesces the appends waiting for a partition into one entry of up to
 * {@code maxEntryBytes}: an append is queued; a drain task (on a shared executor) submits
 * queued appends as one entry while fewer than {@code maxInFlightEntries} entries of this
 * partition are uncommitted. At light load an append is submitted at once (no linger); under load
 * appends accumulate while earlier entries commit, so entries grow with load. Each append keeps
 * its own offsets inside the entry (its record count and expected end offset are in the header).
 *
 * <p><b>Design note (submission).</b> Appends are submitted to the local Raft server directly
 * ({@code RaftServer.submitClientRequestAsync}), not through a {@code RaftClient}: the leader
 * is this process, so there is no client RPC, no client retry loop, and the request carries the
 * batches by reference. The reply arrives when the entry is committed and applied (acks=all).
 * For acks=false the append completes when the leader's state machine has written it to the
 * local partition log (in {@code DataApi.write}, before replication), which is Kafka's acks=1.
 *
 * <p>Thread-safety: thread-safe; the queue is guarded by its own lock, futures complete on Ratis
 * threads.
 */
final class PartitionReplicaImpl implements PartitionReplica {
    private static final Logger LOG = LoggerFactory.getLogger(PartitionReplicaImpl.class);

    /**
     * Append timeouts of every replica in this JVM (like CompletableFuture's own delayer: one
     * daemon thread that only completes futures). Cancelled timers leave its queue at once.
     */
    private static final ScheduledThreadPoolExecutor TIMEOUTS = timeoutScheduler();

    private static ScheduledThreadPoolExecutor timeoutScheduler() {
        ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "partition-append-timeouts");
            t.setDaemon(true);
            return t;
        });
        s.setRemoveOnCancelPolicy(true);
        return s;
    }

    /** Append timers not yet fired nor cancelled, in this JVM (tests). */
    static int pendingAppendTimeouts() {
        return TIMEOUTS.getQueue().size();
    }

    /** Group commit and submission settings shared by the replicas of a node. */
    record Settings(int maxEntryBytes, int maxInFlightEntries, ClientId clientId, AtomicLong callIds,
                    Executor executor, long electionTimeoutMaxMs) {
    }

    private final TopicPartition tp;
    private final RaftServer server;
    private final RaftGroupId groupId;
    private final PartitionStateMachine sm;
    private final Settings settings;

    private final Object queueLock = new Object();
    private final ArrayDeque<Append> queue = new ArrayDeque<>();
    private int inFlight;
    private boolean drainScheduled;

    PartitionReplicaImpl(RaftServer server, RaftGroupId groupId, PartitionStateMachine sm, Settings settings) {
        this.tp = sm.topicPartition();
        this.server = server;
        this.groupId = groupId;
        this.sm = sm;
        this.settings = settings;
    }

    /** One client append waiting for, or inside, an entry. */
    private static final class Append {
        final ByteBuffer batches;
        final AppendRequest request;
        final PartitionAppend header;
        final CompletableFuture<AppendResult> future = new CompletableFuture<>();

        Append(ByteBuffer batches, AppendRequest request, PartitionAppend header) {
            this.batches = batches;
            this.request = request;
            this.header = header;
        }
    }

    // ================================================================ appends

    @Override
    public CompletableFuture<AppendResult> append(AppendRequest request) {
        if (!isLeader()) {
            return CompletableFuture.failedFuture(new io.tributary.replication.NotLeaderException("broker " + server.getId()
                    + " is not the leader of " + tp, leaderId()));
        }
        Append a;
        try {
            a = validate(request);
        } catch (ReplicationException e) {
            return CompletableFuture.failedFuture(e);
        }
        long timeoutMs = request.timeoutMs() > 0 ? request.timeoutMs() : 30_000;
        // The timer is cancelled (and removed from the scheduler's queue) as soon as the append
        // completes: a timer left pending would hold the append, bytes included, for the whole
        // timeout (30 s by default), ~800 MB at 27 MB/s, and a 512 MB broker ran out of heap.
        ScheduledFuture<?> timer = TIMEOUTS.schedule(() -> a.future.completeExceptionally(
                new ReplicationTimeoutException("append to " + tp + " not " + (request.acksAll() ? "committed" : "written")
                        + " within " + timeoutMs + " ms")), timeoutMs, TimeUnit.MILLISECONDS);
        a.future.whenComplete((r, t) -> timer.cancel(false));
        synchronized (queueLock) {
            queue.add(a);
            scheduleDrainLocked();
        }
        return a.future;
    }

    /** The leader's admission checks: whole valid batches, within the topic's size limit. */
    private Append validate(AppendRequest request) {
        ByteBuffer buf = request.batches();
        if (buf == null || !buf.hasRemaining()) {
            throw new ReplicationException("append to " + tp + " has no record batch", false);
        }
        buf = buf.slice();
        int maxMessageBytes = sm.spec().config().maxMessageBytes();
        int records = 0;
        int batches = 0;
        int position = 0;
        long producerId = -1;
        int producerEpoch = -1;
        int baseSequence = -1;
        while (position < buf.limit()) {
            int size;
            try {
                size = RecordBatch.sizeInBytes(buf, position);
            } catch (InvalidRecordBatchException e) {
                throw new ReplicationException("append to " + tp + ": batch " + batches + ": " + e.getMessage(), false);
            }
            if (size < RecordBatchFormat.RECORD_BATCH_OVERHEAD || (long) position + size > buf.limit()) {
                throw new ReplicationException("append to " + tp + ": batch " + batches + " declares " + size
                        + " bytes but " + (buf.limit() - position) + " remain", false);
            }
            if (size > maxMessageBytes) {
                throw new ReplicationException("append to " + tp + ": batch " + batches + " is " + size
                        + " bytes, larger than max.message.bytes=" + maxMessageBytes, false);
            }
            ByteBuffer view = buf.duplicate();
            view.position(position).limit(position + size);
            RecordBatch b = RecordBatch.wrap(view.slice());
            try {
                b.validate();
            } catch (InvalidRecordBatchException e) {
                throw new ReplicationException("append to " + tp + ": batch " + batches + ": " + e.getMessage(), false);
            }
            if (b.recordCount() <= 0 || b.lastOffsetDelta() != b.recordCount() - 1) {
                throw new ReplicationException("append to " + tp + ": batch " + batches + " has " + b.recordCount()
                        + " records and last offset delta " + b.lastOffsetDelta(), false);
            }
            if (batches == 0) {
                producerId = b.producerId();
                producerEpoch = b.producerEpoch();
                baseSequence = b.baseSequence();
                if (producerId >= 0 && (producerEpoch < 0 || baseSequence < 0)) {
                    throw new ReplicationException("append to " + tp + ": batch 0 of idempotent producer " + producerId
                            + " has epoch " + producerEpoch + " and base sequence " + baseSequence
                            + "; both must be at least 0", false);
                }
            } else if (b.producerId() != producerId || (producerId >= 0 && b.producerEpoch() != producerEpoch)) {
                throw new ReplicationException("append to " + tp + ": batch " + batches + " has producer id "
                        + b.producerId() + " epoch " + b.producerEpoch() + " but batch 0 has " + producerId + " epoch "
                        + producerEpoch + ": the batches of one append belong to one producer", false);
            } else if (producerId >= 0 && b.baseSequence() != PartitionState.addSequence(baseSequence, records)) {
                throw new ReplicationException("append to " + tp + ": batch " + batches + " of producer " + producerId
                        + " starts at sequence " + b.baseSequence() + " but the batches before it end at "
                        + PartitionState.addSequence(baseSequence, records - 1)
                        + ": the batches of one append have consecutive sequences", false);
            }
            records += b.recordCount();
            batches++;
            position += size;
        }
        if (buf.limit() > settings.maxEntryBytes() * 2L && buf.limit() > 4 * 1024 * 1024 - 64 * 1024) {
            throw new ReplicationException("append to " + tp + " of " + buf.limit()
                    + " bytes is larger than one Raft entry may be", false);
        }
        PartitionAppend.Builder h = PartitionAppend.newBuilder().setRecordCount(records).setBatchCount(batches)
                .setSizeBytes(buf.limit()).setExpectedEndOffset(request.expectedEndOffset() >= 0
                        ? request.expectedEndOffset() : -1)
                .setProducerId(producerId).setProducerEpoch(producerEpoch).setBaseSequence(baseSequence);
        List<AppendRequest.KeyCondition> conditions = request.keyConditions();
        if (conditions.size() > AppendRequest.MAX_KEY_CONDITIONS) {
            throw new ReplicationException("append to " + tp + " has " + conditions.size() + " key conditions; at most "
                    + AppendRequest.MAX_KEY_CONDITIONS + " are allowed", false);
        }
        long keyBytes = 0;
        for (AppendRequest.KeyCondition c : conditions) {
            byte[] key = c.key();
            keyBytes += key.length;
            h.addKeyConditions(PartitionKeyCondition.newBuilder().setKey(com.google.protobuf.ByteString.copyFrom(key))
                    .setExpectedLastOffset(c.expectedLastOffset()));
        }
        if (keyBytes > AppendRequest.MAX_KEY_CONDITION_BYTES) {
            throw new ReplicationException("append to " + tp + " has " + keyBytes + " bytes of keys in its key"
                    + " conditions; at most " + AppendRequest.MAX_KEY_CONDITION_BYTES + " are allowed", false);
        }
        return new Append(buf, request, h.build());
    }

    private void scheduleDrainLocked() {
        if (!drainScheduled && inFlight < settings.maxInFlightEntries() && !queue.isEmpty()) {
            drainScheduled = true;
            settings.executor().execute(this::drain);
        }
    }

    /**
     * Submits queued appends as entries, in queue order. Only one drain runs per replica at a
     * time ({@code drainScheduled} stays set until it has nothing left to do), so entries reach
     * the Raft log in the order their appends arrived.
     */
    private void drain() {
        while (true) {
            List<List<Append>> entries = new ArrayList<>();
            synchronized (queueLock) {
                while (inFlight < settings.maxInFlightEntries() && !queue.isEmpty()) {
                    List<Append> entry = new ArrayList<>();
                    long bytes = 0;
                    while (!queue.isEmpty()) {
                        Append next = queue.peek();
                        if (next.future.isDone()) {
                            queue.poll(); // timed out while queued: never submitted
                            continue;
                        }
                        if (!entry.isEmpty() && bytes + next.batches.remaining() > settings.maxEntryBytes()) {
                            break;
                        }
                        entry.add(queue.poll());
                        bytes += next.batches.remaining();
                    }
                    if (!entry.isEmpty()) {
                        entries.add(entry);
                        inFlight++;
                    }
                }
                if (entries.isEmpty()) {
                    drainScheduled = false;
                    return;
                }
            }
            for (List<Append> entry : entries) {
                submit(entry);
            }
        }
    }

    private void entryDone() {
        synchronized (queueLock) {
            inFlight--;
            scheduleDrainLocked();
        }
    }

    private void submit(List<Append> appends) {
        PartitionEntryHeader.Builder hb = PartitionEntryHeader.newBuilder()
                .setVersion(PartitionEntryFormat.CURRENT_VERSION)
                .setAppendTimeMs(System.currentTimeMillis())
                .setProducerIdExpirationMs(sm.spec().producerIdExpirationMs());
        ByteString data;
        if (appends.size() == 1) {
            data = UnsafeByteOperations.unsafeWrap(appends.get(0).batches.duplicate());
        } else {
            int total = 0;
            for (Append a : appends) {
                total += a.batches.remaining();
            }
            ByteBuffer all = ByteBuffer.allocate(total);
            for (Append a : appends) {
                all.put(a.batches.duplicate());
            }
            all.flip();
            data = UnsafeByteOperations.unsafeWrap(all);
        }
        for (Append a : appends) {
            hb.addAppends(a.header);
        }
        PendingEntry pending = new PendingEntry(appends, hb.build());
        long callId = settings.callIds().incrementAndGet();
        sm.registerPending(callId, pending);
        RaftClientRequest request = RaftClientRequest.newBuilder()
                .setClientId(settings.clientId())
                .setServerId(server.getId())
                .setGroupId(groupId)
                .setCallId(callId)
                .setMessage(Message.valueOf(data))
                .setType(RaftClientRequest.writeRequestType())
                .build();
        CompletableFuture<RaftClientReply> f;
        try {
            f = server.submitClientRequestAsync(request);
        } catch (IOException | RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        f.whenComplete((reply, t) -> {
            sm.unregisterPending(callId);
            try {
                if (t != null) {
                    pending.fail(translate(t));
                } else if (!reply.isSuccess()) {
                    pending.fail(translate(reply.getException()));
                } else {
                    pending.completeFromReply(reply);
                }
            } catch (RuntimeException e) {
                pending.fail(e);
            } finally {
                entryDone();
            }
        });
    }

    private Throwable translate(Throwable t) {
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof org.apache.ratis.protocol.exceptions.NotLeaderException nle) {
            RaftPeer suggested = nle.getSuggestedLeader();
            return new io.tributary.replication.NotLeaderException("broker " + server.getId()
                    + " is not the leader of " + tp, suggested == null ? -1 : RaftIds.brokerId(suggested.getId()));
        }
        if (t instanceof LeaderNotReadyException) {
            return new io.tributary.replication.NotLeaderException("the new leader of " + tp
                    + " is not ready yet (it has not committed an entry of its term)", -1);
        }
        if (t instanceof ReplicationException) {
            return t;
        }
        return new ReplicationException("append to " + tp + " failed: " + t, true, t);
    }

    /** An entry submitted by this leader; completes its appends' futures. */
    final class PendingEntry implements PartitionStateMachine.EntryCallbacks {
        private final List<Append> appends;
        private final PartitionEntryHeader header;

        PendingEntry(List<Append> appends, PartitionEntryHeader header) {
            this.appends = appends;
            this.header = header;
        }

        PartitionEntryHeader header() {
            return header;
        }

        @Override
        public void onWritten(PartitionEntryFormat.Decision d) {
            for (int i = 0; i < appends.size(); i++) {
                Append a = appends.get(i);
                if (!a.request.acksAll()) {
                    complete(a, i, d.outcomes()[i], d.offsets()[i], d.lastOffsets()[i], d.details()[i],
                            sm.log().logStartOffset());
                }
            }
        }

        @Override
        public void onApplied(PartitionEntryFormat.Decision d, long logStartOffset) {
            for (int i = 0; i < appends.size(); i++) {
                complete(appends.get(i), i, d.outcomes()[i], d.offsets()[i], d.lastOffsets()[i], d.details()[i],
                        logStartOffset);
            }
        }

        void completeFromReply(RaftClientReply reply) {
            if (appends.stream().allMatch(a -> a.future.isDone())) {
                return;
            }
            PartitionEntryResult r;
            try {
                r = PartitionEntryResult.parseFrom(reply.getMessage().getContent().toByteArray());
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                throw new ReplicationException("unreadable append result of " + tp, false, e);
            }
            for (int i = 0; i < appends.size() && i < r.getResultsCount(); i++) {
                PartitionAppendResult ri = r.getResults(i);
                complete(appends.get(i), i, ri.getOutcome(), ri.getOffset(), ri.getLastOffset(), ri.getDetail(),
                        r.getLogStartOffset());
            }
        }

        private void complete(Append a, int i, PartitionAppendOutcome outcome, long offset, long lastOffset,
                              long detail, long logStart) {
            if (a.future.isDone()) {
                return;
            }
            PartitionAppend h = header.getAppends(i);
            int lastSequence = PartitionState.addSequence(h.getBaseSequence(), h.getRecordCount() - 1);
            switch (outcome) {
                case APPENDED -> {
                    long appendTime = sm.log().config().logAppendTime() ? header.getAppendTimeMs() : -1;
                    a.future.complete(new AppendResult(offset, lastOffset, appendTime, logStart, false));
                }
                case DUPLICATE -> a.future.complete(new AppendResult(offset, lastOffset, -1, logStart, true));
                case END_OFFSET_MISMATCH -> a.future.completeExceptionally(new ExpectedOffsetMismatchException(tp,
                        h.getExpectedEndOffset(), offset));
                case KEY_OFFSET_MISMATCH -> {
                    PartitionKeyCondition c = h.getKeyConditions((int) detail);
                    a.future.completeExceptionally(new ExpectedOffsetMismatchException(tp, c.getKey().toByteArray(),
                            c.getExpectedLastOffset(), offset));
                }
                case OUT_OF_ORDER_SEQUENCE -> a.future.completeExceptionally(new OutOfOrderSequenceException(tp,
                        h.getProducerId(), h.getProducerEpoch(), (int) detail, h.getBaseSequence()));
                case DUPLICATE_SEQUENCE -> a.future.completeExceptionally(new DuplicateSequenceException(tp,
                        h.getProducerId(), h.getProducerEpoch(), h.getBaseSequence(), (int) detail));
                case INVALID_PRODUCER_EPOCH -> a.future.completeExceptionally(new InvalidProducerEpochException(tp,
                        h.getProducerId(), h.getProducerEpoch(), (int) detail));
                case UNKNOWN_PRODUCER_ID -> a.future.completeExceptionally(new UnknownProducerIdException(tp,
                        h.getProducerId(), h.getProducerEpoch(), h.getBaseSequence()));
                default -> a.future.completeExceptionally(new ReplicationException("append to " + tp
                        + " has an outcome this broker does not know: " + outcome, false));
            }
        }

        void onNotLeader() {
            fail(new io.tributary.replication.NotLeaderException("broker " + server.getId()
                    + " lost the leadership of " + tp + " before the append committed (it may still commit)",
                    leaderId()));
        }

        void fail(Throwable t) {
            for (Append a : appends) {
                a.future.completeExceptionally(t);
            }
        }
    }

    // ================================================================ state

    private RaftServer.Division division() {
        try {
            return server.getDivision(groupId);
        } catch (IOException e) {
            throw new ReplicationException("partition " + tp + " is not hosted here: " + e.getMessage(), true, e);
        }
    }

    PartitionStateMachine stateMachine() {
        return sm;
    }

    RaftGroupId groupId() {
        return groupId;
    }

    @Override
    public TopicPartition topicPartition() {
        return tp;
    }

    @Override
    public boolean isLeader() {
        try {
            return division().getInfo().isLeader();
        } catch (ReplicationException e) {
            return false;
        }
    }

    /** Leader and able to commit (it committed an entry of its term). */
    boolean isLeaderReady() {
        try {
            var info = division().getInfo();
            return info.isLeader() && info.isLeaderReady();
        } catch (ReplicationException e) {
            return false;
        }
    }

    @Override
    public int leaderId() {
        try {
            return RaftIds.brokerId(division().getInfo().getLeaderId());
        } catch (ReplicationException e) {
            return -1;
        }
    }

    @Override
    public long leaderEpoch() {
        try {
            return division().getInfo().getCurrentTerm();
        } catch (ReplicationException e) {
            return -1;
        }
    }

    @Override
    public long highWatermark() {
        return sm.highWatermark();
    }

    @Override
    public long logStartOffset() {
        return sm.log().logStartOffset();
    }

    @Override
    public long logEndOffset() {
        return sm.log().logEndOffset();
    }

    @Override
    public LogReadResult read(long offset, int maxBytes) {
        return sm.log().read(offset, maxBytes, sm.highWatermark());
    }

    @Override
    public Optional<TimestampOffset> offsetForTimestamp(long timestampMs) {
        long hw = sm.highWatermark();
        return sm.log().offsetForTimestamp(timestampMs).filter(t -> t.offset() < hw);
    }

    @Override
    public CompletableFuture<Long> awaitHighWatermarkAbove(long offset) {
        return sm.awaitHighWatermarkAbove(offset);
    }

    @Override
    public List<Integer> replicas() {
        try {
            return division().getGroup().getPeers().stream().map(p -> RaftIds.brokerId(p.getId())).sorted().toList();
        } catch (ReplicationException e) {
            return List.of();
        }
    }

    @Override
    public List<Integer> inSyncReplicas() {
        RaftServer.Division d;
        try {
            d = division();
        } catch (ReplicationException e) {
            return List.of();
        }
        if (!d.getInfo().isLeader()) {
            return replicas();
        }
        long leaderCommit = d.getRaftLog().getLastCommittedIndex();
        Map<Integer, Long> commits = new HashMap<>();
        for (CommitInfoProto c : d.getCommitInfos()) {
            commits.put(RaftIds.brokerId(org.apache.ratis.protocol.RaftPeerId.valueOf(c.getServer().getId())),
                    c.getCommitIndex());
        }
        Map<Integer, Long> lastRpcMs = new HashMap<>();
        RoleInfoProto role = d.getInfo().getRoleInfoProto();
        if (role.hasLeaderInfo()) {
            for (ServerRpcProto f : role.getLeaderInfo().getFollowerInfoList()) {
                lastRpcMs.put(RaftIds.brokerId(org.apache.ratis.protocol.RaftPeerId.valueOf(f.getId().getId())),
                        f.getLastRpcElapsedTimeMs());
            }
        }
        int self = RaftIds.brokerId(server.getId());
        // A follower is in sync when it answered recently and its commit index is within the
        // leader's in-flight window (it learns the commit index one round trip later).
        long slack = 2L * settings.maxInFlightEntries() + 2;
        List<Integer> isr = new ArrayList<>();
        for (int id : replicas()) {
            if (id == self) {
                isr.add(id);
                continue;
            }
            Long commit = commits.get(id);
            Long rpc = lastRpcMs.get(id);
            if (commit != null && rpc != null && rpc <= 2 * settings.electionTimeoutMaxMs()
                    && commit >= leaderCommit - slack) {
                isr.add(id);
            }
        }
        return isr;
    }

    @Override
    public long sizeInBytes() {
        return sm.log().sizeInBytes();
    }

    @Override
    public long commitIndex() {
        try {
            return division().getRaftLog().getLastCommittedIndex();
        } catch (ReplicationException e) {
            return -1;
        }
    }

    /** Fails every queued append (the replica is going away). */
    void failQueued(Throwable t) {
        List<Append> drained;
        synchronized (queueLock) {
            drained = new ArrayList<>(queue);
            queue.clear();
        }
        drained.forEach(a -> a.future.completeExceptionally(t));
    }

    @Override
    public String toString() {
        return "PartitionReplica(" + tp + ")";
    }

    static Logger log() {
        return LOG;
    }
}
