package io.tributary.client.internal;

import io.grpc.stub.StreamObserver;
import io.tributary.client.ClientConfig;
import io.tributary.client.TopicPartition;
import io.tributary.client.errors.ClientClosedException;
import io.tributary.client.errors.ClientTimeoutException;
import io.tributary.client.errors.NetworkException;
import io.tributary.client.errors.NotLeaderException;
import io.tributary.client.errors.TributaryException;
import io.tributary.client.errors.UnknownTopicOrPartitionException;
import io.tributary.proto.v1.Broker;
import io.tributary.proto.v1.ErrorCode;
import io.tributary.proto.v1.MetadataRequest;
import io.tributary.proto.v1.MetadataResponse;
import io.tributary.proto.v1.MetadataServiceGrpc;
import io.tributary.proto.v1.PartitionMetadata;
import io.tributary.proto.v1.TopicMetadata;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client's copy of the cluster metadata: live brokers and, for the topics the client uses,
 * partitions with their leaders. Bootstraps from {@code bootstrap.servers}, then asks any broker
 * it knows (the live brokers of the last answer first, then the bootstrap list), rotating on
 * failure.
 *
 * <p>Refreshes: on demand ({@link #refresh}, {@link #awaitTopic}), on routing errors
 * ({@link #requestUpdate}, rate-limited to one per {@code retry.backoff.ms}), and when older than
 * {@code metadata.max.age.ms} (checked on {@link #cluster()}). A leader hint carried by a
 * NOT_LEADER error ({@link #applyLeaderHint}) updates the cached leader at once when its epoch is
 * newer, before the refresh returns. An answer never moves a partition's leader epoch backwards
 * (answers from different brokers may arrive out of order).
 *
 * <p>Concurrent refreshes for topics already being asked for share one call.
 *
 * <p>Thread-safety: thread-safe; snapshots ({@link Cluster}) are immutable and replaced as a whole.
 */
public final class MetadataCache {

    private static final Logger LOG = LoggerFactory.getLogger(MetadataCache.class);

    private final ClientConfig config;
    private final ChannelPool channels;
    private final ScheduledExecutorService scheduler;
    private final List<InetSocketAddress> bootstrap;
    private final Set<String> interest = ConcurrentHashMap.newKeySet();
    private final Object lock = new Object();

    private volatile Cluster cluster = Cluster.EMPTY;
    private volatile boolean closed;
    /** The refresh in flight and the topics it asks for; guarded by lock. */
    private CompletableFuture<Cluster> inFlight;
    private Set<String> inFlightTopics = Set.of();
    private long lastRequestNanos;
    private boolean updateScheduled;
    private int nextBroker;

    public MetadataCache(ClientConfig config, ChannelPool channels, ScheduledExecutorService scheduler) {
        this.config = config;
        this.channels = channels;
        this.scheduler = scheduler;
        this.bootstrap = config.bootstrapServers();
    }

    /** The current snapshot; starts a background refresh if it is older than metadata.max.age.ms. */
    public Cluster cluster() {
        Cluster c = cluster;
        long maxAgeNs = TimeUnit.MILLISECONDS.toNanos(config.getLong(ClientConfig.METADATA_MAX_AGE_MS));
        if (c.updatedNanos() != 0 && System.nanoTime() - c.updatedNanos() > maxAgeNs) {
            requestUpdate();
        }
        return c;
    }

    /** Adds topics to those every refresh asks for. */
    public void addTopics(Collection<String> topics) {
        interest.addAll(topics);
    }

    /**
     * Asks a broker for the metadata of {@code topics} (added to the topics of interest) and of
     * the other topics of interest; completes with the new snapshot, or exceptionally with a
     * {@link TributaryException} when no broker answered.
     */
    public CompletableFuture<Cluster> refresh(Collection<String> topics) {
        interest.addAll(topics);
        synchronized (lock) {
            if (closed) {
                return CompletableFuture.failedFuture(new ClientClosedException("the client is closed"));
            }
            if (inFlight != null && inFlightTopics.containsAll(interest)) {
                return inFlight;
            }
            Set<String> ask = Set.copyOf(interest);
            CompletableFuture<Cluster> f = new CompletableFuture<>();
            inFlight = f;
            inFlightTopics = ask;
            lastRequestNanos = System.nanoTime();
            List<InetSocketAddress> targets = targets();
            f.whenComplete((c, e) -> {
                synchronized (lock) {
                    if (inFlight == f) {
                        inFlight = null;
                        inFlightTopics = Set.of();
                    }
                }
            });
            ask(ask, targets, 0, null, f);
            return f;
        }
    }

    /** Refreshes the topics of interest soon: now, or once retry.backoff.ms after the last request. */
    public void requestUpdate() {
        synchronized (lock) {
            if (closed || updateScheduled || inFlight != null) {
                return;
            }
            long backoffNs = TimeUnit.MILLISECONDS.toNanos(config.getLong(ClientConfig.RETRY_BACKOFF_MS));
            long waitNs = lastRequestNanos + backoffNs - System.nanoTime();
            if (lastRequestNanos == 0 || waitNs <= 0) {
                refresh(List.of());
                return;
            }
            updateScheduled = true;
            scheduler.schedule(() -> {
                synchronized (lock) {
                    updateScheduled = false;
                }
                if (!closed) {
                    refresh(List.of());
                }
            }, waitNs, TimeUnit.NANOSECONDS);
        }
    }

    /**
     * Uses the leader hint of a NOT_LEADER error at once when its epoch is newer than the
     * cached one and the hinted broker is known; always requests a refresh.
     */
    public void applyLeaderHint(TopicPartition tp, NotLeaderException e) {
        if (e.leaderId() >= 0) {
            synchronized (lock) {
                Cluster c = cluster;
                PartitionInfo p = c.partition(tp);
                if (p != null && c.broker(e.leaderId()) != null && e.leaderEpoch() > p.leaderEpoch()) {
                    Map<String, List<PartitionInfo>> parts = new HashMap<>(c.partitionsByTopic());
                    List<PartitionInfo> list = new ArrayList<>(parts.get(tp.topic()));
                    list.set(tp.partition(), p.withLeader(e.leaderId(), e.leaderEpoch()));
                    parts.put(tp.topic(), List.copyOf(list));
                    cluster = new Cluster(c.clusterId(), c.controllerId(), c.brokers(), parts, c.topicErrors(),
                            c.updatedNanos());
                    LOG.debug("leader of {} is now broker {} (epoch {}), from a hint", tp, e.leaderId(),
                            e.leaderEpoch());
                }
            }
        }
        requestUpdate();
    }

    /**
     * Blocks until the partitions of {@code topic} are known, refreshing as needed, up to
     * {@code max}. A topic the brokers say does not exist is asked for once more (a topic
     * created a moment ago may not have reached every broker), then fails with
     * {@link UnknownTopicOrPartitionException}; running out of time fails with
     * {@link ClientTimeoutException}.
     */
    public Cluster awaitTopic(String topic, Duration max) {
        interest.add(topic);
        Cluster c = cluster();
        if (c.partitions(topic) != null) {
            return c;
        }
        long deadline = System.nanoTime() + max.toNanos();
        int unknownAnswers = 0;
        int attempt = 0;
        TributaryException last = null;
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new ClientTimeoutException("metadata for topic " + topic + " not available after "
                        + max.toMillis() + " ms" + (last == null ? "" : " (last error: " + last.getMessage() + ")"),
                        last);
            }
            try {
                c = refresh(List.of(topic)).get(left, TimeUnit.NANOSECONDS);
                if (c.partitions(topic) != null) {
                    return c;
                }
                TributaryException err = c.topicError(topic);
                if (err instanceof UnknownTopicOrPartitionException && ++unknownAnswers >= 2) {
                    throw new UnknownTopicOrPartitionException("topic " + topic + " does not exist ("
                            + err.getMessage() + ")");
                }
                last = err;
            } catch (TimeoutException e) {
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ClientClosedException("interrupted while waiting for metadata of topic " + topic);
            } catch (ExecutionException e) {
                last = ErrorMapper.fromThrowable(e);
                if (!last.isRetriable()) {
                    throw last;
                }
            }
            sleepQuietly(Math.min(config.retryBackoffMs(++attempt), TimeUnit.NANOSECONDS.toMillis(
                    Math.max(0, deadline - System.nanoTime()))));
        }
    }

    private static void sleepQuietly(long ms) {
        if (ms <= 0) {
            return;
        }
        try {
            TimeUnit.MILLISECONDS.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClientClosedException("interrupted while waiting for metadata");
        }
    }

    /** Known live brokers first (rotating), then the bootstrap addresses; no duplicates. */
    private List<InetSocketAddress> targets() {
        Set<String> seen = new LinkedHashSet<>();
        List<InetSocketAddress> out = new ArrayList<>();
        List<BrokerNode> live = new ArrayList<>(cluster.brokers().values());
        if (!live.isEmpty()) {
            int start = Math.floorMod(nextBroker++, live.size());
            for (int i = 0; i < live.size(); i++) {
                BrokerNode b = live.get((start + i) % live.size());
                if (seen.add(b.address())) {
                    out.add(InetSocketAddress.createUnresolved(b.host(), b.port()));
                }
            }
        }
        for (InetSocketAddress a : bootstrap) {
            if (seen.add(ChannelPool.address(a.getHostString(), a.getPort()))) {
                out.add(a);
            }
        }
        return out;
    }

    private void ask(Set<String> topics, List<InetSocketAddress> targets, int index, TributaryException lastError,
                     CompletableFuture<Cluster> result) {
        if (closed) {
            result.completeExceptionally(new ClientClosedException("the client is closed"));
            return;
        }
        if (index >= targets.size()) {
            result.completeExceptionally(new NetworkException("no broker answered a metadata request (tried "
                    + targets + ")" + (lastError == null ? "" : ": " + lastError.getMessage()), lastError));
            return;
        }
        InetSocketAddress target = targets.get(index);
        MetadataRequest request = MetadataRequest.newBuilder().addAllTopics(topics).build();
        try {
            MetadataServiceGrpc.newStub(channels.channel(target.getHostString(), target.getPort()))
                    .withDeadlineAfter(config.getInt(ClientConfig.REQUEST_TIMEOUT_MS), TimeUnit.MILLISECONDS)
                    .metadata(request, new StreamObserver<>() {
                        @Override
                        public void onNext(MetadataResponse response) {
                            try {
                                result.complete(update(topics, response));
                            } catch (RuntimeException e) {
                                LOG.warn("cannot apply a metadata answer from {}", target, e);
                                result.completeExceptionally(ErrorMapper.fromThrowable(e));
                            }
                        }

                        @Override
                        public void onError(Throwable t) {
                            TributaryException e = ErrorMapper.fromThrowable(t);
                            LOG.debug("metadata request to {} failed: {}", target, e.getMessage());
                            ask(topics, targets, index + 1, e, result);
                        }

                        @Override
                        public void onCompleted() {
                            if (!result.isDone()) {
                                ask(topics, targets, index + 1, null, result);
                            }
                        }
                    });
        } catch (RuntimeException e) {
            ask(topics, targets, index + 1, ErrorMapper.fromThrowable(e), result);
        }
    }

    /** Merges an answer into a new snapshot and publishes it. */
    Cluster update(Set<String> asked, MetadataResponse response) {
        synchronized (lock) {
            Cluster old = cluster;
            Map<Integer, BrokerNode> brokers = new HashMap<>();
            for (Broker b : response.getBrokersList()) {
                brokers.put(b.getBrokerId(), BrokerNode.of(b));
            }
            if (brokers.isEmpty()) {
                brokers.putAll(old.brokers());
            }
            Map<String, List<PartitionInfo>> parts = new HashMap<>(old.partitionsByTopic());
            Map<String, TributaryException> errors = new HashMap<>(old.topicErrors());
            for (TopicMetadata t : response.getTopicsList()) {
                if (ErrorMapper.isError(t.getError())) {
                    errors.put(t.getName(), ErrorMapper.fromDetail(t.getError()));
                    if (t.getError().getCode() == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
                        parts.remove(t.getName());
                    }
                    continue;
                }
                errors.remove(t.getName());
                List<PartitionInfo> previous = parts.get(t.getName());
                List<PartitionInfo> list = new ArrayList<>(t.getPartitionsCount());
                for (PartitionMetadata p : t.getPartitionsList()) {
                    TopicPartition tp = new TopicPartition(t.getName(), p.getPartition());
                    PartitionInfo fresh = new PartitionInfo(tp, p.getLeaderId(), p.getLeaderEpoch(), p.getReplicaIdsList());
                    PartitionInfo prev = previous != null && p.getPartition() < previous.size()
                            ? previous.get(p.getPartition()) : null;
                    if (prev != null && prev.leaderEpoch() > fresh.leaderEpoch() && prev.leaderId() >= 0) {
                        // An older answer (another broker's metadata may trail): keep the newer leader.
                        fresh = fresh.withLeader(prev.leaderId(), prev.leaderEpoch());
                    }
                    list.add(fresh);
                }
                list.sort((a, b) -> Integer.compare(a.topicPartition().partition(), b.topicPartition().partition()));
                parts.put(t.getName(), List.copyOf(list));
            }
            Cluster c = new Cluster(response.getClusterId(), response.getControllerId(), brokers, parts, errors,
                    System.nanoTime());
            cluster = c;
            LOG.debug("metadata updated for {}: {}", asked, c);
            return c;
        }
    }

    /** Fails the refresh in flight; later calls fail with {@link ClientClosedException}. */
    public void close() {
        CompletableFuture<Cluster> f;
        synchronized (lock) {
            closed = true;
            f = inFlight;
        }
        if (f != null) {
            f.completeExceptionally(new ClientClosedException("the client is closed"));
        }
    }
}
