package io.tributary.client.consumer.internal;

import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.tributary.client.TopicPartition;
import io.tributary.client.errors.NotLeaderException;
import io.tributary.client.errors.OffsetOutOfRangeException;
import io.tributary.client.errors.TributaryException;
import io.tributary.client.internal.BrokerNode;
import io.tributary.client.internal.ClientContext;
import io.tributary.client.internal.Cluster;
import io.tributary.client.internal.ErrorMapper;
import io.tributary.proto.v1.FetchServiceGrpc;
import io.tributary.proto.v1.PartitionRecords;
import io.tributary.proto.v1.SubscribePartition;
import io.tributary.proto.v1.SubscribeRequest;
import io.tributary.proto.v1.SubscribeResponse;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches ahead in the background over the streaming {@code FetchService.Subscribe}: one
 * subscription per leader broker, for the partitions of that broker the consumer wants; their
 * messages are buffered here, in arrival order, until {@code poll} takes them.
 *
 * <p>Bounded memory: each subscription asks its broker for one message at a time
 * ({@code disableAutoRequestWithInitial(1)}, then {@code request(1)} after each message) and only
 * while the bytes buffered across all partitions are below {@code max.buffered.bytes}; a
 * subscription that would go over waits ("starved") until {@code poll} consumes enough. The HTTP/2
 * window bounds what is in transit, so memory stays under {@code max.buffered.bytes} plus one
 * message ({@code fetch.max.bytes}, or one larger batch) per subscription.
 *
 * <p>Changes (a seek, a pause, an assignment change, a leader change, a failed partition) are
 * made by cancelling the broker's subscription and subscribing again with the partitions it should
 * now serve, each from the offset after what is already buffered for it: partitions that did not
 * change keep their buffered records and lose nothing. Each partition carries a fetch epoch,
 * bumped by {@link #reset}; a message of an older epoch or of a subscription that no longer serves
 * the partition is dropped.
 *
 * <p>Partition errors: NOT_LEADER uses the leader hint and subscribes again to the new leader;
 * other retriable errors refresh metadata and retry after {@code retry.backoff.ms};
 * OFFSET_OUT_OF_RANGE is handed to {@code poll} ({@link #takeOutOfRange}) to reset the position;
 * other errors are thrown from {@code poll} once ({@link #takeError}), then retried after a
 * backoff. A subscription that fails as a whole (the broker went away) is retried the same way.
 *
 * <p>Thread-safety: thread-safe. {@link #update}, {@link #reset}, {@link #peek}, {@link #remove} are
 * called by the polling thread; gRPC threads deliver messages; one lock guards the state.
 */
public final class Fetcher {

    private static final Logger LOG = LoggerFactory.getLogger(Fetcher.class);

    /** The fetch state of one wanted partition. */
    private static final class Part {
        final TopicPartition tp;
        long fetchOffset;
        int epoch;
        Session session;
        long retryAtNanos;
        /** Failures since the partition last received data: the backoff doubles with them. */
        int failures;
        long highWatermark = -1;
        long logStartOffset = -1;

        Part(TopicPartition tp, long fetchOffset) {
            this.tp = tp;
            this.fetchOffset = fetchOffset;
        }
    }

    /** One Subscribe call to one broker. */
    private final class Session implements ClientResponseObserver<SubscribeRequest, SubscribeResponse> {
        final BrokerNode broker;
        final Set<TopicPartition> parts = new HashSet<>();
        ClientCallStreamObserver<SubscribeRequest> call;
        boolean closed;

        Session(BrokerNode broker) {
            this.broker = broker;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<SubscribeRequest> requestStream) {
            this.call = requestStream;
            requestStream.disableAutoRequestWithInitial(1);
        }

        @Override
        public void onNext(SubscribeResponse message) {
            onMessage(this, message);
        }

        @Override
        public void onError(Throwable t) {
            onEnd(this, ErrorMapper.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
            onEnd(this, null);
        }

        /** Under the lock: stops the call; its partitions are subscribed again by the next update. */
        void cancel(String why) {
            if (closed) {
                return;
            }
            closed = true;
            starved.remove(this);
            for (TopicPartition tp : parts) {
                Part p = wanted.get(tp);
                if (p != null && p.session == this) {
                    p.session = null;
                }
            }
            parts.clear();
            if (call != null) {
                call.cancel(why, null);
            }
        }
    }

    private final ClientContext ctx;
    private final int fetchMaxBytes;
    private final long maxBufferedBytes;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Map<TopicPartition, Part> wanted = new LinkedHashMap<>();
    private final Map<Integer, Session> sessions = new HashMap<>();
    private final ArrayDeque<CompletedFetch> completed = new ArrayDeque<>();
    private final Set<Session> starved = new HashSet<>();
    private final Map<TopicPartition, OffsetOutOfRangeException> outOfRange = new LinkedHashMap<>();
    private final Map<TopicPartition, TributaryException> errors = new LinkedHashMap<>();
    /** The last error message logged per partition, so that a persistent error is logged once. */
    private final Map<TopicPartition, String> lastLogged = new HashMap<>();
    private long bufferedBytes;
    private boolean signalled;
    private boolean closed;

    public Fetcher(ClientContext ctx, int fetchMaxBytes, long maxBufferedBytes) {
        this.ctx = ctx;
        this.fetchMaxBytes = fetchMaxBytes;
        this.maxBufferedBytes = maxBufferedBytes;
    }

    /**
     * Makes the subscriptions serve exactly {@code positions} (partition to the position to fetch
     * from when it is new here): partitions no longer wanted are dropped with their buffered
     * records; new ones, and ones whose subscription ended or whose leader moved, are subscribed
     * (again) on their leader.
     */
    public void update(Map<TopicPartition, Long> positions) {
        Cluster cluster = ctx.metadata().cluster();
        lock.lock();
        try {
            if (closed) {
                return;
            }
            for (Iterator<Map.Entry<TopicPartition, Part>> it = wanted.entrySet().iterator(); it.hasNext(); ) {
                Part p = it.next().getValue();
                if (!positions.containsKey(p.tp)) {
                    it.remove();
                    lastLogged.remove(p.tp);
                    dropBuffered(p.tp);
                    outOfRange.remove(p.tp);
                    errors.remove(p.tp);
                    if (p.session != null) {
                        p.session.cancel("partition " + p.tp + " no longer fetched");
                    }
                }
            }
            positions.forEach((tp, pos) -> wanted.computeIfAbsent(tp, k -> new Part(k, pos)));
            // Partitions to (re)subscribe: without a session, or on a broker that no longer leads them.
            Map<Integer, BrokerNode> leaders = new HashMap<>();
            Set<Integer> touched = new HashSet<>();
            long now = System.nanoTime();
            boolean needMetadata = false;
            // First cancel the subscriptions of brokers that no longer lead one of their partitions
            // (their other partitions are then subscribed again below, on their leaders).
            for (Part p : wanted.values()) {
                if (p.session != null) {
                    BrokerNode leader = cluster.leader(p.tp);
                    if (leader != null && leader.id() != p.session.broker.id()) {
                        p.session.cancel("leader of " + p.tp + " moved to broker " + leader.id());
                    }
                }
            }
            for (Part p : wanted.values()) {
                if (outOfRange.containsKey(p.tp) || p.session != null) {
                    continue;
                }
                if (p.retryAtNanos != 0 && now - p.retryAtNanos < 0) {
                    continue;
                }
                BrokerNode leader = cluster.leader(p.tp);
                if (leader == null) {
                    needMetadata = true;
                    continue;
                }
                touched.add(leader.id());
                leaders.put(leader.id(), leader);
            }
            if (needMetadata) {
                ctx.metadata().addTopics(topicsOf(wanted.keySet()));
                ctx.metadata().requestUpdate();
            }
            for (int brokerId : touched) {
                Session old = sessions.remove(brokerId);
                if (old != null) {
                    old.cancel("resubscribing with changed partitions");
                }
                Session s = new Session(leaders.get(brokerId));
                SubscribeRequest.Builder req = SubscribeRequest.newBuilder().setMaxBytes(fetchMaxBytes);
                for (Part p : wanted.values()) {
                    BrokerNode leader = cluster.leader(p.tp);
                    if (p.session == null && leader != null && leader.id() == brokerId
                            && !outOfRange.containsKey(p.tp)
                            && (p.retryAtNanos == 0 || now - p.retryAtNanos >= 0)) {
                        p.session = s;
                        p.retryAtNanos = 0;
                        s.parts.add(p.tp);
                        req.addPartitions(SubscribePartition.newBuilder().setTopic(p.tp.topic())
                                .setPartition(p.tp.partition()).setStartOffset(p.fetchOffset));
                    }
                }
                if (s.parts.isEmpty()) {
                    continue;
                }
                sessions.put(brokerId, s);
                LOG.debug("subscribing to {} at {} for {}", s.broker, s.parts, req.getPartitionsList().stream()
                        .map(SubscribePartition::getStartOffset).toList());
                try {
                    FetchServiceGrpc.newStub(ctx.channels().channel(s.broker)).subscribe(req.build(), s);
                } catch (RuntimeException e) {
                    failSession(s, ErrorMapper.fromThrowable(e));
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private static Set<String> topicsOf(Set<TopicPartition> tps) {
        Set<String> out = new HashSet<>();
        tps.forEach(tp -> out.add(tp.topic()));
        return out;
    }

    /**
     * Forgets what is buffered for {@code tp} and fetches it from {@code offset} at the next
     * {@link #update} (a seek, or the position after a reset).
     */
    public void reset(TopicPartition tp, long offset) {
        lock.lock();
        try {
            Part p = wanted.get(tp);
            if (p == null) {
                return;
            }
            dropBuffered(tp);
            outOfRange.remove(tp);
            p.fetchOffset = offset;
            p.epoch++;
            p.retryAtNanos = 0;
            if (p.session != null) {
                p.session.cancel("seek of " + tp);
            }
        } finally {
            lock.unlock();
        }
    }

    /** The oldest buffered message of a partition that {@code fetchable} accepts, or null. */
    public CompletedFetch peek(java.util.function.Predicate<TopicPartition> fetchable) {
        lock.lock();
        try {
            for (CompletedFetch cf : completed) {
                if (fetchable.test(cf.partition())) {
                    return cf;
                }
            }
            return null;
        } finally {
            lock.unlock();
        }
    }

    /** Removes a message {@code poll} has consumed (or given up), freeing its bytes. */
    public void remove(CompletedFetch cf) {
        lock.lock();
        try {
            if (completed.remove(cf)) {
                release(cf.sizeInBytes());
            }
        } finally {
            lock.unlock();
        }
    }

    /** Partitions whose fetch offset fell outside the log's range, with the range; cleared. */
    public Map<TopicPartition, OffsetOutOfRangeException> takeOutOfRange() {
        lock.lock();
        try {
            Map<TopicPartition, OffsetOutOfRangeException> out = new LinkedHashMap<>(outOfRange);
            outOfRange.clear();
            return out;
        } finally {
            lock.unlock();
        }
    }

    /** The first partition error to report to the application, or null; cleared. */
    public TributaryException takeError() {
        lock.lock();
        try {
            Iterator<Map.Entry<TopicPartition, TributaryException>> it = errors.entrySet().iterator();
            if (!it.hasNext()) {
                return null;
            }
            TributaryException e = it.next().getValue();
            it.remove();
            return e;
        } finally {
            lock.unlock();
        }
    }

    /** The high watermark last seen for {@code tp}, -1 when unknown. */
    public long highWatermark(TopicPartition tp) {
        lock.lock();
        try {
            Part p = wanted.get(tp);
            return p == null ? -1 : p.highWatermark;
        } finally {
            lock.unlock();
        }
    }

    /** The bytes of records buffered now. */
    public long bufferedBytes() {
        lock.lock();
        try {
            return bufferedBytes;
        } finally {
            lock.unlock();
        }
    }

    /** True when {@code tp} has a live subscription (for tests and diagnostics). */
    public boolean isSubscribed(TopicPartition tp) {
        lock.lock();
        try {
            Part p = wanted.get(tp);
            return p != null && p.session != null && !p.session.closed;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until a message or an error arrives, {@link #wakeup} is called, or {@code timeoutNanos}
     * passes.
     */
    public void await(long timeoutNanos) throws InterruptedException {
        lock.lock();
        try {
            long left = timeoutNanos;
            while (!signalled && left > 0) {
                left = changed.awaitNanos(left);
            }
            signalled = false;
        } finally {
            lock.unlock();
        }
    }

    /** Ends a current or the next {@link #await}. */
    public void wakeup() {
        lock.lock();
        try {
            signalled = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Cancels every subscription and drops every buffered message. */
    public void close() {
        lock.lock();
        try {
            closed = true;
            for (Session s : new ArrayList<>(sessions.values())) {
                s.cancel("consumer closed");
            }
            sessions.clear();
            wanted.clear();
            completed.clear();
            bufferedBytes = 0;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    // --- network threads ---

    private void onMessage(Session s, SubscribeResponse message) {
        boolean more;
        lock.lock();
        try {
            if (s.closed) {
                return;
            }
            for (PartitionRecords pr : message.getPartitionsList()) {
                TopicPartition tp = new TopicPartition(pr.getTopic(), pr.getPartition());
                Part p = wanted.get(tp);
                if (p == null || p.session != s) {
                    continue;
                }
                if (ErrorMapper.isError(pr.getError())) {
                    onPartitionError(s, p, ErrorMapper.fromDetail(pr.getError()));
                    continue;
                }
                p.highWatermark = pr.getHighWatermark();
                p.logStartOffset = pr.getLogStartOffset();
                lastLogged.remove(tp);
                p.failures = 0;
                if (pr.getRecords().isEmpty()) {
                    continue;
                }
                ByteBuffer bytes = pr.getRecords().asReadOnlyByteBuffer();
                long next = CompletedFetch.scanNextOffset(bytes);
                CompletedFetch cf = new CompletedFetch(tp, p.epoch, bytes, pr.getHighWatermark(),
                        pr.getLogStartOffset(), next);
                if (next > p.fetchOffset) {
                    p.fetchOffset = next;
                }
                completed.add(cf);
                bufferedBytes += cf.sizeInBytes();
            }
            signal();
            more = !s.closed && bufferedBytes < maxBufferedBytes;
            if (!more && !s.closed) {
                starved.add(s);
            }
        } finally {
            lock.unlock();
        }
        if (more) {
            s.call.request(1);
        }
    }

    /** Under the lock. */
    private void onPartitionError(Session s, Part p, TributaryException e) {
        s.parts.remove(p.tp);
        p.session = null;
        if (e instanceof NotLeaderException nle) {
            LOG.debug("{}: {}", p.tp, e.getMessage());
            ctx.metadata().applyLeaderHint(p.tp, nle);
            // With a leader hint, the first retry goes at once to the hinted leader; later ones back off.
            p.failures++;
            p.retryAtNanos = nle.leaderId() >= 0 && p.failures == 1 ? 0 : backoffAt(p.failures);
        } else if (e instanceof OffsetOutOfRangeException oor) {
            if (firstTime(p.tp, e)) {
                LOG.info("fetch offset {} of {} is out of range: {}", p.fetchOffset, p.tp, e.getMessage());
            }
            outOfRange.put(p.tp, oor);
        } else if (e.isRetriable()) {
            LOG.debug("fetching {} failed, retrying: {}", p.tp, e.getMessage());
            ctx.metadata().requestUpdate();
            p.retryAtNanos = backoffAt(++p.failures);
        } else {
            if (firstTime(p.tp, e)) {
                LOG.warn("fetching {} failed: {}", p.tp, e.getMessage());
            } else {
                LOG.debug("fetching {} failed again: {}", p.tp, e.getMessage());
            }
            errors.put(p.tp, e);
            ctx.metadata().requestUpdate();
            p.retryAtNanos = backoffAt(++p.failures);
        }
        signal();
    }

    private void onEnd(Session s, TributaryException e) {
        lock.lock();
        try {
            if (s.closed) {
                return;
            }
            failSession(s, e);
        } finally {
            lock.unlock();
        }
    }

    /** Under the lock. */
    private void failSession(Session s, TributaryException e) {
        if (e != null) {
            LOG.debug("subscription to {} ended: {}", s.broker, e.getMessage());
        }
        s.closed = true;
        starved.remove(s);
        sessions.remove(s.broker.id(), s);
        for (TopicPartition tp : s.parts) {
            Part p = wanted.get(tp);
            if (p != null && p.session == s) {
                p.session = null;
                p.retryAtNanos = e == null ? 0 : backoffAt(++p.failures);
            }
        }
        s.parts.clear();
        if (e != null) {
            ctx.metadata().requestUpdate();
        }
        signal();
    }

    /** Under the lock: true unless this partition's last logged error had the same message (no log flood). */
    private boolean firstTime(TopicPartition tp, TributaryException e) {
        return !java.util.Objects.equals(lastLogged.put(tp, e.getMessage()), e.getMessage());
    }

    /** When to retry after the {@code failures}-th failure in a row: retry.backoff.ms doubling up to its max. */
    private long backoffAt(int failures) {
        long t = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ctx.config().retryBackoffMs(failures));
        return t == 0 ? 1 : t;
    }

    /** Under the lock. */
    private void signal() {
        signalled = true;
        changed.signalAll();
    }

    /** Under the lock. */
    private void dropBuffered(TopicPartition tp) {
        for (Iterator<CompletedFetch> it = completed.iterator(); it.hasNext(); ) {
            CompletedFetch cf = it.next();
            if (cf.partition().equals(tp)) {
                it.remove();
                release(cf.sizeInBytes());
            }
        }
    }

    /** Under the lock: frees bytes and lets starved subscriptions ask for more. */
    private void release(int bytes) {
        bufferedBytes -= bytes;
        if (bufferedBytes < maxBufferedBytes && !starved.isEmpty()) {
            List<Session> wake = new ArrayList<>(starved);
            starved.clear();
            for (Session s : wake) {
                if (!s.closed) {
                    s.call.request(1);
                }
            }
        }
    }
}
