package io.tributary.client.consumer;

import io.tributary.client.ConsumerRecord;
import io.tributary.client.TopicPartition;
import io.tributary.client.consumer.internal.CompletedFetch;
import io.tributary.client.consumer.internal.Fetcher;
import io.tributary.client.consumer.internal.GroupClient;
import io.tributary.client.consumer.internal.GroupMembership;
import io.tributary.client.consumer.internal.OffsetsClient;
import io.tributary.client.consumer.internal.SubscriptionState;
import io.tributary.client.errors.ClientClosedException;
import io.tributary.client.errors.ClientTimeoutException;
import io.tributary.client.errors.CorruptRecordException;
import io.tributary.client.errors.OffsetOutOfRangeException;
import io.tributary.client.errors.SerializationException;
import io.tributary.client.errors.TributaryException;
import io.tributary.client.internal.ClientContext;
import io.tributary.client.internal.ErrorMapper;
import io.tributary.client.serde.Deserializer;
import io.tributary.record.Record;
import io.tributary.record.RecordBatch;
import io.tributary.record.RecordBatchFormat;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.ConcurrentModificationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads records from Tributary partitions, Kafka-style: either as a member of a consumer group
 * ({@link #subscribe}: the group's coordinator assigns partitions, incrementally) or from
 * partitions chosen by the application ({@link #assign}).
 *
 * <pre>{@code
 * try (Consumer<String, String> consumer = new Consumer<>(Map.of(
 *         "bootstrap.servers", "127.0.0.1:7401", "group.id", "billing", "auto.offset.reset", "earliest"),
 *         Serdes.stringDeserializer(), Serdes.stringDeserializer())) {
 *     consumer.subscribe(List.of("orders"), RebalanceListener.NOOP);
 *     while (running) {
 *         for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
 *             handle(r);
 *         }
 *     }
 * }
 * }</pre>
 *
 * <p><b>Positions.</b> The consumer tracks, per owned partition, its position: the offset of the
 * next record {@link #poll} returns (the offset after the last returned record, i.e. its offset +
 * 1). A partition starts at its group's committed offset; without one (or without a group), or when
 * the position is outside the log (retention deleted those records), by {@code auto.offset.reset}:
 * earliest, latest, or none ({@code poll} then throws {@link NoOffsetForPartitionException} or an
 * {@link OffsetOutOfRangeException} until the application {@link #seek}s). Commits store positions
 * in the group ({@code group.id}); with {@code enable.auto.commit} (the default with a group id)
 * {@code poll} commits every {@code auto.commit.interval.ms}, and positions are committed before
 * partitions are revoked and on {@link #close}.
 *
 * <p><b>Fetching.</b> Records are fetched ahead in the background over the broker's streaming
 * Subscribe, one subscription per leader broker, bounded in memory by {@code max.buffered.bytes};
 * {@code poll} decodes them (every batch's CRC is checked; every codec is handled) and returns at
 * most {@code max.poll.records}. Batches with offset gaps (a compacted topic) and empty batches are
 * read correctly. See {@code io.tributary.client.consumer.internal.Fetcher}.
 *
 * <p><b>Groups.</b> Membership follows group.proto's incremental protocol: FindCoordinator,
 * JoinGroup with a random member id, then a Heartbeat every {@code heartbeat_interval_ms} that
 * reports the partitions owned and returns the member's target. A background thread
 * ({@code tributary-consumer-<id>-heartbeat}) does only that: it sends heartbeats on time whatever
 * the application does, records the target, and wakes {@code poll}. Rebalance callbacks
 * ({@link RebalanceListener}) run on the thread that calls {@code poll}, like Kafka's, so
 * {@code poll} reconciles: partitions owned but no longer in the target are revoked (fetching them
 * stops, {@code onPartitionsRevoked}, their positions are committed with auto-commit, they are
 * dropped, and the heartbeat thread reports them gone at once); new partitions of the target are
 * added ({@code onPartitionsAssigned}, positions from the committed offsets). Until {@code poll} has
 * revoked a partition the heartbeat thread keeps reporting it owned, so the member stays in the
 * group and the coordinator does not hand the partition over early; partitions that do not move
 * are never paused. A poll waiting for records is woken at once when the target changes, so a
 * consumer that polls in a loop answers a revocation within milliseconds; the time between two
 * {@code poll} calls must stay under the group's rebalance timeout ({@code rebalance.timeout.ms}),
 * or the coordinator removes the member; and a member that does not poll for
 * {@code max.poll.interval.ms} leaves the group by itself (its next poll joins again). A fenced member (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION)
 * gets {@code onPartitionsLost} for everything, commits nothing, and joins again with its member
 * id; NOT_COORDINATOR and COORDINATOR_NOT_AVAILABLE make it find the coordinator again with a
 * doubling backoff. Details in {@code io.tributary.client.consumer.internal.GroupMembership}.
 *
 * <p><b>Thread-safety:</b> not thread-safe: one thread uses a consumer (a second thread calling in
 * at the same time gets a {@link ConcurrentModificationException}), except {@link #wakeup()}, which
 * any thread may call to make a blocked call throw {@link WakeupException}.
 */
public final class Consumer<K, V> implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Consumer.class);
    private static final long NO_OWNER = -1;
    private static final long MAX_WAIT_STEP_MS = 100;

    private final ConsumerConfig config;
    private final ClientContext ctx;
    private final Deserializer<K> keyDeserializer;
    private final Deserializer<V> valueDeserializer;
    private final SubscriptionState subscriptions = new SubscriptionState();
    private final Fetcher fetcher;
    private final OffsetsClient offsets;
    private final GroupClient group;
    private final AtomicBoolean wakeup = new AtomicBoolean();
    private final AtomicLong owner = new AtomicLong(NO_OWNER);
    private final ConcurrentLinkedQueue<Runnable> completions = new ConcurrentLinkedQueue<>();
    /** Explicit resets asked by seekToBeginning/seekToEnd, until resolved. */
    private final Map<TopicPartition, OffsetsClient.Query> pendingResets = new HashMap<>();
    private final Map<TopicPartition, Long> lastCommitted = new HashMap<>();
    /** Async commits not answered yet: close waits for them (within its timeout). */
    private final Set<CompletableFuture<Void>> inFlightCommits = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile GroupMembership membership;
    private RebalanceListener listener = RebalanceListener.NOOP;
    private PositionLookup lookup;
    private long nextAutoCommitNanos;
    private int refcount;
    private volatile boolean closed;

    /** A position look-up in flight for some partitions. */
    private record PositionLookup(Set<TopicPartition> partitions, CompletableFuture<Resolved> future) {
    }

    /** Positions found, and partitions without any (reset policy none). */
    private record Resolved(Map<TopicPartition, Long> positions, Set<TopicPartition> noOffset) {
    }

    public Consumer(Map<String, ?> config, Deserializer<K> keyDeserializer, Deserializer<V> valueDeserializer) {
        this(new ConsumerConfig(config), keyDeserializer, valueDeserializer);
    }

    public Consumer(ConsumerConfig config, Deserializer<K> keyDeserializer, Deserializer<V> valueDeserializer) {
        this.config = Objects.requireNonNull(config, "config");
        this.keyDeserializer = Objects.requireNonNull(keyDeserializer, "keyDeserializer");
        this.valueDeserializer = Objects.requireNonNull(valueDeserializer, "valueDeserializer");
        this.ctx = new ClientContext(config, "consumer");
        this.fetcher = new Fetcher(ctx, config.fetchMaxBytes(), config.maxBufferedBytes());
        this.offsets = new OffsetsClient(ctx);
        this.group = config.groupId() == null ? null : new GroupClient(ctx, config.groupId());
        this.nextAutoCommitNanos = System.nanoTime() + config.autoCommitInterval().toNanos();
    }

    // ------------------------------------------------------------------ subscription

    /** {@link #subscribe(Collection, RebalanceListener)} without a listener. */
    public void subscribe(Collection<String> topics) {
        subscribe(topics, RebalanceListener.NOOP);
    }

    /**
     * Joins the group ({@code group.id}) as a member consuming {@code topics}; the coordinator
     * assigns partitions, which the next {@code poll}s take up (calling {@code listener}). Calling
     * it again changes the subscription (same member).
     *
     * @throws IllegalArgumentException for null or empty topics, or a blank topic name
     * @throws IllegalStateException without a {@code group.id}, or after {@link #assign}
     */
    public void subscribe(Collection<String> topics, RebalanceListener listener) {
        acquire();
        try {
            Objects.requireNonNull(listener, "listener (use RebalanceListener.NOOP for none)");
            Set<String> set = checkTopics(topics);
            if (group == null) {
                throw new IllegalStateException("subscribe needs a consumer group: set " + ConsumerConfig.GROUP_ID);
            }
            if (subscriptions.mode() == SubscriptionState.Mode.ASSIGNED) {
                throw new IllegalStateException("subscribe after assign: call unsubscribe() first");
            }
            this.listener = listener;
            subscriptions.mode(SubscriptionState.Mode.SUBSCRIBED, set);
            ctx.metadata().addTopics(set);
            if (membership == null) {
                membership = new GroupMembership(ctx, group, set, config.getInt(ConsumerConfig.SESSION_TIMEOUT_MS),
                        config.getInt(ConsumerConfig.REBALANCE_TIMEOUT_MS),
                        config.getString(ConsumerConfig.GROUP_ASSIGNOR), config.maxPollInterval(),
                        subscriptions::assignedSnapshot, fetcher::wakeup);
                membership.start();
            } else {
                membership.subscribe(set);
            }
        } finally {
            release();
        }
    }

    private static Set<String> checkTopics(Collection<String> topics) {
        if (topics == null || topics.isEmpty()) {
            throw new IllegalArgumentException("topics must not be empty (use unsubscribe() to stop consuming)");
        }
        Set<String> set = new LinkedHashSet<>();
        for (String t : topics) {
            if (t == null || t.isBlank()) {
                throw new IllegalArgumentException("topic names must not be null or blank: " + topics);
            }
            set.add(t);
        }
        return set;
    }

    /**
     * Reads exactly {@code partitions}, without group membership (replacing any earlier
     * assignment; partitions kept keep their positions). With a {@code group.id}, commits are
     * stored in the group as standalone commits (accepted only while the group has no members).
     *
     * @throws IllegalArgumentException for null partitions
     * @throws IllegalStateException after {@link #subscribe}
     */
    public void assign(Collection<TopicPartition> partitions) {
        acquire();
        try {
            if (partitions == null) {
                throw new IllegalArgumentException("partitions must not be null");
            }
            for (TopicPartition tp : partitions) {
                if (tp == null) {
                    throw new IllegalArgumentException("partitions must not contain null: " + partitions);
                }
            }
            if (subscriptions.mode() == SubscriptionState.Mode.SUBSCRIBED) {
                throw new IllegalStateException("assign after subscribe: call unsubscribe() first");
            }
            if (partitions.isEmpty()) {
                unsubscribeLocked();
                return;
            }
            Set<String> topics = new LinkedHashSet<>();
            partitions.forEach(tp -> topics.add(tp.topic()));
            subscriptions.mode(SubscriptionState.Mode.ASSIGNED, Set.of());
            subscriptions.assign(partitions);
            pendingResets.keySet().retainAll(subscriptions.assigned());
            ctx.metadata().addTopics(topics);
        } finally {
            release();
        }
    }

    /**
     * Stops consuming: leaves the group (after committing, with auto-commit, and
     * {@code onPartitionsRevoked}), or forgets the assigned partitions.
     */
    public void unsubscribe() {
        acquire();
        try {
            unsubscribeLocked();
        } finally {
            release();
        }
    }

    private void unsubscribeLocked() {
        if (membership != null) {
            giveUpAll();
            membership.close(true, config.defaultApiTimeout());
            membership = null;
        }
        subscriptions.assign(List.of());
        subscriptions.mode(SubscriptionState.Mode.NONE, Set.of());
        pendingResets.clear();
        lookup = null;
        fetcher.update(Map.of());
    }

    /** The partitions this consumer owns now. */
    public Set<TopicPartition> assignment() {
        acquire();
        try {
            return Set.copyOf(subscriptions.assigned());
        } finally {
            release();
        }
    }

    /** The topics subscribed to (empty when not subscribed). */
    public Set<String> subscription() {
        acquire();
        try {
            return subscriptions.topics();
        } finally {
            release();
        }
    }

    // ------------------------------------------------------------------ poll

    /**
     * Returns the records available now, or waits up to {@code timeout} for some. Also runs the
     * group's pending work on this thread: rebalance callbacks, auto-commit, commit callbacks.
     *
     * @throws IllegalStateException without {@link #subscribe} or {@link #assign}
     * @throws IllegalArgumentException for a negative timeout
     * @throws NoOffsetForPartitionException with {@code auto.offset.reset=none}, for a partition without a
     *         committed offset
     * @throws OffsetOutOfRangeException with {@code auto.offset.reset=none}, for a position outside the log
     * @throws WakeupException after {@link #wakeup()}
     * @throws SerializationException when a deserializer fails; the position stays at that record
     *         (seek past it to skip it)
     * @throws CorruptRecordException for a batch that fails its checksum
     */
    public ConsumerRecords<K, V> poll(Duration timeout) {
        acquire();
        try {
            checkTimeout(timeout);
            if (subscriptions.mode() == SubscriptionState.Mode.NONE) {
                throw new IllegalStateException("poll without a subscription: call subscribe() or assign() first");
            }
            long deadline = deadlineOf(timeout);
            if (membership != null) {
                membership.polled();
            }
            while (true) {
                runCompletions();
                checkWakeup();
                reconcileGroup();
                maybeAutoCommit();
                updatePositions();
                handleOutOfRange();
                TributaryException err = fetcher.takeError();
                if (err != null) {
                    throw err;
                }
                fetcher.update(subscriptions.fetchable());
                ConsumerRecords<K, V> records = collect();
                if (!records.isEmpty()) {
                    return records;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return ConsumerRecords.empty();
                }
                try {
                    fetcher.await(Math.min(left, TimeUnit.MILLISECONDS.toNanos(MAX_WAIT_STEP_MS)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new WakeupException();
                }
            }
        } finally {
            release();
        }
    }

    private ConsumerRecords<K, V> collect() {
        int max = config.maxPollRecords();
        Map<TopicPartition, List<ConsumerRecord<K, V>>> out = new LinkedHashMap<>();
        int n = 0;
        while (n < max) {
            CompletedFetch cf = fetcher.peek(subscriptions::isFetchable);
            if (cf == null) {
                break;
            }
            TopicPartition tp = cf.partition();
            SubscriptionState.PartitionState state = subscriptions.state(tp);
            long position = state.position();
            Record r;
            try {
                r = cf.peek(position);
            } catch (CorruptRecordException e) {
                fetcher.remove(cf);
                fetcher.reset(tp, position);
                if (n > 0) {
                    break; // return what we have; the re-fetch reports it again if it persists
                }
                throw e;
            }
            if (r == null) {
                if (cf.nextOffset() > position) {
                    subscriptions.position(tp, cf.nextOffset()); // past gaps and empty batches
                }
                fetcher.remove(cf);
                continue;
            }
            ConsumerRecord<K, V> record;
            try {
                record = toRecord(tp, cf.currentBatch(), r);
            } catch (SerializationException e) {
                if (n > 0) {
                    break; // return what we have; the next poll throws
                }
                throw e;
            }
            cf.consume();
            subscriptions.position(tp, r.offset() + 1);
            out.computeIfAbsent(tp, k -> new ArrayList<>()).add(record);
            n++;
        }
        return n == 0 ? ConsumerRecords.empty() : new ConsumerRecords<>(out);
    }

    private ConsumerRecord<K, V> toRecord(TopicPartition tp, RecordBatch batch, Record r) {
        K key;
        V value;
        try {
            key = keyDeserializer.deserialize(tp.topic(), r.key());
        } catch (RuntimeException e) {
            throw new SerializationException("cannot deserialize the key of the record at offset " + r.offset()
                    + " of " + tp + " (seek past it to skip it): " + e.getMessage(), e);
        }
        try {
            value = valueDeserializer.deserialize(tp.topic(), r.value());
        } catch (RuntimeException e) {
            throw new SerializationException("cannot deserialize the value of the record at offset " + r.offset()
                    + " of " + tp + " (seek past it to skip it): " + e.getMessage(), e);
        }
        int epoch = batch.partitionLeaderEpoch();
        return new ConsumerRecord<>(tp.topic(), tp.partition(), r.offset(), r.timestamp(), batch.timestampType(),
                r.keySize(), r.valueSize(), key, value, r.headers(),
                epoch == RecordBatchFormat.NO_PARTITION_LEADER_EPOCH ? Optional.empty() : Optional.of(epoch));
    }

    private void checkWakeup() {
        if (wakeup.compareAndSet(true, false)) {
            throw new WakeupException();
        }
    }

    /**
     * Wakes the thread blocked in (or next entering) {@code poll} or another blocking call of this
     * consumer: it throws {@link WakeupException}. Safe from any thread.
     */
    public void wakeup() {
        wakeup.set(true);
        fetcher.wakeup();
    }

    // ------------------------------------------------------------------ positions

    /** Starts, or applies the result of, the look-up of positions that are missing. */
    private void updatePositions() {
        if (lookup != null) {
            if (!lookup.future().isDone()) {
                return;
            }
            PositionLookup l = lookup;
            lookup = null;
            applyLookup(l);
        }
        Set<TopicPartition> missing = subscriptions.missingPositions();
        if (!missing.isEmpty()) {
            lookup = startLookup(missing);
        }
    }

    private void applyLookup(PositionLookup l) {
        Resolved r;
        try {
            r = l.future().join();
        } catch (RuntimeException e) {
            TributaryException te = ErrorMapper.fromThrowable(e);
            if (te.isRetriable() || te instanceof ClientTimeoutException) {
                LOG.warn("{}: looking up positions of {} failed, will retry: {}", ctx.name(), l.partitions(),
                        te.getMessage());
                return;
            }
            throw te;
        }
        r.positions().forEach((tp, pos) -> {
            SubscriptionState.PartitionState s = subscriptions.state(tp);
            if (s != null && !s.hasPosition()) {
                subscriptions.position(tp, pos);
                pendingResets.remove(tp);
            }
        });
        Set<TopicPartition> none = new LinkedHashSet<>();
        for (TopicPartition tp : r.noOffset()) {
            SubscriptionState.PartitionState s = subscriptions.state(tp);
            if (s != null && !s.hasPosition()) {
                none.add(tp);
            }
        }
        if (!none.isEmpty()) {
            throw new NoOffsetForPartitionException(none);
        }
    }

    private PositionLookup startLookup(Set<TopicPartition> missing) {
        long deadline = System.nanoTime() + config.defaultApiTimeout().toNanos();
        Map<TopicPartition, OffsetsClient.Query> explicit = new HashMap<>();
        Set<TopicPartition> needCommitted = new LinkedHashSet<>();
        for (TopicPartition tp : missing) {
            OffsetsClient.Query q = pendingResets.get(tp);
            if (q != null) {
                explicit.put(tp, q);
            } else {
                needCommitted.add(tp);
            }
        }
        CompletableFuture<Map<TopicPartition, OffsetAndMetadata>> committed = group != null && !needCommitted.isEmpty()
                ? group.fetchCommitted(needCommitted, deadline) : CompletableFuture.completedFuture(Map.of());
        ConsumerConfig.OffsetReset policy = config.autoOffsetReset();
        CompletableFuture<Resolved> f = committed.thenCompose(c -> {
            Map<TopicPartition, Long> positions = new HashMap<>();
            Set<TopicPartition> noOffset = new LinkedHashSet<>();
            Map<TopicPartition, OffsetsClient.Query> queries = new HashMap<>(explicit);
            for (TopicPartition tp : needCommitted) {
                OffsetAndMetadata om = c.get(tp);
                if (om != null) {
                    positions.put(tp, om.offset());
                } else if (policy == ConsumerConfig.OffsetReset.NONE) {
                    noOffset.add(tp);
                } else {
                    queries.put(tp, policy == ConsumerConfig.OffsetReset.EARLIEST
                            ? OffsetsClient.Query.EARLIEST : OffsetsClient.Query.LATEST);
                }
            }
            if (queries.isEmpty()) {
                return CompletableFuture.completedFuture(new Resolved(positions, noOffset));
            }
            return offsets.list(queries, deadline).thenApply(found -> {
                found.forEach((tp, x) -> positions.put(tp, x.offset()));
                return new Resolved(positions, noOffset);
            });
        });
        f.whenComplete((v, e) -> fetcher.wakeup());
        return new PositionLookup(missing, f);
    }

    /** Resets positions that fell out of the log's range, by the policy. */
    private void handleOutOfRange() {
        Map<TopicPartition, OffsetOutOfRangeException> oor = fetcher.takeOutOfRange();
        if (oor.isEmpty()) {
            return;
        }
        ConsumerConfig.OffsetReset policy = config.autoOffsetReset();
        OffsetOutOfRangeException first = null;
        for (Map.Entry<TopicPartition, OffsetOutOfRangeException> e : oor.entrySet()) {
            TopicPartition tp = e.getKey();
            SubscriptionState.PartitionState s = subscriptions.state(tp);
            if (s == null) {
                continue;
            }
            if (policy == ConsumerConfig.OffsetReset.NONE) {
                if (first == null) {
                    OffsetOutOfRangeException x = e.getValue();
                    first = new OffsetOutOfRangeException("position " + s.position() + " of " + tp
                            + " is out of range (readable: " + x.logStartOffset() + ".." + x.highWatermark()
                            + ") and auto.offset.reset is none: seek it", x.logStartOffset(), x.highWatermark());
                }
                continue;
            }
            LOG.info("{}: position {} of {} is out of range, resetting to {}", ctx.name(), s.position(), tp,
                    policy.name().toLowerCase(java.util.Locale.ROOT));
            pendingResets.put(tp, policy == ConsumerConfig.OffsetReset.EARLIEST
                    ? OffsetsClient.Query.EARLIEST : OffsetsClient.Query.LATEST);
            subscriptions.position(tp, -1);
        }
        if (first != null) {
            throw first;
        }
    }

    /**
     * Makes {@code partition} continue at {@code offset}: the next {@code poll} returns its record
     * at that offset (or the first one after it). Records already fetched for it are dropped.
     *
     * @throws IllegalArgumentException for a negative offset
     * @throws IllegalStateException for a partition this consumer does not own
     */
    public void seek(TopicPartition partition, long offset) {
        acquire();
        try {
            if (offset < 0) {
                throw new IllegalArgumentException("seek offset " + offset + " for " + partition
                        + ": expected >= 0 (use seekToBeginning/seekToEnd for the ends)");
            }
            checkOwned(partition, "seek");
            subscriptions.position(partition, offset);
            pendingResets.remove(partition);
            fetcher.reset(partition, offset);
        } finally {
            release();
        }
    }

    /** {@link #seek(TopicPartition, long)} to a committed position. */
    public void seek(TopicPartition partition, OffsetAndMetadata offset) {
        seek(partition, Objects.requireNonNull(offset, "offset").offset());
    }

    /** Moves these partitions (all owned ones when empty) to their log start offset, resolved at the next poll or position. */
    public void seekToBeginning(Collection<TopicPartition> partitions) {
        seekTo(partitions, OffsetsClient.Query.EARLIEST, "seekToBeginning");
    }

    /** Moves these partitions (all owned ones when empty) to their end (high watermark), resolved at the next poll or position. */
    public void seekToEnd(Collection<TopicPartition> partitions) {
        seekTo(partitions, OffsetsClient.Query.LATEST, "seekToEnd");
    }

    private void seekTo(Collection<TopicPartition> partitions, OffsetsClient.Query q, String what) {
        acquire();
        try {
            Collection<TopicPartition> tps = partitions == null || partitions.isEmpty()
                    ? subscriptions.assigned() : partitions;
            for (TopicPartition tp : tps) {
                checkOwned(tp, what);
            }
            for (TopicPartition tp : tps) {
                subscriptions.position(tp, -1);
                pendingResets.put(tp, q);
                fetcher.reset(tp, 0);
            }
            lookup = null; // a look-up in flight may predate this request
        } finally {
            release();
        }
    }

    /**
     * The position of {@code partition}: the offset of the next record {@code poll} returns. Looks
     * it up first if needed (committed offset or reset policy), waiting up to
     * {@code default.api.timeout.ms}.
     *
     * @throws IllegalStateException for a partition this consumer does not own
     */
    public long position(TopicPartition partition) {
        return position(partition, config.defaultApiTimeout());
    }

    /** {@link #position(TopicPartition)}, waiting up to {@code timeout}. */
    public long position(TopicPartition partition, Duration timeout) {
        acquire();
        try {
            checkTimeout(timeout);
            checkOwned(partition, "position");
            long deadline = deadlineOf(timeout);
            while (true) {
                SubscriptionState.PartitionState s = subscriptions.state(partition);
                if (s == null) {
                    throw new IllegalStateException("partition " + partition + " was revoked meanwhile");
                }
                if (s.hasPosition()) {
                    return s.position();
                }
                updatePositions();
                if (lookup != null) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new ClientTimeoutException("the position of " + partition + " is not known after "
                                + timeout.toMillis() + " ms");
                    }
                    try {
                        lookup.future().get(left, TimeUnit.NANOSECONDS);
                    } catch (TimeoutException e) {
                        throw new ClientTimeoutException("the position of " + partition + " is not known after "
                                + timeout.toMillis() + " ms");
                    } catch (ExecutionException e) {
                        // applied (and thrown if fatal) by updatePositions
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new WakeupException();
                    }
                }
                checkWakeup();
            }
        } finally {
            release();
        }
    }

    /**
     * How far {@code partition}'s position is behind its high watermark as last seen by the
     * fetcher (no request is made); empty while unknown (not fetched yet, paused, or no position).
     *
     * @throws IllegalStateException for a partition this consumer does not own
     */
    public java.util.OptionalLong currentLag(TopicPartition partition) {
        acquire();
        try {
            checkOwned(partition, "currentLag");
            SubscriptionState.PartitionState s = subscriptions.state(partition);
            long hw = fetcher.highWatermark(partition);
            if (!s.hasPosition() || hw < 0) {
                return java.util.OptionalLong.empty();
            }
            return java.util.OptionalLong.of(Math.max(0, hw - s.position()));
        } finally {
            release();
        }
    }

    // ------------------------------------------------------------------ pause

    /** Stops fetching these owned partitions until {@link #resume}; their positions are kept. */
    public void pause(Collection<TopicPartition> partitions) {
        acquire();
        try {
            for (TopicPartition tp : Objects.requireNonNull(partitions, "partitions")) {
                checkOwned(tp, "pause");
            }
            partitions.forEach(tp -> subscriptions.paused(tp, true));
            fetcher.update(subscriptions.fetchable());
        } finally {
            release();
        }
    }

    /** Fetches these paused partitions again, from their positions. */
    public void resume(Collection<TopicPartition> partitions) {
        acquire();
        try {
            for (TopicPartition tp : Objects.requireNonNull(partitions, "partitions")) {
                checkOwned(tp, "resume");
            }
            partitions.forEach(tp -> subscriptions.paused(tp, false));
        } finally {
            release();
        }
    }

    /** The paused partitions. */
    public Set<TopicPartition> paused() {
        acquire();
        try {
            return Set.copyOf(subscriptions.paused());
        } finally {
            release();
        }
    }

    // ------------------------------------------------------------------ offsets look-ups

    /** The log start offset of each partition (owned or not), waiting up to {@code default.api.timeout.ms}. */
    public Map<TopicPartition, Long> beginningOffsets(Collection<TopicPartition> partitions) {
        return beginningOffsets(partitions, config.defaultApiTimeout());
    }

    public Map<TopicPartition, Long> beginningOffsets(Collection<TopicPartition> partitions, Duration timeout) {
        return listOffsets(partitions, OffsetsClient.Query.EARLIEST, timeout);
    }

    /** The end offset (high watermark: the offset after the last committed record) of each partition. */
    public Map<TopicPartition, Long> endOffsets(Collection<TopicPartition> partitions) {
        return endOffsets(partitions, config.defaultApiTimeout());
    }

    public Map<TopicPartition, Long> endOffsets(Collection<TopicPartition> partitions, Duration timeout) {
        return listOffsets(partitions, OffsetsClient.Query.LATEST, timeout);
    }

    private Map<TopicPartition, Long> listOffsets(Collection<TopicPartition> partitions, OffsetsClient.Query q,
                                                  Duration timeout) {
        acquire();
        try {
            checkTimeout(timeout);
            Map<TopicPartition, OffsetsClient.Query> queries = new LinkedHashMap<>();
            for (TopicPartition tp : Objects.requireNonNull(partitions, "partitions")) {
                queries.put(Objects.requireNonNull(tp, "partition"), q);
            }
            if (queries.isEmpty()) {
                return Map.of();
            }
            Map<TopicPartition, OffsetsClient.Found> found = await(offsets.list(queries, deadlineOf(timeout)), timeout,
                    "ListOffsets");
            Map<TopicPartition, Long> out = new LinkedHashMap<>();
            queries.keySet().forEach(tp -> out.put(tp, found.get(tp).offset()));
            return out;
        } finally {
            release();
        }
    }

    /**
     * For each partition, the first offset whose record timestamp is at or after the given time
     * (ms since the epoch), with that record's timestamp; null for a partition with no record that
     * late.
     *
     * @throws IllegalArgumentException for a negative timestamp
     */
    public Map<TopicPartition, OffsetAndTimestamp> offsetsForTimes(Map<TopicPartition, Long> timestamps) {
        return offsetsForTimes(timestamps, config.defaultApiTimeout());
    }

    public Map<TopicPartition, OffsetAndTimestamp> offsetsForTimes(Map<TopicPartition, Long> timestamps,
                                                                   Duration timeout) {
        acquire();
        try {
            checkTimeout(timeout);
            Map<TopicPartition, OffsetsClient.Query> queries = new LinkedHashMap<>();
            Objects.requireNonNull(timestamps, "timestamps").forEach((tp, ts) -> {
                if (ts == null || ts < 0) {
                    throw new IllegalArgumentException("timestamp " + ts + " for " + tp + ": expected >= 0 (ms since the epoch)");
                }
                queries.put(Objects.requireNonNull(tp, "partition"), OffsetsClient.Query.time(ts));
            });
            if (queries.isEmpty()) {
                return Map.of();
            }
            Map<TopicPartition, OffsetsClient.Found> found = await(offsets.list(queries, deadlineOf(timeout)), timeout,
                    "offsetsForTimes");
            Map<TopicPartition, OffsetAndTimestamp> out = new LinkedHashMap<>();
            queries.keySet().forEach(tp -> {
                OffsetsClient.Found f = found.get(tp);
                out.put(tp, f.offset() < 0 ? null : new OffsetAndTimestamp(f.offset(), f.timestampMs()));
            });
            return out;
        } finally {
            release();
        }
    }

    // ------------------------------------------------------------------ commits

    /** Commits the positions of every owned partition, waiting up to {@code default.api.timeout.ms}. */
    public void commitSync() {
        commitSync(config.defaultApiTimeout());
    }

    public void commitSync(Duration timeout) {
        acquire();
        try {
            commitSyncLocked(currentPositions(), timeout);
        } finally {
            release();
        }
    }

    /** Commits these offsets (the next offset to consume per partition) to the group. */
    public void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
        commitSync(offsets, config.defaultApiTimeout());
    }

    /**
     * @throws IllegalStateException without a {@code group.id}
     * @throws io.tributary.client.errors.PartitionNotOwnedException for a partition the member does not own
     * @throws ClientTimeoutException when the commit did not complete in time
     */
    public void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets, Duration timeout) {
        acquire();
        try {
            commitSyncLocked(checkOffsets(offsets), timeout);
        } finally {
            release();
        }
    }

    private void commitSyncLocked(Map<TopicPartition, OffsetAndMetadata> offsets, Duration timeout) {
        checkTimeout(timeout);
        requireGroup("commitSync");
        runCompletions();
        if (offsets.isEmpty()) {
            return;
        }
        await(commitFuture(offsets, deadlineOf(timeout)), timeout, "commit");
        offsets.forEach((tp, om) -> lastCommitted.put(tp, om.offset()));
    }

    /** Commits the positions of every owned partition without waiting. */
    public void commitAsync() {
        commitAsync((OffsetCommitCallback) null);
    }

    /** Commits the positions of every owned partition; {@code callback} (may be null) is run by a later call on this thread. */
    public void commitAsync(OffsetCommitCallback callback) {
        acquire();
        try {
            commitAsyncLocked(currentPositions(), callback);
        } finally {
            release();
        }
    }

    /** Commits {@code offsets}; {@code callback} (may be null) is run by a later call on this thread. */
    public void commitAsync(Map<TopicPartition, OffsetAndMetadata> offsets, OffsetCommitCallback callback) {
        acquire();
        try {
            commitAsyncLocked(checkOffsets(offsets), callback);
        } finally {
            release();
        }
    }

    private void commitAsyncLocked(Map<TopicPartition, OffsetAndMetadata> offsets, OffsetCommitCallback callback) {
        requireGroup("commitAsync");
        if (offsets.isEmpty()) {
            if (callback != null) {
                completions.add(() -> callback.onComplete(offsets, null));
            }
            return;
        }
        CompletableFuture<Void> f = commitFuture(offsets, System.nanoTime() + config.defaultApiTimeout().toNanos());
        // Tracked until its completion is queued, so that close() runs every callback it waited for.
        CompletableFuture<Void> queued = f.handle((v, e) -> {
            completions.add(() -> {
                if (e == null) {
                    offsets.forEach((tp, om) -> lastCommitted.put(tp, om.offset()));
                } else {
                    LOG.warn("{}: async commit of {} failed: {}", ctx.name(), offsets.keySet(),
                            ErrorMapper.fromThrowable(e).getMessage());
                }
                if (callback != null) {
                    callback.onComplete(offsets, e == null ? null : ErrorMapper.fromThrowable(e));
                }
            });
            fetcher.wakeup();
            return null;
        });
        inFlightCommits.add(queued);
        queued.whenComplete((v, e) -> inFlightCommits.remove(queued));
    }

    private CompletableFuture<Void> commitFuture(Map<TopicPartition, OffsetAndMetadata> offsets, long deadline) {
        String memberId = membership != null ? membership.memberId() : "";
        int generation = membership != null ? membership.generation() : 0;
        return group.commit(memberId, generation, offsets, deadline);
    }

    private static Map<TopicPartition, OffsetAndMetadata> checkOffsets(Map<TopicPartition, OffsetAndMetadata> offsets) {
        Objects.requireNonNull(offsets, "offsets");
        Map<TopicPartition, OffsetAndMetadata> copy = new LinkedHashMap<>();
        offsets.forEach((tp, om) -> {
            if (tp == null || om == null) {
                throw new IllegalArgumentException("offsets must not contain null partitions or offsets: " + offsets);
            }
            copy.put(tp, om);
        });
        return copy;
    }

    private Map<TopicPartition, OffsetAndMetadata> currentPositions() {
        Map<TopicPartition, OffsetAndMetadata> out = new LinkedHashMap<>();
        subscriptions.positions().forEach((tp, pos) -> out.put(tp, new OffsetAndMetadata(pos)));
        return out;
    }

    private void maybeAutoCommit() {
        if (!config.autoCommit() || System.nanoTime() - nextAutoCommitNanos < 0) {
            return;
        }
        nextAutoCommitNanos = System.nanoTime() + config.autoCommitInterval().toNanos();
        Map<TopicPartition, OffsetAndMetadata> changed = new LinkedHashMap<>();
        currentPositions().forEach((tp, om) -> {
            if (!Long.valueOf(om.offset()).equals(lastCommitted.get(tp))) {
                changed.put(tp, om);
            }
        });
        if (!changed.isEmpty()) {
            commitAsyncLocked(changed, null);
        }
    }

    /**
     * The group's committed offsets for these partitions (owned or not); a partition without one
     * maps to null. Waits up to {@code default.api.timeout.ms}.
     *
     * @throws IllegalStateException without a {@code group.id}
     */
    public Map<TopicPartition, OffsetAndMetadata> committed(Set<TopicPartition> partitions) {
        return committed(partitions, config.defaultApiTimeout());
    }

    public Map<TopicPartition, OffsetAndMetadata> committed(Set<TopicPartition> partitions, Duration timeout) {
        acquire();
        try {
            checkTimeout(timeout);
            requireGroup("committed");
            Objects.requireNonNull(partitions, "partitions");
            if (partitions.isEmpty()) {
                return Map.of();
            }
            Map<TopicPartition, OffsetAndMetadata> c = await(group.fetchCommitted(Set.copyOf(partitions),
                    deadlineOf(timeout)), timeout, "committed");
            Map<TopicPartition, OffsetAndMetadata> out = new LinkedHashMap<>();
            partitions.forEach(tp -> out.put(tp, c.get(tp)));
            return out;
        } finally {
            release();
        }
    }

    // ------------------------------------------------------------------ group reconciliation

    private void reconcileGroup() {
        if (membership == null) {
            return;
        }
        TributaryException fatal = membership.takeFatal();
        if (fatal != null) {
            throw fatal;
        }
        GroupMembership.Plan plan = membership.plan(subscriptions.assigned());
        if (plan.isEmpty()) {
            return;
        }
        RuntimeException callbackError = dropLost(plan.lost());
        if (!plan.revoke().isEmpty()) {
            RuntimeException e = revokeLocked(plan.revoke(), false);
            callbackError = callbackError == null ? e : callbackError;
        }
        if (!plan.assign().isEmpty()) {
            subscriptions.add(plan.assign());
            LOG.info("{}: assigned {}", ctx.name(), plan.assign());
            try {
                listener.onPartitionsAssigned(plan.assign());
            } catch (RuntimeException e) {
                LOG.error("{}: onPartitionsAssigned failed", ctx.name(), e);
                callbackError = callbackError == null ? e : callbackError;
            }
        }
        if (callbackError != null) {
            throw callbackError;
        }
    }

    /**
     * Drops partitions the membership lost (fenced): onPartitionsLost, nothing committed. Returns a
     * callback error.
     */
    private RuntimeException dropLost(Set<TopicPartition> lost) {
        if (lost.isEmpty()) {
            return null;
        }
        RuntimeException callbackError = null;
        subscriptions.remove(lost);
        lost.forEach(tp -> {
            pendingResets.remove(tp);
            lastCommitted.remove(tp);
        });
        fetcher.update(subscriptions.fetchable());
        LOG.info("{}: lost {} (the member was fenced or left the group; nothing committed)", ctx.name(), lost);
        try {
            listener.onPartitionsLost(lost);
        } catch (RuntimeException e) {
            LOG.error("{}: onPartitionsLost failed", ctx.name(), e);
            callbackError = e;
        }
        membership.lostDone(lost);
        return callbackError;
    }

    /**
     * Leaving (close, unsubscribe): partitions already lost are dropped without a commit, the others
     * revoked (committed with auto-commit).
     */
    private void giveUpAll() {
        dropLost(membership.plan(subscriptions.assigned()).lost());
        revokeLocked(subscriptions.assigned(), true);
    }

    /**
     * Gives up {@code revoke}: stops fetching them, calls onPartitionsRevoked, commits their
     * positions (with auto-commit), drops them and tells the membership. Returns a callback error.
     */
    private RuntimeException revokeLocked(Set<TopicPartition> revoke, boolean closing) {
        if (revoke.isEmpty()) {
            return null;
        }
        RuntimeException callbackError = null;
        // Stop fetching them first: nothing more of theirs is returned.
        Map<TopicPartition, Long> fetchable = subscriptions.fetchable();
        fetchable.keySet().removeAll(revoke);
        fetcher.update(fetchable);
        try {
            listener.onPartitionsRevoked(revoke);
        } catch (RuntimeException e) {
            LOG.error("{}: onPartitionsRevoked failed", ctx.name(), e);
            callbackError = e;
        }
        if (config.autoCommit()) {
            Map<TopicPartition, OffsetAndMetadata> toCommit = new LinkedHashMap<>();
            for (TopicPartition tp : revoke) {
                SubscriptionState.PartitionState s = subscriptions.state(tp);
                if (s != null && s.hasPosition() && !Long.valueOf(s.position()).equals(lastCommitted.get(tp))) {
                    toCommit.put(tp, new OffsetAndMetadata(s.position()));
                }
            }
            if (!toCommit.isEmpty()) {
                try {
                    await(commitFuture(toCommit, deadlineOf(config.defaultApiTimeout())), config.defaultApiTimeout(),
                            "commit of revoked partitions");
                } catch (TributaryException e) {
                    LOG.warn("{}: committing revoked partitions {} failed: {}", ctx.name(), toCommit.keySet(),
                            e.getMessage());
                }
            }
        }
        subscriptions.remove(revoke);
        revoke.forEach(tp -> {
            pendingResets.remove(tp);
            lastCommitted.remove(tp);
        });
        LOG.info("{}: revoked {}", ctx.name(), revoke);
        if (!closing && membership != null) {
            membership.revoked();
        }
        return callbackError;
    }

    // ------------------------------------------------------------------ close

    /** {@link #close(Duration)} with {@code default.api.timeout.ms}. */
    @Override
    public void close() {
        close(config.defaultApiTimeout());
    }

    /**
     * Commits positions (with auto-commit), calls {@code onPartitionsRevoked} and leaves the group
     * (when subscribed), stops fetching and releases every resource. Closing twice is harmless.
     */
    public void close(Duration timeout) {
        checkTimeout(timeout);
        if (closed) {
            return;
        }
        acquire();
        try {
            if (closed) {
                return;
            }
            try {
                long deadline = deadlineOf(timeout);
                for (CompletableFuture<Void> f : List.copyOf(inFlightCommits)) {
                    try {
                        f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    } catch (ExecutionException | TimeoutException e) {
                        // reported to its callback below (a timeout: not at all)
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
                runCompletions();
                if (membership != null) {
                    giveUpAll();
                    membership.close(true, timeout);
                    membership = null;
                } else if (group != null && config.autoCommit() && !subscriptions.positions().isEmpty()) {
                    try {
                        commitSyncLocked(currentPositions(), timeout);
                    } catch (TributaryException e) {
                        LOG.warn("{}: commit on close failed: {}", ctx.name(), e.getMessage());
                    }
                }
            } catch (RuntimeException e) {
                LOG.warn("{}: error while closing", ctx.name(), e);
            } finally {
                closed = true;
                fetcher.close();
                ctx.close();
                keyDeserializer.close();
                valueDeserializer.close();
            }
        } finally {
            release();
        }
    }

    // ------------------------------------------------------------------ helpers

    /** The bytes of fetched records buffered now (tests; safe from any thread). */
    long bufferedBytes() {
        return fetcher.bufferedBytes();
    }

    /** The group member id, or null when not subscribed (tests and diagnostics; safe from any thread). */
    String memberId() {
        GroupMembership m = membership;
        return m == null ? null : m.memberId();
    }

    private void runCompletions() {
        Runnable r;
        while ((r = completions.poll()) != null) {
            try {
                r.run();
            } catch (RuntimeException e) {
                LOG.warn("{}: a commit callback threw", ctx.name(), e);
            }
        }
    }

    private <T> T await(CompletableFuture<T> f, Duration timeout, String what) {
        long deadline = deadlineOf(timeout);
        while (true) {
            checkWakeup();
            long left = deadline - System.nanoTime();
            try {
                return f.get(Math.max(0, Math.min(left, TimeUnit.MILLISECONDS.toNanos(MAX_WAIT_STEP_MS))),
                        TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                if (deadline - System.nanoTime() <= 0) {
                    throw new ClientTimeoutException(what + " did not complete within " + timeout.toMillis() + " ms");
                }
            } catch (ExecutionException e) {
                throw ErrorMapper.fromThrowable(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new WakeupException();
            }
        }
    }

    private void requireGroup(String what) {
        if (group == null) {
            throw new IllegalStateException(what + " needs a consumer group: set " + ConsumerConfig.GROUP_ID);
        }
    }

    private void checkOwned(TopicPartition tp, String what) {
        Objects.requireNonNull(tp, "partition");
        if (!subscriptions.isAssigned(tp)) {
            throw new IllegalStateException(what + " of partition " + tp + ", which this consumer does not own "
                    + "(assigned: " + subscriptions.assigned() + ")");
        }
    }

    private static void checkTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout " + timeout + ": expected >= 0");
        }
    }

    private static long deadlineOf(Duration timeout) {
        long now = System.nanoTime();
        long ns;
        try {
            ns = timeout.toNanos();
        } catch (ArithmeticException e) {
            ns = Long.MAX_VALUE / 4;
        }
        return now + Math.min(ns, Long.MAX_VALUE / 4);
    }

    private void acquire() {
        if (closed) {
            throw new ClientClosedException("the consumer is closed");
        }
        long me = Thread.currentThread().getId();
        if (owner.get() != me && !owner.compareAndSet(NO_OWNER, me)) {
            throw new ConcurrentModificationException("a Consumer is not safe for use by several threads at once "
                    + "(only wakeup() is); it is in use by thread id " + owner.get());
        }
        refcount++;
    }

    private void release() {
        if (--refcount == 0) {
            owner.set(NO_OWNER);
        }
    }
}
