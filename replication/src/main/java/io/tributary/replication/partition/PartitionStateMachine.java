package io.tributary.replication.partition;

import io.tributary.log.Log;
import io.tributary.log.LogConfig;
import io.tributary.log.LogEnvironment;
import io.tributary.log.LogReadResult;
import io.tributary.proto.internal.v1.PartitionAppendResult;
import io.tributary.proto.internal.v1.PartitionEntryHeader;
import io.tributary.proto.internal.v1.PartitionEntryResult;
import io.tributary.replication.TopicPartition;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.LifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The state machine of one partition Raft group: the partition's {@link Log} is its state.
 *
 * <h2>Write path (DataApi: bytes written once per replica)</h2>
 * The leader's {@link #startTransaction} turns a group-committed set of appends into an entry
 * whose log data is a small {@link PartitionEntryFormat header} and whose state machine data is
 * the batches. Ratis strips the data from what it writes to its own log file and calls
 * {@link #write} on every replica in log order (under the Raft log's write lock): the batches are
 * appended to the partition log at its end offset, which is identical on every replica, with
 * the entry's term as leader epoch. {@link #flush} forces the log before Ratis forces its own;
 * {@link #truncate} cuts the log back to the first offset of the first removed entry;
 * {@link #read} serves an entry's bytes from the log to followers (with data caching on, Ratis
 * keeps no copy). {@link #applyTransaction} (committed entries, in order) advances the high
 * watermark to the entry's end and replies with the offsets.
 *
 * <h2>Offsets</h2>
 * An index → (base, end) offset map covers the entries in the Raft log above the last snapshot.
 * It is filled by {@link #write} and, after a restart, rebuilt by replaying the headers of the
 * Raft log from the snapshot's (index, offset) anchor with the same rule
 * ({@link PartitionEntryFormat#decide}); a segment that is ahead of the Raft log (the log was
 * flushed, the Raft log entry was not) is truncated to the end of the last Raft entry.
 *
 * <h2>Decisions: idempotence and conditional appends</h2>
 * Decided in {@link #write} from the log end offset and the {@link PartitionState} (producer
 * state, key index), identically on every replica ({@link PartitionState#decide}): a duplicate,
 * a sequence or epoch error, or a failed condition writes nothing, and the reply says why. The
 * decision of each entry is kept until it is applied; the state's changes can be undone while
 * the entry is uncommitted ({@link #truncate}). After a restart the state is the snapshot's
 * ({@code state.bin}) and the entries after it are decided again while the offsets are rebuilt,
 * reading the records' keys back from the partition log.
 *
 * <p><b>Design note (snapshots and catch-up).</b> A snapshot is the applied (index, term), the
 * offset it maps to, the log start offset, and hard links to the segment files with the byte
 * length below that offset ({@link PartitionSnapshotStorage}): no data is copied, and Ratis can
 * purge its log up to the index. A follower behind the leader's purged log gets the snapshot
 * through Ratis's own install-snapshot file transfer (chunked, MD5-checked), and
 * {@link #reinitialize} replaces its partition log with the received segments. We chose this over
 * {@code notifyInstallSnapshotFromLeader} with our own transfer: it reuses a tested transfer, and
 * the leader-side cost is one header scan of the active segment per snapshot. The snapshot also
 * records the offsets of the entries at or below its index that the Raft log may still hold
 * (Ratis purges whole closed Raft log segments only), so a restarted leader can still serve them.
 *
 * <p><b>Design note (retention and compaction).</b> Raft may still ask {@link #read} for any entry
 * in its log, so records are deleted (retention, run per node by {@link PartitionManager}) or
 * compacted (the node's {@code LogCleaner}) only below {@link #retainFrom()}: the base offset of
 * the Raft log's first entry, never above the snapshot offset (hence below the high watermark).
 * Retention therefore trails its topic settings by up to a snapshot interval plus one Raft log
 * segment; a follower behind the purged Raft log is sent the snapshot instead.
 *
 * <p>Thread-safety: Ratis calls write/truncate under its log lock, flush from its log worker,
 * apply/snapshot from its updater thread, read from appender threads; the log serialises its
 * writers, the offset map is concurrent, and recovery is synchronised. Readers (fetch) use
 * {@link #log()} and {@link #highWatermark()} without locks.
 */
public final class PartitionStateMachine extends BaseStateMachine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PartitionStateMachine.class);

    /** Callbacks of the leader's append path, carried as the transaction's state machine context. */
    interface EntryCallbacks {
        /** The entry's appends are in the leader's log (acks=false may complete). */
        void onWritten(PartitionEntryFormat.Decision decision);

        /** The entry is committed and applied. */
        void onApplied(PartitionEntryFormat.Decision decision, long logStartOffset);
    }

    /** Where compacted partition logs are registered for cleaning (the node's log cleaner). */
    interface Compactor {
        /** Cleans {@code log} in the background, never at or beyond {@code cleanableUpTo}. Idempotent. */
        void register(Log log, java.util.function.LongSupplier cleanableUpTo);

        /** Stops cleaning {@code log}; returns when no pass runs on it. Idempotent. */
        void unregister(Log log);

        Compactor NONE = new Compactor() {
            @Override
            public void register(Log log, java.util.function.LongSupplier cleanableUpTo) {
            }

            @Override
            public void unregister(Log log) {
            }
        };
    }

    /** The offsets of one entry. */
    record EntryOffsets(long baseOffset, long endOffset) {
    }

    /** Replaced when the topic's settings change ({@link #updateConfig}); read on every admission check. */
    private volatile PartitionSpec spec;
    private final PartitionSnapshotStorage storage = new PartitionSnapshotStorage();
    private final ConcurrentSkipListMap<Long, EntryOffsets> entries = new ConcurrentSkipListMap<>();
    /** The decisions of entries written (or rebuilt) and not yet applied, by Raft index. */
    private final ConcurrentSkipListMap<Long, PartitionEntryFormat.Decision> decisions = new ConcurrentSkipListMap<>();
    /** Guards {@link #state}; taken after this object's lock when both are needed, never before. */
    private final Object stateLock = new Object();
    /** Producer state and key index as of the last entry written to the Raft log here. */
    private PartitionState state = new PartitionState();
    private final ConcurrentSkipListMap<Long, Queue<CompletableFuture<Long>>> hwWaiters = new ConcurrentSkipListMap<>();
    /** The callbacks of transactions started here, by Raft client call id. */
    private final Map<Long, EntryCallbacks> pendingByCallId = new java.util.concurrent.ConcurrentHashMap<>();

    private volatile Log log;
    private volatile long highWatermark;
    /** Leader's append time pinned while writing an entry (LogAppendTime topics), else -1. */
    private volatile long pinnedAppendTimeMs = -1;
    private volatile TermIndex anchor = TermIndex.valueOf(0, -1);
    private volatile long anchorOffset;
    /**
     * The offset map is complete from this Raft index on (entries below it that are still in the
     * Raft log after a restart or a snapshot install have unknown offsets).
     */
    private volatile long offsetsKnownFromIndex;
    private volatile boolean recovered;
    private volatile boolean closed;
    /** Snapshots installed from a leader since this state machine was built (for tests and metrics). */
    private volatile int snapshotsInstalled;

    private final Compactor compactor;

    PartitionStateMachine(PartitionSpec spec, Compactor compactor) {
        this.spec = spec;
        this.compactor = compactor;
    }

    public TopicPartition topicPartition() {
        return spec.topicPartition();
    }

    // ================================================================ lifecycle

    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
        super.initialize(server, groupId, raftStorage);
        getLifeCycle().startAndTransition(() -> {
            storage.init(raftStorage);
            log = openLog();
            PartitionSnapshotStorage.Loaded snap = storage.loadLatest();
            if (snap != null) {
                anchor = snap.termIndex();
                anchorOffset = snap.meta().getOffset();
                setLastAppliedTermIndex(anchor);
            } else {
                anchorOffset = 0;
            }
            PartitionState loaded = snapshotState(snap, log);
            synchronized (stateLock) {
                state = loaded;
            }
            highWatermark = Math.min(anchorOffset, log.logEndOffset());
            updateCompaction(log);
            LOG.info("{}: partition {} opened, log [{}, {}), snapshot {} at offset {}", getId(), spec.topicPartition(),
                    log.logStartOffset(), log.logEndOffset(), snap == null ? "none" : anchor, anchorOffset);
        }, IOException.class);
    }

    /**
     * The state of a snapshot: its state file, or for a snapshot written before state files
     * existed (meta version 1 and 2) no producer and a key index rebuilt from the log below the
     * snapshot offset; without a snapshot, the empty state (the Raft log holds every entry).
     */
    private PartitionState snapshotState(PartitionSnapshotStorage.Loaded snap, Log l) throws IOException {
        if (snap == null) {
            return new PartitionState();
        }
        PartitionState s = PartitionSnapshotStorage.loadState(snap);
        if (s != null) {
            return s;
        }
        long to = Math.min(snap.meta().getOffset(), l.logEndOffset());
        LOG.warn("{}: partition {} snapshot {} (meta version {}) has no producer state: producers start unknown, the"
                + " key index is rebuilt from the log [{}, {})", getId(), spec.topicPartition(), snap.termIndex(),
                snap.meta().getVersion(), l.logStartOffset(), to);
        return PartitionState.withKeysOf(l, l.logStartOffset(), to);
    }

    private Log openLog() throws IOException {
        return Log.open(spec.logDir(), logConfigForReplica(spec.config()),
                LogEnvironment.defaults().withClock(this::clockMs));
    }

    /**
     * The replicas' copy of a topic config: size limits are the leader's admission checks, never
     * a replica's (a replica must not refuse an entry the leader accepted under another config).
     */
    static LogConfig logConfigForReplica(LogConfig c) {
        // Retention by time and size is decided here (enforceRetention), bounded by what Raft may
        // still read; the log itself deletes only the segments below the log start offset we set.
        return c.toBuilder().maxMessageBytes(c.segmentBytes()).retentionMs(-1).retentionBytes(-1).build();
    }

    private long clockMs() {
        long pinned = pinnedAppendTimeMs;
        return pinned >= 0 ? pinned : System.currentTimeMillis();
    }

    @Override
    public void pause() {
        LifeCycle lc = getLifeCycle();
        if (lc.getCurrentState() == LifeCycle.State.RUNNING) {
            lc.transition(LifeCycle.State.PAUSING);
            lc.transition(LifeCycle.State.PAUSED);
        }
        storage.rescan();
    }

    /** After Ratis installed a snapshot from the leader: the partition log becomes the snapshot's. */
    @Override
    public void reinitialize() throws IOException {
        storage.rescan();
        PartitionSnapshotStorage.Loaded snap = storage.loadLatest();
        LifeCycle lc = getLifeCycle();
        if (lc.getCurrentState() == LifeCycle.State.PAUSED) {
            lc.transition(LifeCycle.State.STARTING);
        }
        if (snap != null && snap.meta().getRaftIndex() > getLastAppliedTermIndexOrMinus1()) {
            synchronized (this) {
                Log old = log;
                compactor.unregister(old);
                old.close();
                PartitionSnapshotStorage.installSegments(snap, spec.logDir(), spec.topicId());
                Log fresh = openLog();
                long offset = snap.meta().getOffset();
                if (fresh.numberOfSegments() <= 1 && fresh.logEndOffset() < offset) {
                    fresh.truncateFullyAndStartAt(offset);
                } else if (fresh.logEndOffset() > offset) {
                    fresh.truncateTo(offset);
                }
                if (snap.meta().getLogStartOffset() > fresh.logStartOffset()) {
                    fresh.advanceLogStartOffset(snap.meta().getLogStartOffset());
                }
                PartitionState installed = snapshotState(snap, fresh);
                log = fresh;
                updateCompaction(fresh);
                entries.clear();
                decisions.clear();
                synchronized (stateLock) {
                    state = installed;
                }
                offsetsKnownFromIndex = snap.meta().getRaftIndex() + 1;
                anchor = snap.termIndex();
                anchorOffset = offset;
                recovered = false;
                setLastAppliedTermIndex(anchor);
                publishHighWatermark(offset);
                snapshotsInstalled++;
                LOG.info("{}: partition {} installed snapshot {} from the leader: log [{}, {})", getId(),
                        spec.topicPartition(), anchor, fresh.logStartOffset(), fresh.logEndOffset());
            }
        }
        if (lc.getCurrentState() == LifeCycle.State.STARTING) {
            lc.transition(LifeCycle.State.RUNNING);
        }
    }

    private long getLastAppliedTermIndexOrMinus1() {
        TermIndex ti = getLastAppliedTermIndex();
        return ti == null ? -1 : ti.getIndex();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Log l = log;
        if (l != null) {
            compactor.unregister(l);
            l.close();
        }
        for (Queue<CompletableFuture<Long>> q : hwWaiters.values()) {
            q.forEach(f -> f.completeExceptionally(new IllegalStateException("partition " + spec.topicPartition()
                    + " replica closed")));
        }
        hwWaiters.clear();
    }

    @Override
    public StateMachineStorage getStateMachineStorage() {
        return storage;
    }

    @Override
    public SnapshotInfo getLatestSnapshot() {
        return storage.getLatestSnapshot();
    }

    // ================================================================ recovery of the offset map

    /**
     * Rebuilds the index → offset map from the Raft log's headers, from the snapshot anchor, and
     * truncates a partition log that is ahead of the Raft log. Runs once, on the first call that
     * needs offsets (the Raft log is loaded after {@link #initialize}).
     */
    private void ensureRecovered() {
        if (recovered) {
            return;
        }
        // The Raft log is read without holding this object's lock: a writer thread holds the Raft
        // log's write lock while it calls write(), so waiting for its read lock under our lock
        // could deadlock. Concurrent rebuilds compute the same map; the first one installs it.
        TermIndex from = anchor;
        long fromOffset = anchorOffset;
        RaftLog raftLog;
        try {
            raftLog = getServer().join().getDivision(getGroupId()).getRaftLog();
        } catch (IOException e) {
            throw new IllegalStateException("partition " + spec.topicPartition() + ": no Raft division", e);
        }
        boolean retry = false;
        Map<Long, PartitionEntryHeader> headers = new java.util.TreeMap<>();
        long first = Math.max(from.getIndex() + 1, raftLog.getStartIndex());
        TermIndex last = raftLog.getLastEntryTermIndex();
        long lastIndex = last == null ? -1 : last.getIndex();
        for (long i = first; i <= lastIndex; i++) {
            LogEntryProto e;
            try {
                e = raftLog.get(i);
            } catch (Exception ex) {
                throw new IllegalStateException("partition " + spec.topicPartition() + ": cannot read Raft entry "
                        + i + " to rebuild offsets", ex);
            }
            if (e == null || !e.hasStateMachineLogEntry()) {
                continue;
            }
            headers.put(i, PartitionEntryFormat.parse(e.getStateMachineLogEntry().getLogData()));
        }
        synchronized (this) {
            if (recovered) {
                return;
            }
            if (anchor != from) {
                retry = true;
            } else {
            Log l = log;
            // Decide the entries again from the snapshot's state, reading the appended records'
            // keys back from the partition log (write() put them there before the restart).
            Map<Long, EntryOffsets> rebuilt = new java.util.TreeMap<>();
            Map<Long, PartitionEntryFormat.Decision> rebuiltDecisions = new java.util.TreeMap<>();
            long next = fromOffset;
            synchronized (stateLock) {
                for (Map.Entry<Long, PartitionEntryHeader> he : headers.entrySet()) {
                    PartitionEntryHeader h = he.getValue();
                    PartitionEntryFormat.Decision d = state.decide(he.getKey(), h, next, (i, firstOffset, sink) ->
                            PartitionRecords.fromLog(l, firstOffset, firstOffset + h.getAppends(i).getRecordCount(),
                                    sink));
                    rebuilt.put(he.getKey(), new EntryOffsets(next, d.endOffset()));
                    rebuiltDecisions.put(he.getKey(), d);
                    next = d.endOffset();
                }
            }
            long end = l.logEndOffset();
            if (end > next) {
                LOG.warn("{}: partition log {} ends at {}, past the last Raft entry (offset {}); truncating it",
                        getId(), spec.topicPartition(), end, next);
                l.truncateTo(next);
            } else if (end < next && !rebuilt.isEmpty()) {
                throw new IllegalStateException("partition log " + spec.logDir() + " ends at offset " + end
                        + " but its Raft log holds entries up to offset " + next
                        + ": segment data the Raft log depends on is missing");
            } else if (end < next) {
                // No entry after the snapshot: the log restarts at the snapshot offset.
                l.truncateFullyAndStartAt(next);
            }
            entries.putAll(rebuilt);
            decisions.putAll(rebuiltDecisions);
            offsetsKnownFromIndex = from.getIndex() + 1;
            restoreSnapshotEntryOffsets(from, fromOffset, raftLog.getStartIndex());
            recovered = true;
            LOG.info("{}: partition {} offsets rebuilt from {} Raft entries after {}: log end {}", getId(),
                    spec.topicPartition(), rebuilt.size(), from, l.logEndOffset());
            }
        }
        if (retry) {
            ensureRecovered();
        }
    }

    /**
     * Restores the offsets of the Raft entries at or below the snapshot index that the Raft log
     * still holds (so {@link #read} can serve them to a lagging follower after a restart), from
     * the list the snapshot recorded. Called under this object's lock during recovery.
     */
    private void restoreSnapshotEntryOffsets(TermIndex snapshot, long snapshotOffset, long raftStart) {
        PartitionSnapshotStorage.Loaded snap = storage.loadLatest();
        if (snap == null || snap.meta().getRaftIndex() != snapshot.getIndex() || raftStart > snapshot.getIndex()) {
            return;
        }
        PartitionSnapshotStorage.EntryOffsetList list = PartitionSnapshotStorage.EntryOffsetList.of(snap.meta());
        if (list.endDeltas().isEmpty() || list.firstIndex() > raftStart) {
            LOG.warn("{}: partition {} Raft log starts at {} but the snapshot at {} has no offsets for entries from there"
                    + " (version {} snapshot): followers needing them wait for the next snapshot", getId(),
                    spec.topicPartition(), raftStart, snapshot.getIndex(), snap.meta().getVersion());
            return;
        }
        java.util.NavigableMap<Long, long[]> decoded;
        try {
            decoded = list.decode();
        } catch (IOException e) {
            LOG.warn("{}: partition {} snapshot entry offsets unreadable: {}", getId(), spec.topicPartition(), e.toString());
            return;
        }
        Map.Entry<Long, long[]> last = decoded.lastEntry();
        if (last == null || last.getKey() != snapshot.getIndex() || last.getValue()[1] != snapshotOffset) {
            LOG.warn("{}: partition {} snapshot entry offsets do not end at the snapshot ({} at {}): ignored", getId(),
                    spec.topicPartition(), snapshot, snapshotOffset);
            return;
        }
        for (Map.Entry<Long, long[]> e : decoded.tailMap(raftStart, true).entrySet()) {
            entries.put(e.getKey(), new EntryOffsets(e.getValue()[0], e.getValue()[1]));
        }
        offsetsKnownFromIndex = raftStart;
    }

    // ================================================================ leader: transactions

    /** Registers the callbacks of a request this replica is about to submit to its own server. */
    void registerPending(long callId, EntryCallbacks callbacks) {
        pendingByCallId.put(callId, callbacks);
    }

    void unregisterPending(long callId) {
        pendingByCallId.remove(callId);
    }

    /**
     * The request's message is the batches; the header travels in the registered callbacks'
     * entry (in-process submit only: see {@link PartitionReplicaImpl}).
     */
    @Override
    public TransactionContext startTransaction(RaftClientRequest request) throws IOException {
        EntryCallbacks cb = pendingByCallId.remove(request.getCallId());
        if (!(cb instanceof PartitionReplicaImpl.PendingEntry pending)) {
            throw new IOException("partition " + spec.topicPartition()
                    + " accepts appends only through its broker (call " + request.getCallId() + ")");
        }
        ByteString data = request.getMessage().getContent();
        if (data.isEmpty()) {
            throw new IOException("empty append");
        }
        return TransactionContext.newBuilder()
                .setStateMachine(this)
                .setClientRequest(request)
                .setLogData(PartitionEntryFormat.encode(pending.header()))
                .setStateMachineData(data)
                .setStateMachineContext(pending)
                .build();
    }

    @Override
    public TransactionContext cancelTransaction(TransactionContext trx) {
        return trx;
    }

    // ================================================================ DataApi

    @Override
    public CompletableFuture<?> write(LogEntryProto entry, TransactionContext trx) {
        try {
            ensureRecovered();
            PartitionEntryHeader h = PartitionEntryFormat.parse(entry.getStateMachineLogEntry().getLogData());
            ByteString data = entry.getStateMachineLogEntry().getStateMachineEntry().getStateMachineData();
            Log l = log;
            long end = l.logEndOffset();
            PartitionEntryFormat.Decision d;
            synchronized (stateLock) {
                try {
                    d = state.decide(entry.getIndex(), h, end, PartitionRecords.fromEntryData(h, data));
                } catch (RuntimeException ex) {
                    state.undoFrom(entry.getIndex());
                    throw ex;
                }
            }
            try {
                appendAccepted(l, h, d, data, entry.getTerm());
            } catch (RuntimeException ex) {
                synchronized (stateLock) {
                    state.undoFrom(entry.getIndex());
                }
                throw ex;
            }
            if (l.logEndOffset() != d.endOffset()) {
                throw new IllegalStateException("partition " + spec.topicPartition() + " entry " + entry.getIndex()
                        + " should end at offset " + d.endOffset() + " but the log ends at " + l.logEndOffset()
                        + " (header record counts disagree with the batches)");
            }
            entries.put(entry.getIndex(), new EntryOffsets(d.baseOffset(), d.endOffset()));
            decisions.put(entry.getIndex(), d);
            if (trx != null && trx.getStateMachineContext() instanceof EntryCallbacks cb) {
                notifyCallback(entry.getIndex(), () -> cb.onWritten(d));
            }
            return CompletableFuture.completedFuture(null);
        } catch (RuntimeException e) {
            LOG.error("{}: partition {} failed to write entry {}", getId(), spec.topicPartition(), entry.getIndex(), e);
            return CompletableFuture.failedFuture(e);
        }
    }

    private void appendAccepted(Log l, PartitionEntryHeader h, PartitionEntryFormat.Decision d, ByteString data,
                                long term) {
        int accepted = d.acceptedCount();
        if (accepted == 0) {
            return;
        }
        long total = PartitionEntryFormat.totalBytes(h);
        long acceptedBytes = PartitionEntryFormat.acceptedBytes(h, d);
        boolean original = data.size() == total;
        if (!original && data.size() != acceptedBytes) {
            throw new IllegalStateException("partition " + spec.topicPartition() + ": entry data is " + data.size()
                    + " bytes, neither the " + total + " of all appends nor the " + acceptedBytes + " accepted");
        }
        int epoch = (int) Math.min(term, Integer.MAX_VALUE);
        pinnedAppendTimeMs = l.config().logAppendTime() ? h.getAppendTimeMs() : -1;
        try {
            if (accepted == h.getAppendsCount() || !original) {
                l.append(writableCopy(data, 0, data.size()), epoch);
                return;
            }
            int position = 0;
            for (int i = 0; i < h.getAppendsCount(); i++) {
                int size = h.getAppends(i).getSizeBytes();
                if (d.accepted(i)) {
                    l.append(writableCopy(data, position, size), epoch);
                }
                position += size;
            }
        } finally {
            pinnedAppendTimeMs = -1;
        }
    }

    /** Log.append stamps offsets and epochs in place: it needs its own writable buffer. */
    private static ByteBuffer writableCopy(ByteString data, int from, int size) {
        ByteBuffer b = ByteBuffer.allocate(size);
        data.substring(from, from + size).copyTo(b);
        b.flip();
        return b;
    }

    @Override
    public CompletableFuture<Void> flush(long index) {
        try {
            log.flush();
            return CompletableFuture.completedFuture(null);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public CompletableFuture<Void> truncate(long index) {
        try {
            ensureRecovered();
            Map.Entry<Long, EntryOffsets> first = entries.ceilingEntry(index);
            if (first != null) {
                long offset = first.getValue().baseOffset();
                LOG.info("{}: partition {} truncating Raft entries from {}: log back to offset {}", getId(),
                        spec.topicPartition(), index, offset);
                log.truncateTo(offset);
                entries.tailMap(index, true).clear();
            }
            decisions.tailMap(index, true).clear();
            synchronized (stateLock) {
                state.undoFrom(index);
            }
            return CompletableFuture.completedFuture(null);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public CompletableFuture<ByteString> read(LogEntryProto entry, TransactionContext trx) {
        try {
            ensureRecovered();
            EntryOffsets o = entries.get(entry.getIndex());
            if (o == null) {
                throw new IllegalStateException("partition " + spec.topicPartition() + " has no offsets for Raft entry "
                        + entry.getIndex());
            }
            if (o.baseOffset() == o.endOffset()) {
                return CompletableFuture.completedFuture(PartitionEntryFormat.PLACEHOLDER);
            }
            return CompletableFuture.completedFuture(readRange(o.baseOffset(), o.endOffset()));
        } catch (RuntimeException e) {
            LOG.warn("{}: partition {} cannot serve Raft entry {}: {}", getId(), spec.topicPartition(), entry.getIndex(),
                    e.toString());
            return CompletableFuture.failedFuture(e);
        }
    }

    private ByteString readRange(long from, long to) {
        Log l = log;
        List<ByteBuffer> parts = new ArrayList<>();
        long next = from;
        int total = 0;
        while (next < to) {
            LogReadResult r = l.read(next, Integer.MAX_VALUE, to);
            if (r.isEmpty()) {
                throw new IllegalStateException("partition " + spec.topicPartition() + " log has no data at offset " + next);
            }
            parts.add(r.records());
            total += r.sizeInBytes();
            next = r.nextOffset();
        }
        if (parts.size() == 1) {
            return UnsafeByteOperations.unsafeWrap(parts.get(0));
        }
        ByteBuffer all = ByteBuffer.allocate(total);
        parts.forEach(all::put);
        all.flip();
        return UnsafeByteOperations.unsafeWrap(all);
    }

    // ================================================================ apply

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto e = trx.getLogEntry();
        try {
            ensureRecovered();
            PartitionEntryHeader h = PartitionEntryFormat.parse(e.getStateMachineLogEntry().getLogData());
            PartitionEntryFormat.Decision d = decisions.remove(e.getIndex());
            if (d == null) {
                throw new IllegalStateException("partition " + spec.topicPartition() + " has no decision for Raft entry "
                        + e.getIndex() + " (it was neither written nor rebuilt here)");
            }
            decisions.headMap(e.getIndex()).clear();
            synchronized (stateLock) {
                state.applied(e.getIndex());
            }
            updateLastAppliedTermIndex(e.getTerm(), e.getIndex());
            publishHighWatermark(d.endOffset());
            long logStart = log.logStartOffset();
            if (trx.getStateMachineContext() instanceof EntryCallbacks cb) {
                notifyCallback(e.getIndex(), () -> cb.onApplied(d, logStart));
            }
            return CompletableFuture.completedFuture(Message.valueOf(
                    org.apache.ratis.thirdparty.com.google.protobuf.ByteString.copyFrom(
                            result(h, d, logStart).toByteArray())));
        } catch (RuntimeException ex) {
            LOG.error("{}: partition {} failed to apply entry {}", getId(), spec.topicPartition(), e.getIndex(), ex);
            return CompletableFuture.failedFuture(ex);
        }
    }

    static PartitionEntryResult result(PartitionEntryHeader h, PartitionEntryFormat.Decision d, long logStart) {
        PartitionEntryResult.Builder b = PartitionEntryResult.newBuilder().setBaseOffset(d.baseOffset())
                .setLogStartOffset(logStart);
        for (int i = 0; i < h.getAppendsCount(); i++) {
            b.addResults(PartitionAppendResult.newBuilder().setAccepted(d.accepted(i)).setOffset(d.offsets()[i])
                    .setLastOffset(d.lastOffsets()[i]).setOutcome(d.outcomes()[i]).setDetail(d.details()[i]));
        }
        return b.build();
    }

    private void publishHighWatermark(long hw) {
        highWatermark = hw;
        if (hwWaiters.isEmpty()) {
            return;
        }
        var ready = hwWaiters.headMap(hw, false);
        for (var it = ready.entrySet().iterator(); it.hasNext(); ) {
            var en = it.next();
            it.remove();
            for (CompletableFuture<Long> f : en.getValue()) {
                f.complete(hw);
            }
        }
    }

    /** See {@link io.tributary.replication.PartitionReplica#awaitHighWatermarkAbove}. */
    CompletableFuture<Long> awaitHighWatermarkAbove(long offset) {
        long hw = highWatermark;
        if (hw > offset) {
            return CompletableFuture.completedFuture(hw);
        }
        CompletableFuture<Long> f = new CompletableFuture<>();
        Queue<CompletableFuture<Long>> q = hwWaiters.computeIfAbsent(offset, k -> new ConcurrentLinkedQueue<>());
        q.add(f);
        f.whenComplete((v, t) -> q.remove(f));
        hw = highWatermark;
        if (hw > offset) {
            f.complete(hw);
        }
        return f;
    }

    @Override
    public void notifyNotLeader(Collection<TransactionContext> pendingEntries) {
        for (TransactionContext trx : pendingEntries) {
            if (trx.getStateMachineContext() instanceof PartitionReplicaImpl.PendingEntry p) {
                notifyCallback(trx.getLogEntry() == null ? -1 : trx.getLogEntry().getIndex(), p::onNotLeader);
            }
        }
    }

    /**
     * Runs a request's callback on a Ratis thread: a failing callback (it completes the caller's
     * futures) is logged and must not fail the Raft write or apply, nor escape into Ratis.
     */
    private void notifyCallback(long index, Runnable callback) {
        try {
            callback.run();
        } catch (RuntimeException ex) {
            LOG.warn("{}: partition {} callback of Raft entry {} failed: {}", getId(), spec.topicPartition(), index,
                    ex.toString());
        }
    }

    /**
     * Reads are answered from the partition log, not through Raft queries; a stale query is
     * answered once this replica has applied {@code minIndex} (BaseStateMachine's version never
     * completes for an index not yet applied).
     */
    @Override
    public CompletableFuture<Message> queryStale(Message request, long minIndex) {
        if (getLastAppliedTermIndexOrMinus1() >= minIndex) {
            return query(request);
        }
        return CompletableFuture.failedFuture(new IllegalStateException("partition " + spec.topicPartition()
                + " has applied " + getLastAppliedTermIndexOrMinus1() + " < " + minIndex));
    }

    @Override
    public CompletableFuture<Message> query(Message request) {
        return CompletableFuture.completedFuture(Message.valueOf(
                org.apache.ratis.thirdparty.com.google.protobuf.ByteString.copyFromUtf8(
                        Long.toString(highWatermark))));
    }

    // ================================================================ snapshots

    @Override
    public long takeSnapshot() throws IOException {
        TermIndex applied = getLastAppliedTermIndex();
        PartitionSnapshotStorage.Loaded prev = storage.loadLatest();
        long prevIndex = prev == null ? -1 : prev.meta().getRaftIndex();
        if (applied == null || applied.getIndex() <= prevIndex || closed) {
            return prevIndex;
        }
        // Never throw: Ratis's updater thread treats a throwing takeSnapshot as fatal and, when the
        // group is being removed or the server is closing (Ratis snapshots on stop and on remove: the
        // division is already gone, so there is no Raft log to rebuild offsets from), retries it in a
        // tight loop that fills the log. A snapshot that cannot be taken now is taken later.
        try {
            ensureRecovered();
            long offset = highWatermark;
            PartitionState at;
            synchronized (stateLock) {
                at = state.copyAt(applied.getIndex());
            }
            PartitionSnapshotStorage.Loaded s = storage.create(applied, offset, log, spec.topicId(),
                    entryOffsetsUpTo(applied.getIndex(), offset), at);
            LOG.info("{}: partition {} snapshot {} at offset {} ({} segment files)", getId(), spec.topicPartition(),
                    applied, offset, s.meta().getSegmentsCount());
        } catch (IOException | RuntimeException e) {
            LOG.warn("{}: partition {} no snapshot at {}, keeping {}: {}", getId(), spec.topicPartition(), applied,
                    prevIndex, e.toString());
            return prevIndex;
        }
        pruneOffsets();
        return applied.getIndex();
    }

    /**
     * The offsets of the entries at or below {@code index} (the snapshot's) that the Raft log may
     * keep after its purge, from its current start on; they must end at {@code offset}. Indices
     * without an entry in the map hold no records (configuration and leader no-op entries): every
     * state machine entry from {@code max(offsetsKnownFromIndex, Raft log start)} on is in the map.
     */
    private PartitionSnapshotStorage.EntryOffsetList entryOffsetsUpTo(long index, long offset) {
        long raftStart = raftLogStartIndex();
        long from = Math.max(offsetsKnownFromIndex, raftStart);
        if (raftStart < 0 || from > index) {
            return PartitionSnapshotStorage.EntryOffsetList.EMPTY;
        }
        Map.Entry<Long, EntryOffsets> first = entries.ceilingEntry(from);
        long firstBase = first == null || first.getKey() > index ? offset : first.getValue().baseOffset();
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        com.google.protobuf.CodedOutputStream out = com.google.protobuf.CodedOutputStream.newInstance(bytes);
        long end = firstBase;
        try {
            for (long i = from; i <= index; i++) {
                EntryOffsets o = entries.get(i);
                if (o != null && o.baseOffset() != end) {
                    LOG.warn("{}: partition {} entry {} starts at {}, not where the previous one ends ({}); snapshot"
                            + " without entry offsets", getId(), spec.topicPartition(), i, o.baseOffset(), end);
                    return PartitionSnapshotStorage.EntryOffsetList.EMPTY;
                }
                long delta = o == null ? 0 : o.endOffset() - o.baseOffset();
                out.writeUInt64NoTag(delta);
                end += delta;
            }
            out.flush();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        if (end != offset) {
            LOG.warn("{}: partition {} entries up to {} end at offset {}, not at the snapshot offset {}; snapshot"
                    + " without entry offsets", getId(), spec.topicPartition(), index, end, offset);
            return PartitionSnapshotStorage.EntryOffsetList.EMPTY;
        }
        return new PartitionSnapshotStorage.EntryOffsetList(from, firstBase,
                com.google.protobuf.ByteString.copyFrom(bytes.toByteArray()));
    }

    /** The index of the first entry in the Raft log, or -1 when the division is gone (removed, stopping). */
    private long raftLogStartIndex() {
        try {
            return getServer().join().getDivision(getGroupId()).getRaftLog().getStartIndex();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Drops offsets of entries Ratis has purged. */
    private void pruneOffsets() {
        try {
            long start = getServer().join().getDivision(getGroupId()).getRaftLog().getStartIndex();
            entries.headMap(start, false).clear();
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot prune offsets: {}", e.toString());
        }
    }

    // ================================================================ retention

    /**
     * The lowest offset this replica must keep readable for Raft: the base offset of the first
     * entry still in its Raft log, but never above its last snapshot's offset.
     *
     * <p><b>Retention rule.</b> A leader serves entries of its Raft log to lagging followers
     * through {@link #read}, from the partition log; an entry whose records were deleted cannot be
     * served (Ratis would retry it forever). Entries disappear from the Raft log only when Ratis
     * purges it up to a snapshot (whole closed Raft log segments); a follower that needs an entry
     * below the purged start gets the snapshot instead. So retention and compaction may act only
     * below {@code min(offset of the Raft log's first entry, snapshot offset)} (which is below the
     * high watermark), and they lag behind their topic settings by up to one snapshot interval plus
     * one Raft log segment. With no snapshot yet, the Raft log holds every entry: nothing may go.
     * Where the map has no offsets for the Raft log's first entries (after a restart, entries at or
     * below the snapshot index), nothing may go until Ratis purges past them.
     */
    long retainFrom() {
        Log l = log;
        try {
            return raftNeedsFrom(l);
        } catch (RuntimeException e) {
            // Called by the node's log cleaner and retention task: never throw (the group may be
            // closing or removed); nothing may go while it is unknown.
            LOG.debug("{}: partition {} keeps its log (Raft's needs unknown): {}", getId(), spec.topicPartition(),
                    e.toString());
            return l.logStartOffset();
        }
    }

    private long raftNeedsFrom(Log l) {
        PartitionSnapshotStorage.Loaded snap = storage.loadLatest();
        if (snap == null || closed) {
            return l.logStartOffset();
        }
        ensureRecovered();
        long snapIndex = snap.meta().getRaftIndex();
        long snapOffset = snap.meta().getOffset();
        long raftStart;
        try {
            raftStart = getServer().join().getDivision(getGroupId()).getRaftLog().getStartIndex();
        } catch (IOException e) {
            return l.logStartOffset();
        }
        if (raftStart > snapIndex) {
            return snapOffset;
        }
        if (raftStart < offsetsKnownFromIndex) {
            return l.logStartOffset();
        }
        Map.Entry<Long, EntryOffsets> first = entries.ceilingEntry(raftStart);
        return first == null ? snapOffset : Math.min(first.getValue().baseOffset(), snapOffset);
    }

    /**
     * Applies the topic's retention ({@code retention.ms}, {@code retention.bytes}, for
     * {@code cleanup.policy} with {@code delete}) to whole closed segments, oldest first, but
     * never at or above {@link #retainFrom()}: moves the log start offset to the base of the first
     * segment kept, lets the log delete the segments below it, and drops them from the snapshot
     * (whose hard links would otherwise keep their disk space).
     *
     * @return the number of segments deleted
     */
    int enforceRetention(long nowMs) {
        if (closed) {
            return 0;
        }
        Log l = log;
        LogConfig c = spec.config();
        long start = l.logStartOffset();
        long target = start;
        List<Long> bases = l.segmentBaseOffsets();
        if (c.cleanupPolicy().deletes() && (c.retentionMs() >= 0 || c.retentionBytes() >= 0)) {
            long expiredBelow = c.retentionMs() < 0 ? Long.MIN_VALUE
                    : l.offsetForTimestamp(nowMs - c.retentionMs()).map(t -> t.offset()).orElse(Long.MAX_VALUE);
            long excess = c.retentionBytes() < 0 ? 0 : l.sizeInBytes() - c.retentionBytes();
            for (int i = 0; i + 1 < bases.size(); i++) { // never the active (last) segment
                long next = bases.get(i + 1);
                long size;
                try {
                    size = java.nio.file.Files.size(l.dir().resolve(PartitionSnapshotStorage.segmentFileName(bases.get(i))));
                } catch (IOException e) {
                    break; // the segment changed under us (compaction swap): next round
                }
                boolean expired = next <= expiredBelow;
                boolean overSize = c.retentionBytes() >= 0 && excess >= size;
                if (!expired && !overSize) {
                    break;
                }
                excess -= size;
                target = next;
            }
        }
        long raftNeedsFrom = retainFrom();
        long limit = Math.min(target, raftNeedsFrom);
        long newStart = start;
        for (long base : bases) {
            if (base <= limit && base > newStart) {
                newStart = base;
            }
        }
        if (newStart > start) {
            LOG.info("{}: partition {} retention moves the log start offset {} -> {} (retention target {}, Raft needs"
                    + " offsets from {})", getId(), spec.topicPartition(), start, newStart, target, raftNeedsFrom);
            l.advanceLogStartOffset(newStart);
        }
        int deleted = l.enforceRetention();
        if (deleted > 0) {
            try {
                storage.dropSegmentsBelow(l.logStartOffset());
            } catch (IOException e) {
                LOG.warn("{}: partition {} cannot drop deleted segments from its snapshot: {}", getId(),
                        spec.topicPartition(), e.toString());
            }
        }
        return deleted;
    }

    // ================================================================ state for the replica

    public Log log() {
        return log;
    }

    public long highWatermark() {
        return highWatermark;
    }

    PartitionSpec spec() {
        return spec;
    }

    /** The newest snapshot's meta, or null when there is none. */
    io.tributary.proto.internal.v1.PartitionSnapshotMeta latestSnapshotMeta() {
        PartitionSnapshotStorage.Loaded l = storage.loadLatest();
        return l == null ? null : l.meta();
    }

    /** The offset of the key's last record in the state written here, -1 when it has none (for tests). */
    long keyLastOffset(byte[] key) {
        synchronized (stateLock) {
            return state.lastOffsetOf(key);
        }
    }

    /** The producer's state written here, or null (for tests). */
    PartitionState.ProducerEntry producerState(long producerId) {
        synchronized (stateLock) {
            return state.producer(producerId);
        }
    }

    /** How many snapshots this replica installed from a leader since it started. */
    int snapshotsInstalled() {
        return snapshotsInstalled;
    }

    /**
     * Applies changed topic settings: to the live log (roll, retention, index and flush settings)
     * and to the leader's admission checks ({@code max.message.bytes}), which read {@link #spec()}.
     */
    void updateConfig(PartitionSpec updated) {
        if (!updated.topicPartition().equals(spec.topicPartition()) || !updated.topicId().equals(spec.topicId())) {
            throw new IllegalArgumentException("spec " + updated + " is not partition " + spec.topicPartition());
        }
        synchronized (this) {
            spec = updated;
            Log l = log;
            if (l != null) {
                l.updateConfig(logConfigForReplica(updated.config()));
                updateCompaction(l);
            }
        }
    }

    /**
     * Registers the log with the node's cleaner when its topic is compacted (unregisters it
     * otherwise), bounded by {@link #retainFrom()}: compacting records that Raft may still serve
     * to a follower as an entry would hand it different bytes than the entry's header describes.
     */
    private void updateCompaction(Log l) {
        if (spec.config().cleanupPolicy().compacts()) {
            compactor.register(l, this::retainFrom);
        } else {
            compactor.unregister(l);
        }
    }

    @Override
    public String toString() {
        return "PartitionStateMachine(" + spec.topicPartition() + ")";
    }
}
