package io.tributary.client.producer;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.tributary.client.TopicPartition;
import io.tributary.client.errors.ClientClosedException;
import io.tributary.client.errors.ClientTimeoutException;
import io.tributary.client.errors.DuplicateSequenceException;
import io.tributary.client.errors.InvalidProducerEpochException;
import io.tributary.client.errors.LeaderNotAvailableException;
import io.tributary.client.errors.NetworkException;
import io.tributary.client.errors.NotLeaderException;
import io.tributary.client.errors.OutOfOrderSequenceException;
import io.tributary.client.errors.RequestTimedOutException;
import io.tributary.client.errors.StorageErrorException;
import io.tributary.client.errors.TributaryException;
import io.tributary.client.errors.UnknownProducerIdException;
import io.tributary.client.errors.UnknownTopicOrPartitionException;
import io.tributary.client.internal.BrokerNode;
import io.tributary.client.internal.ClientContext;
import io.tributary.client.internal.Cluster;
import io.tributary.client.internal.ErrorMapper;
import io.tributary.proto.v1.Acks;
import io.tributary.proto.v1.InitProducerIdRequest;
import io.tributary.proto.v1.InitProducerIdResponse;
import io.tributary.proto.v1.KeyCondition;
import io.tributary.proto.v1.PartitionProduceData;
import io.tributary.proto.v1.PartitionProduceResult;
import io.tributary.proto.v1.ProduceRequest;
import io.tributary.proto.v1.ProduceServiceGrpc;
import io.tributary.proto.v1.ProduceStreamRequest;
import io.tributary.proto.v1.ProduceStreamResponse;
import io.tributary.proto.v1.ProducerIdAndEpoch;
import io.tributary.record.RecordBatch;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The producer's I/O thread: takes ready batches from the {@link RecordAccumulator}, sends them to
 * their partition leaders over one {@code ProduceService.ProduceStream} per broker (pipelined, one
 * batch per partition per request, several partitions per request, at most
 * {@code max.in.flight.requests.per.connection} requests awaiting an answer per broker), and
 * completes, retries or fails them from the answers.
 *
 * <h2>Ordering</h2>
 * Records of one partition are never reordered. Without idempotence a partition has one batch in
 * flight at a time and a batch to retry goes back to the front of its queue. With idempotence a
 * partition may have up to {@code max.in.flight} batches in flight, each stamped at its first
 * send with the partition's next sequence number (from 0 after every InitProducerId); the broker
 * appends a batch only if it continues the sequence, answers a duplicate with its original offset,
 * and rejects a gap with OUT_OF_ORDER_SEQUENCE. When a batch fails, the partition stops sending
 * ("resync") until its other batches in flight have answered; the batches to retry then go back to
 * the front of the queue in sequence order, keeping their sequence numbers (so a batch whose
 * earlier attempt did reach the log is recognised as a duplicate), except that batches behind a
 * batch that failed for good (nothing written) move down by its record count.
 *
 * <h2>Epoch bumps</h2>
 * When the broker lost the producer's state on a partition (UNKNOWN_PRODUCER_ID, or
 * OUT_OF_ORDER_SEQUENCE for a batch whose predecessors were all acknowledged), or a batch whose
 * outcome is unknown (timed out, connection lost) fails for good, sequences can no longer be
 * trusted: the sender stops sending, waits for every answer, calls InitProducerId with its current
 * id and epoch (which bumps the epoch, produce.proto), and restamps every batch still to send from
 * sequence 0 per partition. INVALID_PRODUCER_EPOCH (another instance took the id over) is fatal:
 * every buffered record fails and later sends fail at once.
 *
 * <h2>Threads</h2>
 * All the state below is confined to the sender thread; gRPC callbacks only queue events for it
 * and wake it. Futures of sends are completed on this thread, so callbacks chained without an
 * executor run here: they must not block (and must not call {@code flush} or a blocking send).
 *
 * <p>Thread-safety: {@link #wakeup()}, {@link #initiateClose()}, {@link #forceClose()} and the
 * metric getters may be called from any thread; the rest runs on the sender thread.
 */
final class Sender implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(Sender.class);
    /** Extra time the client waits beyond the broker-side timeout before it gives up on an answer. */
    private static final long CLIENT_TIMEOUT_SLACK_MS = 5_000;
    /** The longest the sender sleeps without a reason to wake (metadata ages, timers, ...). */
    private static final long MAX_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final ProducerConfig config;
    private final ClientContext context;
    private final RecordAccumulator accumulator;
    private final MemoryLimiter memory;
    private final boolean idempotence;
    private final Acks acks;
    private final int maxInFlightPerBroker;
    private final int maxInFlightPerPartition;
    private final int maxRequestBytes;
    private final int retries;
    private final long lingerNanos;
    private final long deliveryTimeoutNanos;
    private final long requestTimeoutMs;

    private final ConcurrentLinkedQueue<Runnable> events = new ConcurrentLinkedQueue<>();
    private final Object signal = new Object();
    private boolean signalled;
    private volatile boolean closing;
    private volatile boolean forceClose;
    private volatile TributaryException fatal;
    final AtomicInteger flushesInProgress = new AtomicInteger();

    // Metrics.
    final LongAdder recordsSent = new LongAdder();
    final LongAdder bytesSent = new LongAdder();
    final LongAdder recordErrors = new LongAdder();
    final LongAdder batchesSent = new LongAdder();
    final LongAdder retriesSent = new LongAdder();
    final LongAdder requestsSent = new LongAdder();
    final LongAdder epochBumps = new LongAdder();

    // Sender-thread state.
    private long producerId = -1;
    private short producerEpoch = -1;
    private boolean bumpNeeded;
    private long initRetryAtNanos;
    private int initAttempts;
    /** Why the last InitProducerId failed, for the message of records that expire meanwhile. */
    private TributaryException lastInitError;
    private final Map<TopicPartition, PartitionState> partitions = new HashMap<>();
    private final Map<Integer, Connection> connections = new HashMap<>();
    private long correlationIds;
    private int inFlightBatches;

    /** Per-partition sequence and retry state. */
    private static final class PartitionState {
        int nextSequence;
        int ackedNextSequence;
        final List<ProducerBatch> inFlight = new ArrayList<>();
        final List<ProducerBatch> retry = new ArrayList<>();
        /** (base sequence, record count) of batches that failed for good, for the resync. */
        final List<int[]> shifts = new ArrayList<>();
        boolean resync;
        long backoffUntilNanos;
    }

    /** One request awaiting its answer. */
    private record InFlightRequest(long correlationId, List<ProducerBatch> batches, long deadlineNanos) {
    }

    /** The produce stream to one broker. */
    private final class Connection {
        final BrokerNode broker;
        final Map<Long, InFlightRequest> inFlight = new LinkedHashMap<>();
        ClientCallStreamObserver<ProduceStreamRequest> out;
        boolean broken;

        Connection(BrokerNode broker) {
            this.broker = broker;
            ProduceServiceGrpc.newStub(context.channels().channel(broker)).produceStream(
                    new ClientResponseObserver<ProduceStreamRequest, ProduceStreamResponse>() {
                        @Override
                        public void beforeStart(ClientCallStreamObserver<ProduceStreamRequest> requestStream) {
                            out = requestStream;
                            requestStream.setOnReadyHandler(Sender.this::wakeup);
                        }

                        @Override
                        public void onNext(ProduceStreamResponse response) {
                            post(() -> onResponse(Connection.this, response));
                        }

                        @Override
                        public void onError(Throwable t) {
                            post(() -> onStreamFailed(Connection.this, ErrorMapper.fromThrowable(t)));
                        }

                        @Override
                        public void onCompleted() {
                            post(() -> onStreamFailed(Connection.this,
                                    new NetworkException("the broker closed the produce stream", null)));
                        }
                    });
        }

        boolean ready() {
            return !broken && out != null && out.isReady() && inFlight.size() < maxInFlightPerBroker;
        }
    }

    Sender(ProducerConfig config, ClientContext context, RecordAccumulator accumulator, MemoryLimiter memory) {
        this.config = config;
        this.context = context;
        this.accumulator = accumulator;
        this.memory = memory;
        this.idempotence = config.idempotence();
        this.acks = config.acksAll() ? Acks.ACKS_ALL : Acks.ACKS_NONE;
        this.maxInFlightPerBroker = config.getInt(ProducerConfig.MAX_IN_FLIGHT);
        this.maxInFlightPerPartition = idempotence ? maxInFlightPerBroker : 1;
        this.maxRequestBytes = config.getInt(ProducerConfig.MAX_REQUEST_BYTES);
        this.retries = config.getInt(ProducerConfig.RETRIES);
        this.lingerNanos = TimeUnit.MILLISECONDS.toNanos(config.getLong(ProducerConfig.LINGER_MS));
        this.deliveryTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(config.getLong(ProducerConfig.DELIVERY_TIMEOUT_MS));
        this.requestTimeoutMs = config.getInt(ProducerConfig.REQUEST_TIMEOUT_MS);
    }

    // ---- any thread ----

    void wakeup() {
        synchronized (signal) {
            signalled = true;
            signal.notifyAll();
        }
    }

    private void post(Runnable event) {
        events.add(event);
        wakeup();
    }

    /** Send what is buffered, then stop. */
    void initiateClose() {
        closing = true;
        wakeup();
    }

    /** Stop now: fail what is left. */
    void forceClose() {
        closing = true;
        forceClose = true;
        wakeup();
    }

    TributaryException fatalError() {
        return fatal;
    }

    // ---- sender thread ----

    @Override
    public void run() {
        LOG.debug("{} sender started", context.name());
        try {
            while (!forceClose) {
                if (closing && !accumulator.hasIncomplete() && inFlightBatches == 0) {
                    break;
                }
                try {
                    runOnce();
                } catch (RuntimeException e) {
                    // A bug must not kill the only thread that completes futures.
                    LOG.error("{} sender: unexpected error, continuing", context.name(), e);
                    awaitSignal(TimeUnit.MILLISECONDS.toNanos(100));
                }
            }
        } finally {
            shutdown();
        }
    }

    private void runOnce() {
        Runnable event;
        while ((event = events.poll()) != null) {
            event.run();
        }
        long now = System.nanoTime();
        if (fatal != null) {
            failEverything(fatal);
            awaitSignal(MAX_POLL_NANOS);
            return;
        }
        checkRequestTimeouts(now);
        expireQueued(now);
        if (idempotence && !ensureProducerId(now)) {
            // Waiting for answers before a bump (they wake us), or for the next InitProducerId attempt.
            long untilRetry = initRetryAtNanos - now;
            awaitSignal(untilRetry > 0 ? Math.min(MAX_POLL_NANOS, untilRetry) : MAX_POLL_NANOS);
            return;
        }
        long wait = sendReady(now);
        awaitSignal(wait);
    }

    private void awaitSignal(long nanos) {
        synchronized (signal) {
            if (!signalled && nanos > 0 && events.isEmpty()) {
                try {
                    TimeUnit.NANOSECONDS.timedWait(signal, nanos);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    forceClose = true;
                }
            }
            signalled = false;
        }
    }

    private PartitionState state(TopicPartition tp) {
        return partitions.computeIfAbsent(tp, k -> new PartitionState());
    }

    /**
     * Gets a producer id, or bumps the epoch, when needed and possible (nothing in flight).
     *
     * @return true when batches may be sent
     */
    private boolean ensureProducerId(long now) {
        if (producerId >= 0 && !bumpNeeded) {
            return true;
        }
        if (inFlightBatches > 0) {
            return false; // a bump waits for every answer
        }
        if (now < initRetryAtNanos) {
            return false;
        }
        InitProducerIdRequest.Builder request = InitProducerIdRequest.newBuilder();
        if (producerId >= 0) {
            request.setCurrent(ProducerIdAndEpoch.newBuilder().setProducerId(producerId)
                    .setProducerEpoch(producerEpoch));
        }
        TributaryException last = null;
        for (InetSocketAddress target : brokerAddresses()) {
            try {
                InitProducerIdResponse response = ProduceServiceGrpc.newBlockingStub(
                                context.channels().channel(target.getHostString(), target.getPort()))
                        .withDeadlineAfter(requestTimeoutMs, TimeUnit.MILLISECONDS)
                        .initProducerId(request.build());
                boolean bump = producerId >= 0;
                producerId = response.getProducer().getProducerId();
                producerEpoch = (short) response.getProducer().getProducerEpoch();
                initAttempts = 0;
                lastInitError = null;
                if (bump) {
                    epochBumps.increment();
                    restampAfterBump();
                }
                bumpNeeded = false;
                LOG.info("{}: producer id {} epoch {}{}", context.name(), producerId, producerEpoch,
                        bump ? " (epoch bumped, sequences restart at 0)" : "");
                return true;
            } catch (RuntimeException e) {
                last = ErrorMapper.fromThrowable(e);
                if (last instanceof InvalidProducerEpochException) {
                    fatal = last;
                    return false;
                }
                if (!last.isRetriable()) {
                    break;
                }
            }
        }
        initAttempts++;
        lastInitError = last;
        initRetryAtNanos = now + TimeUnit.MILLISECONDS.toNanos(config.retryBackoffMs(initAttempts));
        LOG.warn("{}: InitProducerId failed (attempt {}), retrying: {}", context.name(), initAttempts,
                last == null ? "no broker known" : last.getMessage());
        return false;
    }

    private List<InetSocketAddress> brokerAddresses() {
        List<InetSocketAddress> out = new ArrayList<>();
        for (BrokerNode b : context.metadata().cluster().brokers().values()) {
            out.add(InetSocketAddress.createUnresolved(b.host(), b.port()));
        }
        for (InetSocketAddress a : config.bootstrapServers()) {
            if (!out.contains(a)) {
                out.add(a);
            }
        }
        return out;
    }

    /** After a bump: every batch still to send gets the new epoch and sequences from 0. */
    private void restampAfterBump() {
        for (RecordAccumulator.PartitionQueue q : accumulator.queues()) {
            PartitionState s = state(q.tp);
            List<ProducerBatch> toRestamp = new ArrayList<>(s.retry);
            toRestamp.sort((a, b) -> Integer.compare(a.baseSequence(), b.baseSequence()));
            toRestamp.addAll(accumulator.pollBuiltPrefix(q));
            s.retry.clear();
            s.shifts.clear();
            s.resync = false;
            s.ackedNextSequence = 0;
            int seq = 0;
            for (ProducerBatch b : toRestamp) {
                b.build(producerId, producerEpoch, seq);
                b.outcomeUnknown = false;
                seq = incrementSequence(seq, b.recordCount());
            }
            s.nextSequence = seq;
            accumulator.addFirst(q, toRestamp);
        }
    }

    static int incrementSequence(int sequence, int increment) {
        if (sequence > Integer.MAX_VALUE - increment) {
            return increment - (Integer.MAX_VALUE - sequence) - 1;
        }
        return sequence + increment;
    }

    /**
     * Sends every ready batch whose leader and connection can take it.
     *
     * @return how long to sleep until the next thing to do
     */
    private long sendReady(long now) {
        Cluster cluster = context.metadata().cluster();
        boolean flushOrClose = closing || flushesInProgress.get() > 0 || memory.hasWaiters();
        long nextWakeNanos = MAX_POLL_NANOS;
        Map<Integer, List<RecordAccumulator.PartitionQueue>> readyByLeader = new HashMap<>();
        boolean needMetadata = false;
        for (RecordAccumulator.PartitionQueue q : accumulator.queues()) {
            PartitionState s = state(q.tp);
            if (s.resync) {
                if (s.inFlight.isEmpty()) {
                    resync(q, s, now);
                } else {
                    continue;
                }
            }
            ProducerBatch first = accumulator.peekFirst(q);
            if (first == null) {
                continue;
            }
            if (s.inFlight.size() >= maxInFlightPerPartition) {
                continue;
            }
            if (now < s.backoffUntilNanos) {
                nextWakeNanos = Math.min(nextWakeNanos, s.backoffUntilNanos - now);
                continue;
            }
            long lingerLeft = readyIn(q, first, flushOrClose, now);
            if (lingerLeft > 0) {
                nextWakeNanos = Math.min(nextWakeNanos, lingerLeft);
                continue;
            }
            BrokerNode leader = cluster.leader(q.tp);
            if (leader == null) {
                needMetadata = true;
                continue;
            }
            readyByLeader.computeIfAbsent(leader.id(), k -> new ArrayList<>()).add(q);
        }
        if (needMetadata) {
            context.metadata().requestUpdate();
        }
        for (Map.Entry<Integer, List<RecordAccumulator.PartitionQueue>> e : readyByLeader.entrySet()) {
            BrokerNode leader = cluster.broker(e.getKey());
            Connection conn = connection(leader);
            drainTo(conn, e.getValue(), now);
        }
        return nextWakeNanos;
    }

    /** 0 when the queue's first batch may be sent now, else the nanoseconds until it lingered enough. */
    private long readyIn(RecordAccumulator.PartitionQueue q, ProducerBatch first, boolean flushOrClose, long now) {
        if (flushOrClose || first.isClosed() || first.isBuilt() || accumulator.hasMoreThanOne(q)) {
            return 0;
        }
        return Math.max(0, first.createdNanos + lingerNanos - now);
    }

    private Connection connection(BrokerNode broker) {
        Connection conn = connections.get(broker.id());
        if (conn != null && (conn.broken || !conn.broker.address().equals(broker.address()))) {
            if (!conn.broken) {
                breakConnection(conn, new NetworkException("broker " + broker.id() + " moved to "
                        + broker.address(), null));
            }
            conn = null;
        }
        if (conn == null) {
            conn = new Connection(broker);
            connections.put(broker.id(), conn);
        }
        return conn;
    }

    /** Fills requests to one broker, one batch per partition each, while the connection takes them. */
    private void drainTo(Connection conn, List<RecordAccumulator.PartitionQueue> queues, long now) {
        boolean flushOrClose = closing || flushesInProgress.get() > 0 || memory.hasWaiters();
        int start = 0;
        while (conn.ready()) {
            ProduceRequest.Builder request = ProduceRequest.newBuilder().setAcks(acks)
                    .setTimeoutMs((int) Math.min(Integer.MAX_VALUE, requestTimeoutMs));
            List<ProducerBatch> batches = new ArrayList<>();
            int bytes = 0;
            for (int i = 0; i < queues.size(); i++) {
                RecordAccumulator.PartitionQueue q = queues.get((start + i) % queues.size());
                PartitionState s = state(q.tp);
                if (s.resync || s.inFlight.size() >= maxInFlightPerPartition) {
                    continue;
                }
                ProducerBatch first = accumulator.peekFirst(q);
                if (first == null || now < s.backoffUntilNanos || readyIn(q, first, flushOrClose, now) > 0) {
                    continue;
                }
                if (!batches.isEmpty() && bytes + first.estimatedSizeInBytes() > maxRequestBytes) {
                    continue;
                }
                ProducerBatch b = accumulator.pollFirst(q);
                RecordBatch built = stamp(s, b);
                PartitionProduceData.Builder data = PartitionProduceData.newBuilder().setTopic(q.tp.topic())
                        .setPartition(q.tp.partition())
                        .setRecords(UnsafeByteOperations.unsafeWrap(built.buffer()));
                if (b.condition instanceof Condition.PartitionEndOffset c) {
                    data.setExpectedEndOffset(c.expectedEndOffset());
                } else if (b.condition instanceof Condition.KeyLastOffset c) {
                    data.addExpectedKeyOffsets(KeyCondition.newBuilder().setKey(ByteString.copyFrom(b.conditionKey))
                            .setExpectedLastOffset(c.expectedLastOffset()));
                }
                request.addPartitions(data);
                batches.add(b);
                bytes += built.sizeInBytes();
                if (b.attempts > 0) {
                    retriesSent.increment();
                }
                b.attempts++;
                b.inFlight = true;
                s.inFlight.add(b);
                inFlightBatches++;
            }
            if (batches.isEmpty()) {
                return;
            }
            start++;
            long id = ++correlationIds;
            InFlightRequest r = new InFlightRequest(id, batches,
                    now + TimeUnit.MILLISECONDS.toNanos(requestTimeoutMs + CLIENT_TIMEOUT_SLACK_MS));
            conn.inFlight.put(id, r);
            requestsSent.increment();
            try {
                conn.out.onNext(ProduceStreamRequest.newBuilder().setCorrelationId(id).setRequest(request).build());
            } catch (RuntimeException e) {
                breakConnection(conn, ErrorMapper.fromThrowable(e));
                return;
            }
        }
    }

    /** Builds a batch at its first send with the partition's next sequence (idempotence). */
    private RecordBatch stamp(PartitionState s, ProducerBatch b) {
        if (b.isBuilt()) {
            return b.built();
        }
        if (!idempotence) {
            return b.build(-1L, (short) -1, -1);
        }
        RecordBatch built = b.build(producerId, producerEpoch, s.nextSequence);
        s.nextSequence = incrementSequence(s.nextSequence, b.recordCount());
        return built;
    }

    /**
     * A partition that had a failure, now with nothing in flight: its batches to retry go back to
     * the front in sequence order, those behind a batch that failed for good move down.
     */
    private void resync(RecordAccumulator.PartitionQueue q, PartitionState s, long now) {
        List<ProducerBatch> pending = new ArrayList<>(s.retry);
        pending.sort((a, b) -> Integer.compare(a.baseSequence(), b.baseSequence()));
        pending.addAll(accumulator.pollBuiltPrefix(q));
        int maxAttempts = 0;
        if (idempotence && !s.shifts.isEmpty()) {
            int total = 0;
            for (int[] shift : s.shifts) {
                total += shift[1];
            }
            for (ProducerBatch b : pending) {
                int down = 0;
                for (int[] shift : s.shifts) {
                    if (shift[0] < b.baseSequence()) {
                        down += shift[1];
                    }
                }
                if (down > 0) {
                    b.build(producerId, producerEpoch, b.baseSequence() - down);
                }
            }
            s.nextSequence -= total;
            s.shifts.clear();
        }
        for (ProducerBatch b : pending) {
            maxAttempts = Math.max(maxAttempts, b.attempts);
        }
        s.retry.clear();
        s.resync = false;
        accumulator.addFirst(q, pending);
        if (!pending.isEmpty()) {
            s.backoffUntilNanos = now + TimeUnit.MILLISECONDS.toNanos(config.retryBackoffMs(maxAttempts));
        }
    }

    // ---- answers ----

    private void onResponse(Connection conn, ProduceStreamResponse response) {
        if (connections.get(conn.broker.id()) != conn || conn.broken) {
            return; // a stream given up on
        }
        InFlightRequest r = conn.inFlight.remove(response.getCorrelationId());
        if (r == null) {
            LOG.warn("{}: answer for unknown correlation id {} from {}", context.name(),
                    response.getCorrelationId(), conn.broker);
            return;
        }
        long now = System.nanoTime();
        if (ErrorMapper.isError(response.getError())) {
            TributaryException e = ErrorMapper.fromDetail(response.getError());
            for (ProducerBatch b : r.batches()) {
                onBatchFailed(b, e, now);
            }
            return;
        }
        List<PartitionProduceResult> results = response.getResponse().getPartitionsList();
        for (int i = 0; i < r.batches().size(); i++) {
            ProducerBatch b = r.batches().get(i);
            PartitionProduceResult result = i < results.size() ? results.get(i) : null;
            if (result == null || !result.getTopic().equals(b.tp.topic()) || result.getPartition() != b.tp.partition()) {
                result = findResult(results, b.tp);
            }
            if (result == null) {
                onBatchFailed(b, new NetworkException("the broker's answer has no result for " + b.tp, null), now);
            } else if (ErrorMapper.isError(result.getError())) {
                onBatchFailed(b, ErrorMapper.fromDetail(result.getError()), now);
            } else {
                onBatchAcked(b, result.getBaseOffset(), result.getLogAppendTimeMs());
            }
        }
    }

    private static PartitionProduceResult findResult(List<PartitionProduceResult> results, TopicPartition tp) {
        for (PartitionProduceResult r : results) {
            if (r.getTopic().equals(tp.topic()) && r.getPartition() == tp.partition()) {
                return r;
            }
        }
        return null;
    }

    private void onStreamFailed(Connection conn, TributaryException e) {
        if (connections.get(conn.broker.id()) != conn || conn.broken) {
            return;
        }
        LOG.debug("{}: produce stream to {} failed: {}", context.name(), conn.broker, e.getMessage());
        breakConnection(conn, e);
    }

    /** Gives up on a stream: cancels it and fails its requests in flight with {@code e}. */
    private void breakConnection(Connection conn, TributaryException e) {
        conn.broken = true;
        if (connections.get(conn.broker.id()) == conn) {
            connections.remove(conn.broker.id());
        }
        try {
            if (conn.out != null) {
                conn.out.cancel("abandoned by the producer: " + e.getMessage(), null);
            }
        } catch (RuntimeException ignored) {
            // already closed
        }
        List<InFlightRequest> requests = new ArrayList<>(conn.inFlight.values());
        conn.inFlight.clear();
        long now = System.nanoTime();
        for (InFlightRequest r : requests) {
            for (ProducerBatch b : r.batches()) {
                onBatchFailed(b, e, now);
            }
        }
        context.metadata().requestUpdate();
    }

    private void checkRequestTimeouts(long now) {
        for (Connection conn : new ArrayList<>(connections.values())) {
            for (InFlightRequest r : conn.inFlight.values()) {
                if (now - r.deadlineNanos() > 0) {
                    breakConnection(conn, new RequestTimedOutException("no answer from " + conn.broker + " within "
                            + (requestTimeoutMs + CLIENT_TIMEOUT_SLACK_MS) + " ms (request.timeout.ms="
                            + requestTimeoutMs + " + " + CLIENT_TIMEOUT_SLACK_MS + ")"));
                    break;
                }
            }
        }
    }

    private void leaveFlight(ProducerBatch b) {
        if (b.inFlight) {
            b.inFlight = false;
            state(b.tp).inFlight.remove(b);
            inFlightBatches--;
        }
    }

    private void onBatchAcked(ProducerBatch b, long baseOffset, long logAppendTimeMs) {
        leaveFlight(b);
        if (idempotence) {
            PartitionState s = state(b.tp);
            int after = incrementSequence(b.baseSequence(), b.recordCount());
            // Answers of one partition may arrive out of order: keep the highest.
            if (after > s.ackedNextSequence) {
                s.ackedNextSequence = after;
            }
        }
        recordsSent.add(b.recordCount());
        bytesSent.add(b.estimatedSizeInBytes());
        batchesSent.increment();
        finish(b);
        b.complete(baseOffset, logAppendTimeMs);
    }

    private void onBatchFailed(ProducerBatch b, TributaryException e, long now) {
        leaveFlight(b);
        PartitionState s = state(b.tp);
        if (e instanceof NotLeaderException nl) {
            context.metadata().applyLeaderHint(b.tp, nl);
        } else if (e instanceof LeaderNotAvailableException || e instanceof UnknownTopicOrPartitionException
                || e instanceof NetworkException || e instanceof StorageErrorException) {
            context.metadata().requestUpdate();
        }
        if (e instanceof RequestTimedOutException || e instanceof NetworkException) {
            b.outcomeUnknown = true;
        }
        if (e instanceof DuplicateSequenceException) {
            // Written once, long ago: the data is in the log but its offset is unknown.
            LOG.warn("{}: {} was already written (duplicate sequence); its offset is unknown", context.name(), b);
            onBatchAcked(b, -1, -1);
            return;
        }
        if (e instanceof InvalidProducerEpochException) {
            fatal = new InvalidProducerEpochException("producer id " + producerId + " epoch " + producerEpoch
                    + " was fenced: another producer took the id over (" + e.getMessage() + ")", e);
            failTerminal(s, b, fatal);
            return;
        }
        boolean sequenceError = e instanceof OutOfOrderSequenceException || e instanceof UnknownProducerIdException;
        if (idempotence && sequenceError) {
            if (b.baseSequence() != s.ackedNextSequence) {
                // A predecessor is not acknowledged (in flight or failed): expected, resend in order.
                scheduleRetry(s, b, false, now);
            } else {
                LOG.warn("{}: {} for {} although every earlier batch was acknowledged; bumping the epoch",
                        context.name(), e.getMessage(), b);
                bumpNeeded = true;
                scheduleRetry(s, b, false, now);
            }
            return;
        }
        boolean retriable = e.isRetriable()
                || (e instanceof UnknownTopicOrPartitionException && b.attempts < 2);
        boolean expired = now - b.createdNanos > deliveryTimeoutNanos;
        if (retriable && !expired && b.attempts <= retries && !forceClose) {
            LOG.debug("{}: retrying {} after {}", context.name(), b, e.getMessage());
            scheduleRetry(s, b, true, now);
            return;
        }
        TributaryException reported = e;
        if (retriable && expired) {
            reported = new ClientTimeoutException("record(s) for " + b.tp + " not acknowledged within delivery.timeout.ms="
                    + TimeUnit.NANOSECONDS.toMillis(deliveryTimeoutNanos) + " (last error: " + e.getMessage() + ")", e);
        }
        failTerminal(s, b, reported);
    }

    private void scheduleRetry(PartitionState s, ProducerBatch b, boolean counted, long now) {
        if (!counted) {
            b.attempts = Math.max(0, b.attempts - 1); // a resend to restore the sequence order is free
        }
        if (b.isBuilt()) {
            s.retry.add(b);
            s.resync = true;
        } else {
            accumulator.addFirst(accumulator.queue(b.tp), List.of(b));
        }
        s.backoffUntilNanos = now + TimeUnit.MILLISECONDS.toNanos(config.retryBackoffMs(b.attempts));
    }

    /** Fails a batch for good; keeps the partition's sequences consistent. */
    private void failTerminal(PartitionState s, ProducerBatch b, TributaryException e) {
        if (idempotence && b.isBuilt() && b.built().producerId() == producerId
                && b.built().producerEpoch() == producerEpoch) {
            if (b.outcomeUnknown) {
                // It may be in the log: later sequences cannot be trusted, start a new epoch.
                bumpNeeded = true;
            } else {
                s.shifts.add(new int[] {b.baseSequence(), b.recordCount()});
                s.resync = true;
            }
        }
        recordErrors.add(b.recordCount());
        finish(b);
        b.fail(e);
    }

    private void finish(ProducerBatch b) {
        memory.release(b.reservedBytes());
        accumulator.done(b);
    }

    /** Fails batches waiting in queues past delivery.timeout.ms. */
    private void expireQueued(long now) {
        for (RecordAccumulator.PartitionQueue q : accumulator.queues()) {
            PartitionState s = state(q.tp);
            if (s.resync) {
                continue; // the resync puts the retries back first
            }
            while (true) {
                ProducerBatch first = accumulator.peekFirst(q);
                if (first == null || now - first.createdNanos <= deliveryTimeoutNanos) {
                    break;
                }
                ProducerBatch b = accumulator.pollFirst(q);
                String why;
                if (idempotence && (producerId < 0 || bumpNeeded) && lastInitError != null) {
                    why = "sent: no producer id (InitProducerId failed: " + lastInitError.getMessage() + ")";
                } else if (b.attempts == 0) {
                    why = "sent (is the partition's leader available?)";
                } else {
                    why = "acknowledged";
                }
                failTerminal(s, b, new ClientTimeoutException(b.recordCount() + " record(s) for " + q.tp
                        + " expired after delivery.timeout.ms=" + TimeUnit.NANOSECONDS.toMillis(deliveryTimeoutNanos)
                        + " without being " + why, lastInitError));
            }
        }
    }

    private void failEverything(TributaryException e) {
        for (ProducerBatch b : accumulator.closeAndDrain()) {
            recordErrors.add(b.recordCount());
            finish(b);
            b.fail(e);
        }
        for (PartitionState s : partitions.values()) {
            for (ProducerBatch b : s.retry) {
                recordErrors.add(b.recordCount());
                finish(b);
                b.fail(e);
            }
            s.retry.clear();
        }
        for (Connection conn : new ArrayList<>(connections.values())) {
            breakConnection(conn, e);
        }
    }

    private void shutdown() {
        try {
            Runnable event;
            while ((event = events.poll()) != null) {
                event.run();
            }
            TributaryException e = fatal != null ? fatal
                    : new ClientClosedException("the producer was closed before the record was acknowledged");
            // In-flight batches first (breakConnection), then buffered and retrying ones.
            for (Connection conn : new ArrayList<>(connections.values())) {
                if (conn.inFlight.isEmpty()) {
                    conn.broken = true;
                    try {
                        if (conn.out != null) {
                            conn.out.onCompleted();
                        }
                    } catch (RuntimeException ignored) {
                        // already closed
                    }
                } else {
                    forceClose = true;
                    breakConnection(conn, e);
                }
            }
            connections.clear();
            failEverything(e);
            for (ProducerBatch b : accumulator.incomplete()) {
                finish(b);
                b.fail(e);
            }
        } catch (RuntimeException e) {
            LOG.error("{} sender: error while shutting down", context.name(), e);
        }
        LOG.debug("{} sender stopped", context.name());
    }
}
