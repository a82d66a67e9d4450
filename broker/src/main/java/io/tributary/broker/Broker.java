package io.tributary.broker;

import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.tributary.broker.internal.AdminServiceImpl;
import io.tributary.broker.internal.BrokerContext;
import io.tributary.broker.internal.BrokerMetrics;
import io.tributary.broker.internal.FetchServiceImpl;
import io.tributary.broker.internal.MetadataServiceImpl;
import io.tributary.broker.internal.MetricsHttpServer;
import io.tributary.broker.internal.PeerClients;
import io.tributary.broker.internal.ProduceServiceImpl;
import io.tributary.broker.internal.RaftFaultInjector;
import io.tributary.broker.internal.ReplicationAccess;
import io.tributary.broker.internal.ReplicationNodeAccess;
import io.tributary.broker.internal.TopicConfigs;
import io.tributary.broker.internal.group.ClientAddressInterceptor;
import io.tributary.broker.internal.group.GroupCoordinator;
import io.tributary.broker.internal.group.GroupServiceImpl;
import io.tributary.proto.v1.AdminServiceGrpc;
import io.tributary.proto.v1.FetchServiceGrpc;
import io.tributary.proto.v1.GroupServiceGrpc;
import io.tributary.proto.v1.MetadataServiceGrpc;
import io.tributary.proto.v1.ProduceServiceGrpc;
import io.tributary.replication.ReplicationConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One Tributary broker: the replication node (Raft groups of its partitions and, on voters, of
 * the metadata quorum), the client gRPC server (tributary.v1 plus health checking and reflection)
 * and the metrics HTTP server.
 *
 * <p>Lifecycle: {@link #start} returns once the listeners are bound; the broker becomes ready
 * (logs "Broker N ready", health SERVING) when the replication node is (metadata leader known,
 * this broker registered). {@link #close} shuts down gracefully: new calls are refused,
 * leadership is handed to other replicas, calls in flight drain, then everything closes.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class Broker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Broker.class);

    private static final String[] SERVICES = {
            ProduceServiceGrpc.SERVICE_NAME, FetchServiceGrpc.SERVICE_NAME, MetadataServiceGrpc.SERVICE_NAME,
            AdminServiceGrpc.SERVICE_NAME, GroupServiceGrpc.SERVICE_NAME};

    private final BrokerConfig config;
    private final ReplicationAccess node;
    private final CompletableFuture<Void> ready = new CompletableFuture<>();
    private final CountDownLatch closed = new CountDownLatch(1);
    private final AtomicBoolean closing = new AtomicBoolean();
    private HealthStatusManager health;
    private Server server;
    private MetricsHttpServer metricsServer;
    private ExecutorService executor;
    private ScheduledExecutorService timer;
    private BrokerContext ctx;
    private RaftFaultInjector faults;
    private GroupCoordinator groups;
    private final PeerClients peers = new PeerClients();

    private Broker(BrokerConfig config, ReplicationAccess node) {
        this.config = config;
        this.node = node;
    }

    /**
     * Starts a broker on {@code io.tributary.replication.ReplicationNode} with the metadata quorum.
     *
     * @throws IOException when the node or a listener cannot start (the message names the address)
     */
    public static Broker start(BrokerConfig config) throws IOException {
        return start(config, c -> ReplicationNodeAccess.start(c, ReplicationNodeAccess.metadataModule()));
    }

    /** Starts the replication node of a broker. */
    @FunctionalInterface
    public interface NodeFactory {
        ReplicationAccess start(ReplicationConfig config) throws IOException;
    }

    /**
     * Starts a broker over the replication node {@code nodeFactory} starts.
     *
     * @throws IOException when the node or a listener cannot start (the message names the address)
     */
    public static Broker start(BrokerConfig config, NodeFactory nodeFactory) throws IOException {
        logEffectiveConfig(config);
        ReplicationAccess node = nodeFactory.start(config.toReplicationConfig());
        Broker b = new Broker(config, node);
        try {
            b.startServices();
        } catch (IOException | RuntimeException e) {
            b.close();
            throw e;
        }
        return b;
    }

    private static void logEffectiveConfig(BrokerConfig config) {
        StringBuilder s = new StringBuilder("Broker ").append(config.nodeId()).append(" effective configuration:");
        for (Map.Entry<String, String> e : config.effectiveConfig().entrySet()) {
            s.append("\n    ").append(e.getKey()).append(" = ").append(e.getValue());
        }
        LOG.info("{}", s);
    }

    private void startServices() throws IOException {
        int id = config.nodeId();
        int threads = config.clientThreads();
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "broker-" + id + "-grpc-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        executor = pool;
        ScheduledThreadPoolExecutor sched = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "broker-" + id + "-timer");
            t.setDaemon(true);
            return t;
        });
        sched.setRemoveOnCancelPolicy(true);
        timer = sched;

        BrokerMetrics metrics = new BrokerMetrics(id, node::replicas);
        ctx = new BrokerContext(node, new TopicConfigs(config.topicDefaults(),
                config.maxRequestBytes() - 1024 * 1024, config.producerIdExpirationMs()), metrics, timer, executor);

        groups = new GroupCoordinator(ctx, config.groupConfig(), peers);

        health = new HealthStatusManager();
        health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.NOT_SERVING);
        for (String s : SERVICES) {
            health.setStatus(s, ServingStatus.NOT_SERVING);
        }
        InetSocketAddress address = new InetSocketAddress(config.listenHost(), config.clientPort());
        try {
            server = NettyServerBuilder.forAddress(address)
                    .executor(executor)
                    .maxInboundMessageSize(config.maxRequestBytes())
                    .permitKeepAliveTime(10, TimeUnit.SECONDS)
                    .permitKeepAliveWithoutCalls(true)
                    .addService(new ProduceServiceImpl(ctx))
                    .addService(new FetchServiceImpl(ctx))
                    .addService(new MetadataServiceImpl(ctx, new ArrayList<>(config.controllerVoters().keySet()),
                            groups))
                    .addService(new AdminServiceImpl(ctx, peers, config.defaultPartitions(), config.defaultReplicationFactor()))
                    .addService(ServerInterceptors.intercept(new GroupServiceImpl(ctx, groups),
                            new ClientAddressInterceptor()))
                    .addService(health.getHealthService())
                    .addService(ProtoReflectionServiceV1.newInstance())
                    .build()
                    .start();
        } catch (IOException e) {
            throw new IOException("broker " + id + " cannot listen for clients on " + address + " ("
                    + BrokerConfig.CLIENT_PORT + "): " + e.getMessage(), e);
        }
        if (config.faultInjectionEnabled()) {
            faults = new RaftFaultInjector(Integer.toString(id));
        }
        if (config.metricsPort() != 0) {
            try {
                metricsServer = new MetricsHttpServer(config.listenHost(), config.metricsPort(), id,
                        metrics.registry(), ready::isDone, faults);
            } catch (IOException e) {
                throw new IOException("broker " + id + " cannot listen for metrics on " + config.listenHost() + ":"
                        + config.metricsPort() + " (" + BrokerConfig.METRICS_PORT + "): " + e.getMessage(), e);
            }
        }
        LOG.info("Broker {} listening: clients on {}:{}, Raft on {}:{}, metrics {}", id, config.listenHost(),
                config.clientPort(), config.advertisedHost(), config.raftPort(),
                config.metricsPort() == 0 ? "disabled" : "on " + config.listenHost() + ":" + config.metricsPort());
        timer.scheduleWithFixedDelay(this::checkReady, 0, 50, TimeUnit.MILLISECONDS);
        groups.start();
    }

    private void checkReady() {
        if (ready.isDone() || closing.get()) {
            return;
        }
        boolean isReady;
        try {
            isReady = node.isReady();
        } catch (RuntimeException e) {
            LOG.debug("readiness check failed", e);
            return;
        }
        if (isReady) {
            health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.SERVING);
            for (String s : SERVICES) {
                health.setStatus(s, ServingStatus.SERVING);
            }
            LOG.info("Broker {} ready", config.nodeId());
            ready.complete(null);
        }
    }

    public BrokerConfig config() {
        return config;
    }

    public int nodeId() {
        return config.nodeId();
    }

    /** The bound client port (the configured one). */
    public int clientPort() {
        return server.getPort();
    }

    /** The bound metrics port, or 0 when disabled. */
    public int metricsPort() {
        return metricsServer == null ? 0 : metricsServer.port();
    }

    public boolean isReady() {
        return ready.isDone();
    }

    /** Completes when the broker is ready. */
    public CompletableFuture<Void> readyFuture() {
        return ready.copy();
    }

    /** Test-only Raft isolation (null unless {@code test.fault.injection.enabled=true}). */
    public RaftFaultInjector faultInjector() {
        return faults;
    }

    /** Blocks until {@link #close} has finished. */
    public void awaitClosed() throws InterruptedException {
        closed.await();
    }

    /**
     * Graceful shutdown: refuse new calls, hand leadership to other replicas, end streams, drain
     * calls in flight (up to {@code shutdown.timeout.ms} in all), then close the replication node.
     */
    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            try {
                closed.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.shutdownTimeoutMs());
        LOG.info("Broker {} shutting down", config.nodeId());
        try {
            if (health != null) {
                health.enterTerminalState();
            }
            if (server != null) {
                server.shutdown();
            }
            try {
                node.handOffLeadership(Duration.ofNanos(Math.max(0, (deadline - System.nanoTime()) / 2)));
            } catch (RuntimeException e) {
                LOG.warn("Broker {}: leadership hand-off failed: {}", config.nodeId(), e.toString());
            }
            if (ctx != null) {
                ctx.shutdownStreams(Status.UNAVAILABLE.withDescription("broker " + config.nodeId()
                        + " is shutting down; reconnect to another broker"));
            }
            if (server != null) {
                try {
                    if (!server.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                        LOG.warn("Broker {}: calls still in flight after {} ms; cancelling them", config.nodeId(),
                                config.shutdownTimeoutMs());
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                server.shutdownNow();
            }
            closeQuietly(metricsServer);
            closeQuietly(groups);
            peers.close();
            if (faults != null) {
                faults.heal();
            }
            if (timer != null) {
                timer.shutdownNow();
            }
            if (executor != null) {
                executor.shutdown();
            }
            try {
                node.close();
            } catch (RuntimeException e) {
                LOG.warn("Broker {}: closing the replication node failed", config.nodeId(), e);
            }
            if (executor != null) {
                try {
                    executor.awaitTermination(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                executor.shutdownNow();
            }
            LOG.info("Broker {} stopped", config.nodeId());
        } finally {
            closed.countDown();
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            LOG.warn("closing {} failed: {}", c, e.toString());
        }
    }
}
