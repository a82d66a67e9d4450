package io.tributary.client.consumer.internal;

import io.tributary.client.TopicPartition;
import io.tributary.client.errors.IllegalGenerationException;
import io.tributary.client.errors.TributaryException;
import io.tributary.client.errors.UnknownMemberIdException;
import io.tributary.client.internal.ClientContext;
import io.tributary.client.internal.ErrorMapper;
import io.tributary.proto.v1.Assignment;
import io.tributary.proto.v1.HeartbeatRequest;
import io.tributary.proto.v1.HeartbeatResponse;
import io.tributary.proto.v1.JoinGroupRequest;
import io.tributary.proto.v1.JoinGroupResponse;
import io.tributary.proto.v1.LeaveGroupRequest;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A consumer's membership in its group (group.proto's incremental protocol), kept by one
 * background thread, {@code tributary-<client>-heartbeat}: FindCoordinator, JoinGroup with a
 * random member id (kept for the consumer's life), then a Heartbeat every
 * {@code heartbeat_interval_ms} reporting the partitions the member owns, and storing the
 * coordinator's answer, the member's <em>target</em> ({@code assigned}).
 *
 * <p>Design note: the split between this thread and the polling thread. Rebalance callbacks must
 * run on the polling thread (like Kafka's), and only that thread may touch positions, so this
 * thread never changes what the consumer owns. It only records the target and wakes the polling
 * thread ({@code onChange}, which ends a {@code poll} that is waiting for records). The polling
 * thread then {@link #plan reconciles}: partitions it owns outside the target are revoked
 * (fetching stops, {@code onPartitionsRevoked}, commit), partitions of the target it does not own
 * are added ({@code onPartitionsAssigned}, positions from committed offsets); then it calls
 * {@link #revoked} so this thread heartbeats at once without them. Meanwhile this thread keeps
 * heartbeating on schedule and keeps reporting a partition as owned until the polling thread has
 * actually given it up, so the member stays in the group, the coordinator never hands a partition
 * to a new owner early, and partitions that do not move are never touched. The cost: a revocation
 * is finished only when the application calls {@code poll}, so the time between two polls must
 * stay under the group's rebalance timeout (as Kafka's max.poll.interval.ms); past it the
 * coordinator removes the member and it learns so from UNKNOWN_MEMBER_ID.
 *
 * <p>Fencing (UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION): this thread marks every owned partition
 * lost and joins again at once with the same member id; the polling thread calls
 * {@code onPartitionsLost} for them and drops them without committing. Until it has, they are no
 * longer reported as owned. NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE and connection errors make
 * it find the coordinator again, with a doubling backoff.
 *
 * <p>Thread-safety: thread-safe; state is guarded by this object's monitor.
 */
public final class GroupMembership {

    private static final Logger LOG = LoggerFactory.getLogger(GroupMembership.class);
    private static final int DEFAULT_HEARTBEAT_MS = 3_000;

    /** What the polling thread must do to match the target. */
    public record Plan(Set<TopicPartition> lost, Set<TopicPartition> revoke, Set<TopicPartition> assign) {
        public boolean isEmpty() {
            return lost.isEmpty() && revoke.isEmpty() && assign.isEmpty();
        }
    }

    private final ClientContext ctx;
    private final GroupClient client;
    private final String memberId = UUID.randomUUID().toString();
    private final int sessionTimeoutMs;
    private final int rebalanceTimeoutMs;
    private final String assignor;
    private final Supplier<Set<TopicPartition>> owned;
    private final Runnable onChange;
    private final Thread thread;
    private final long maxPollIntervalNanos;

    private Set<String> topics;
    private boolean joined;
    private boolean everJoined;
    private int generation;
    private int heartbeatIntervalMs = DEFAULT_HEARTBEAT_MS;
    private Set<TopicPartition> target = Set.of();
    private Set<TopicPartition> lostPending = Set.of();
    private boolean heartbeatNow;
    private boolean closing;
    private TributaryException fatal;
    private long lastPollNanos = System.nanoTime();
    private boolean leftForPollTimeout;
    /** Touched by the heartbeat thread only. */
    private String lastRefusal;

    /**
     * @param owned    the partitions the polling thread owns now (a published snapshot)
     * @param onChange wakes the polling thread
     */
    public GroupMembership(ClientContext ctx, GroupClient client, Set<String> topics, int sessionTimeoutMs,
                           int rebalanceTimeoutMs, String assignor, Duration maxPollInterval,
                           Supplier<Set<TopicPartition>> owned, Runnable onChange) {
        this.maxPollIntervalNanos = maxPollInterval.toNanos();
        this.ctx = ctx;
        this.client = client;
        this.topics = Set.copyOf(topics);
        this.sessionTimeoutMs = sessionTimeoutMs;
        this.rebalanceTimeoutMs = rebalanceTimeoutMs;
        this.assignor = assignor;
        this.owned = owned;
        this.onChange = onChange;
        this.thread = new Thread(this::run, "tributary-" + ctx.name() + "-heartbeat");
        this.thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    public String memberId() {
        return memberId;
    }

    public synchronized int generation() {
        return generation;
    }

    public synchronized boolean isJoined() {
        return joined;
    }

    /** Changes the subscription: the member joins again with the new topics (same member id). */
    public synchronized void subscribe(Set<String> newTopics) {
        if (!newTopics.equals(topics)) {
            topics = Set.copyOf(newTopics);
            joined = false;
            heartbeatNow = true;
            notifyAll();
        }
    }

    /** A non-retriable error of the membership (e.g. the broker refused the session timeout); cleared. */
    public synchronized TributaryException takeFatal() {
        TributaryException e = fatal;
        fatal = null;
        return e;
    }

    /** What the polling thread, owning {@code current}, must do now. */
    public synchronized Plan plan(Set<TopicPartition> current) {
        Set<TopicPartition> lost = new LinkedHashSet<>();
        Set<TopicPartition> revoke = new LinkedHashSet<>();
        for (TopicPartition tp : current) {
            if (lostPending.contains(tp)) {
                lost.add(tp);
            } else if (!target.contains(tp)) {
                revoke.add(tp);
            }
        }
        Set<TopicPartition> assign = new LinkedHashSet<>();
        for (TopicPartition tp : target) {
            if (!current.contains(tp) || lostPending.contains(tp)) {
                assign.add(tp);
            }
        }
        return new Plan(lost, revoke, assign);
    }

    /** The polling thread dropped these lost partitions. */
    public synchronized void lostDone(Set<TopicPartition> lost) {
        if (!lost.isEmpty()) {
            Set<TopicPartition> s = new HashSet<>(lostPending);
            s.removeAll(lost);
            lostPending = Set.copyOf(s);
        }
    }

    /** The polling thread gave up revoked partitions: heartbeat at once without them. */
    public synchronized void revoked() {
        heartbeatNow = true;
        notifyAll();
    }

    /**
     * Stops the thread and, when {@code leave} and the member is in the group, sends LeaveGroup
     * (waiting up to {@code timeout}).
     */
    public void close(boolean leave, Duration timeout) {
        boolean wasJoined;
        synchronized (this) {
            closing = true;
            wasJoined = joined;
            notifyAll();
        }
        thread.interrupt();
        try {
            thread.join(Math.max(1, timeout.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (leave && wasJoined) {
            sendLeave("consumer closed", timeout);
        }
    }

    private void sendLeave(String reason, Duration timeout) {
        try {
            LeaveGroupRequest req = LeaveGroupRequest.newBuilder().setGroupId(client.groupId())
                    .setMemberId(memberId).setReason(reason).build();
            client.stub().thenCompose(s -> Calls.unary(s::leaveGroup, req))
                    .get(Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS);
            LOG.info("{} left group {} (member {}): {}", ctx.name(), client.groupId(), memberId, reason);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            LOG.warn("{} could not leave group {} cleanly (the coordinator removes it after the session "
                    + "timeout): {}", ctx.name(), client.groupId(), ErrorMapper.fromThrowable(e).getMessage());
        }
    }

    /**
     * The application called poll: the member is alive. After it left the group for not polling in
     * time, this makes it join again.
     */
    public synchronized void polled() {
        lastPollNanos = System.nanoTime();
        if (leftForPollTimeout) {
            leftForPollTimeout = false;
            notifyAll();
        }
    }

    private void run() {
        int attempt = 0;
        while (true) {
            boolean join;
            boolean leave = false;
            synchronized (this) {
                if (closing) {
                    return;
                }
                if (joined && System.nanoTime() - lastPollNanos > maxPollIntervalNanos) {
                    // The application stopped polling: leave, so that its partitions go to members that work.
                    LOG.warn("{}: no poll for more than max.poll.interval.ms ({} ms): leaving group {}; the next poll "
                            + "joins again", ctx.name(), TimeUnit.NANOSECONDS.toMillis(maxPollIntervalNanos),
                            client.groupId());
                    leftForPollTimeout = true;
                    leave = true;
                }
                while (leftForPollTimeout && !closing) {
                    if (leave) {
                        break;
                    }
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        if (closing) {
                            return;
                        }
                    }
                }
                if (closing) {
                    return;
                }
                join = !joined;
            }
            if (leave) {
                sendLeave("no poll within max.poll.interval.ms", ctx.config().requestTimeout());
                fence();
                continue;
            }
            long waitMs;
            try {
                if (join) {
                    join();
                } else {
                    heartbeat();
                }
                attempt = 0;
                synchronized (this) {
                    waitMs = heartbeatIntervalMs;
                }
            } catch (UnknownMemberIdException | IllegalGenerationException e) {
                LOG.info("{} was fenced from group {} ({}): its partitions are lost, joining again", ctx.name(),
                        client.groupId(), e.getMessage());
                fence();
                waitMs = 0;
            } catch (TributaryException e) {
                if (closingNow()) {
                    return;
                }
                attempt++;
                client.onError(e);
                if (e.isRetriable()) {
                    LOG.debug("{}: group call failed, retrying: {}", ctx.name(), e.getMessage());
                } else {
                    // Retried with the longest backoff; logged once per distinct refusal, not per retry.
                    if (!e.getMessage().equals(lastRefusal)) {
                        LOG.warn("{}: group {} refused the member: {}", ctx.name(), client.groupId(), e.getMessage());
                        lastRefusal = e.getMessage();
                    } else {
                        LOG.debug("{}: group {} refused the member again: {}", ctx.name(), client.groupId(),
                                e.getMessage());
                    }
                    synchronized (this) {
                        fatal = e;
                    }
                    onChange.run();
                }
                waitMs = ctx.config().retryBackoffMs(attempt);
            }
            synchronized (this) {
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
                while (!closing && !heartbeatNow) {
                    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                    if (left <= 0) {
                        break;
                    }
                    try {
                        wait(left);
                    } catch (InterruptedException e) {
                        if (closing) {
                            return;
                        }
                    }
                }
                heartbeatNow = false;
            }
        }
    }

    private synchronized boolean closingNow() {
        return closing;
    }

    private <T> T await(java.util.concurrent.CompletableFuture<T> f) {
        try {
            return f.get(ctx.config().requestTimeout().toMillis() + 1_000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new io.tributary.client.errors.ClientClosedException("interrupted");
        } catch (ExecutionException | TimeoutException e) {
            throw ErrorMapper.fromThrowable(e instanceof ExecutionException ? e.getCause()
                    : new io.tributary.client.errors.RequestTimedOutException("group call timed out"));
        }
    }

    private void join() {
        JoinGroupRequest.Builder b;
        synchronized (this) {
            b = JoinGroupRequest.newBuilder().setGroupId(client.groupId()).setMemberId(memberId)
                    .setClientId(ctx.config().clientId()).addAllTopics(topics)
                    .setSessionTimeoutMs(sessionTimeoutMs).setRebalanceTimeoutMs(rebalanceTimeoutMs)
                    .setAssignor(assignor);
        }
        JoinGroupRequest req = b.build();
        JoinGroupResponse resp = await(client.stub().thenCompose(s -> Calls.unary(s::joinGroup, req)));
        synchronized (this) {
            if (!req.getTopicsList().containsAll(topics) || !topics.containsAll(req.getTopicsList())) {
                return; // the subscription changed meanwhile: join again
            }
            joined = true;
            generation = resp.getGeneration();
            heartbeatIntervalMs = resp.getHeartbeatIntervalMs() > 0 ? resp.getHeartbeatIntervalMs()
                    : DEFAULT_HEARTBEAT_MS;
            LOG.info("{} joined group {} as member {}, generation {}", ctx.name(), client.groupId(), memberId,
                    generation);
            everJoined = true;
            apply(resp.getAssignment());
        }
    }

    private void heartbeat() {
        HeartbeatRequest.Builder b;
        synchronized (this) {
            Set<TopicPartition> report = new LinkedHashSet<>(owned.get());
            report.removeAll(lostPending);
            report.addAll(target);
            b = HeartbeatRequest.newBuilder().setGroupId(client.groupId()).setMemberId(memberId)
                    .setGeneration(generation);
            for (TopicPartition tp : report) {
                b.addOwned(io.tributary.proto.v1.TopicPartition.newBuilder().setTopic(tp.topic())
                        .setPartition(tp.partition()));
            }
        }
        HeartbeatResponse resp = await(client.stub().thenCompose(s -> Calls.unary(s::heartbeat, b.build())));
        synchronized (this) {
            if (!joined) {
                return; // fenced or re-subscribed meanwhile
            }
            generation = resp.getGeneration();
            if (resp.getHeartbeatIntervalMs() > 0) {
                heartbeatIntervalMs = resp.getHeartbeatIntervalMs();
            }
            apply(resp.getAssignment());
        }
    }

    /** Under the monitor (package-private for tests). */
    void apply(Assignment a) {
        Set<TopicPartition> t = new LinkedHashSet<>();
        for (io.tributary.proto.v1.TopicPartition p : a.getAssignedList()) {
            t.add(new TopicPartition(p.getTopic(), p.getPartition()));
        }
        if (!t.equals(target)) {
            LOG.debug("{}: target assignment {} (revoke {})", ctx.name(), t, a.getToRevokeList().size());
            target = Set.copyOf(t);
            onChange.run();
        } else if (a.getToRevokeCount() > 0) {
            onChange.run();
        }
    }

    /** The coordinator fenced this member (package-private for tests). */
    void fence() {
        synchronized (this) {
            Set<TopicPartition> lost = new LinkedHashSet<>(owned.get());
            lost.addAll(target);
            lost.addAll(lostPending);
            lostPending = Set.copyOf(lost);
            target = Set.of();
            joined = false;
        }
        onChange.run();
    }

    /** True once the member has joined at least once (for tests and diagnostics). */
    public synchronized boolean hasJoined() {
        return everJoined;
    }
}
