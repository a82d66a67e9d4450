package io.tributary.client.admin;

import io.grpc.ManagedChannel;
import io.tributary.client.errors.ClientClosedException;
import io.tributary.client.errors.ClientTimeoutException;
import io.tributary.client.errors.CoordinatorNotAvailableException;
import io.tributary.client.errors.NetworkException;
import io.tributary.client.errors.NotCoordinatorException;
import io.tributary.client.errors.TributaryException;
import io.tributary.client.internal.BrokerNode;
import io.tributary.client.internal.ClientContext;
import io.tributary.client.internal.ErrorMapper;
import io.tributary.proto.v1.ErrorDetail;
import io.tributary.proto.v1.FindCoordinatorRequest;
import io.tributary.proto.v1.GroupCoordinator;
import io.tributary.proto.v1.MetadataServiceGrpc;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How {@link Admin} reaches brokers: "any broker" calls (AdminService, MetadataService) rotate
 * over the live brokers it knows and the bootstrap list; group calls go to the group's
 * coordinator (FindCoordinator, cached per group; on NOT_COORDINATOR the hint in
 * {@code ErrorDetail.leader} is followed, or the coordinator looked up again). Retriable failures
 * are retried with the configured backoff until the caller's deadline; then the call fails with a
 * {@link ClientTimeoutException} that names the last error. Non-retriable ones are thrown at once.
 *
 * <p>Calls run on the caller's thread with blocking stubs, each with the deadline
 * {@code min(request.timeout.ms, time left)}.
 *
 * <p>Thread-safety: thread-safe.
 */
final class AdminCalls {

    private static final Logger LOG = LoggerFactory.getLogger(AdminCalls.class);

    /** One attempt of a call on a channel, with a per-request deadline in ms. */
    @FunctionalInterface
    interface Call<T> {
        T call(ManagedChannel channel, long requestTimeoutMs);
    }

    /** A per-item error a call wants retried like a whole-call failure (e.g. a group's NOT_COORDINATOR). */
    static final class ItemError extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient ErrorDetail detail;

        ItemError(ErrorDetail detail) {
            super(detail.getMessage(), null, false, false);
            this.detail = detail;
        }
    }

    private final ClientContext context;
    private final AdminConfig config;
    private final Map<String, BrokerNode> coordinators = new ConcurrentHashMap<>();
    private final AtomicInteger nextTarget = new AtomicInteger();

    AdminCalls(ClientContext context, AdminConfig config) {
        this.context = context;
        this.config = config;
    }

    /** The deadline (System.nanoTime based) of a call that starts now. */
    long deadline() {
        return System.nanoTime() + config.apiTimeout().toNanos();
    }

    /** Runs {@code call} on any broker, retrying retriable failures on the next one until {@code deadlineNanos}. */
    <T> T anyBroker(String what, long deadlineNanos, Call<T> call) {
        int attempt = 0;
        TributaryException last = null;
        String lastTarget = null;
        while (true) {
            long leftMs = leftMs(deadlineNanos);
            if (leftMs <= 0) {
                throw timeout(what, last, lastTarget);
            }
            InetSocketAddress target = pickTarget();
            lastTarget = target.getHostString() + ":" + target.getPort();
            try {
                return call.call(channel(target), Math.min(config.getInt(AdminConfig.REQUEST_TIMEOUT_MS), leftMs));
            } catch (RuntimeException e) {
                TributaryException te = map(e);
                if (!te.isRetriable() || te instanceof ClientClosedException) {
                    throw te;
                }
                last = te;
                LOG.debug("{} failed on {} (retrying): {}", what, lastTarget, te.getMessage());
                if (te instanceof NetworkException) {
                    context.metadata().requestUpdate();
                }
            }
            backoff(++attempt, deadlineNanos);
        }
    }

    /** Runs {@code call} on one given broker, retrying retriable failures there until {@code deadlineNanos}. */
    <T> T onBroker(String what, BrokerNode broker, long deadlineNanos, Call<T> call) {
        int attempt = 0;
        TributaryException last = null;
        while (true) {
            long leftMs = leftMs(deadlineNanos);
            if (leftMs <= 0) {
                throw timeout(what, last, broker.address());
            }
            try {
                return call.call(context.channels().channel(broker),
                        Math.min(config.getInt(AdminConfig.REQUEST_TIMEOUT_MS), leftMs));
            } catch (RuntimeException e) {
                TributaryException te = map(e);
                if (!te.isRetriable()) {
                    throw te;
                }
                last = te;
                LOG.debug("{} failed on {} (retrying): {}", what, broker, te.getMessage());
            }
            backoff(++attempt, deadlineNanos);
        }
    }

    /**
     * Runs {@code call} on {@code groupId}'s coordinator. A call may throw {@link ItemError} for a
     * per-group error so that routing errors in per-group results are handled like whole-call ones.
     */
    <T> T coordinator(String groupId, String what, long deadlineNanos, Call<T> call) {
        int attempt = 0;
        int hintsFollowed = 0;
        TributaryException last = null;
        String lastTarget = null;
        while (true) {
            long leftMs = leftMs(deadlineNanos);
            if (leftMs <= 0) {
                throw timeout(what, last, lastTarget);
            }
            BrokerNode node = coordinators.get(groupId);
            if (node == null) {
                node = findCoordinator(groupId, deadlineNanos);
                coordinators.put(groupId, node);
            }
            lastTarget = node.toString();
            try {
                return call.call(context.channels().channel(node),
                        Math.min(config.getInt(AdminConfig.REQUEST_TIMEOUT_MS), leftMs));
            } catch (RuntimeException e) {
                TributaryException te = map(e);
                if (!te.isRetriable() || te instanceof ClientClosedException) {
                    throw te;
                }
                last = te;
                LOG.debug("{} failed on {} (retrying): {}", what, node, te.getMessage());
                if (te instanceof NotCoordinatorException) {
                    ErrorDetail d = detailOf(e);
                    if (d != null && d.hasLeader() && d.getLeader().getPort() > 0 && hintsFollowed++ < 3) {
                        coordinators.put(groupId, BrokerNode.of(d.getLeader()));
                        continue; // follow the hint at once
                    }
                    coordinators.remove(groupId);
                } else if (te instanceof NetworkException || te instanceof CoordinatorNotAvailableException) {
                    coordinators.remove(groupId);
                }
            }
            backoff(++attempt, deadlineNanos);
        }
    }

    /** The cached coordinator of a group, null when none (for tests). */
    BrokerNode cachedCoordinator(String groupId) {
        return coordinators.get(groupId);
    }

    /** Sets the cached coordinator of a group (for tests: a stale entry). */
    void cacheCoordinator(String groupId, BrokerNode node) {
        coordinators.put(groupId, node);
    }

    /** FindCoordinator through any broker; retriable per-group errors are retried until the deadline. */
    BrokerNode findCoordinator(String groupId, long deadlineNanos) {
        return anyBroker("finding the coordinator of group " + groupId, deadlineNanos, (ch, ms) -> {
            GroupCoordinator c = MetadataServiceGrpc.newBlockingStub(ch).withDeadlineAfter(ms, TimeUnit.MILLISECONDS)
                    .findCoordinator(FindCoordinatorRequest.newBuilder().addGroupIds(groupId).build())
                    .getCoordinators(0);
            if (ErrorMapper.isError(c.getError())) {
                throw new ItemError(c.getError());
            }
            return BrokerNode.of(c.getCoordinator());
        });
    }

    /** The typed exception for anything a call threw. */
    static TributaryException map(RuntimeException e) {
        if (e instanceof ItemError ie) {
            return ErrorMapper.fromDetail(ie.detail);
        }
        TributaryException te = ErrorMapper.fromThrowable(e);
        if (te instanceof NetworkException && e.getCause() != null && e.getCause().getMessage() != null) {
            // gRPC says "UNAVAILABLE: io exception"; the cause says what happened (connection refused ...).
            return new NetworkException(te.getMessage() + " (" + e.getCause().getMessage() + ")", e);
        }
        return te;
    }

    private static ErrorDetail detailOf(RuntimeException e) {
        return e instanceof ItemError ie ? ie.detail : ErrorMapper.detailOf(e);
    }

    private static ClientTimeoutException timeout(String what, TributaryException last, String target) {
        String msg = what + " did not complete in time";
        if (last != null) {
            msg += "; last error" + (target == null ? "" : " from " + target) + ": " + last.getMessage();
        }
        return new ClientTimeoutException(msg, last);
    }

    private static long leftMs(long deadlineNanos) {
        return TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
    }

    private void backoff(int attempt, long deadlineNanos) {
        long ms = Math.min(config.retryBackoffMs(attempt), Math.max(0, leftMs(deadlineNanos)));
        if (ms <= 0) {
            return;
        }
        try {
            TimeUnit.MILLISECONDS.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClientClosedException("interrupted while waiting to retry");
        }
    }

    private ManagedChannel channel(InetSocketAddress target) {
        return context.channels().channel(target.getHostString(), target.getPort());
    }

    /** Live brokers the metadata knows (by id), then the bootstrap addresses; rotating. */
    private InetSocketAddress pickTarget() {
        Set<String> seen = new LinkedHashSet<>();
        List<InetSocketAddress> all = new ArrayList<>();
        context.metadata().cluster().brokers().values().stream().sorted(Comparator.comparingInt(BrokerNode::id))
                .forEach(b -> {
                    if (seen.add(b.address())) {
                        all.add(InetSocketAddress.createUnresolved(b.host(), b.port()));
                    }
                });
        for (InetSocketAddress a : config.bootstrapServers()) {
            if (seen.add(a.getHostString() + ":" + a.getPort())) {
                all.add(a);
            }
        }
        return all.get(Math.floorMod(nextTarget.getAndIncrement(), all.size()));
    }
}
