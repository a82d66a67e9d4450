package io.tributary.client.internal;

import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tributary.client.ClientConfig;
import io.tributary.client.errors.ClientClosedException;
import io.tributary.client.errors.ConfigException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One gRPC {@link ManagedChannel} per broker address (Netty, plaintext, keepalive), shared by
 * every call a client makes to that broker; gRPC multiplexes calls and reconnects by itself.
 * Closed with the client.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class ChannelPool implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ChannelPool.class);

    private final ClientConfig config;
    private final List<ClientInterceptor> interceptors;
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /** @throws ConfigException when a class of {@code grpc.interceptor.classes} cannot be used */
    public ChannelPool(ClientConfig config) {
        this.config = config;
        this.interceptors = interceptors(config.getList(ClientConfig.GRPC_INTERCEPTOR_CLASSES));
    }

    private static List<ClientInterceptor> interceptors(List<String> classNames) {
        List<ClientInterceptor> list = new ArrayList<>();
        for (String name : classNames) {
            try {
                Class<?> type = Class.forName(name, true, ChannelPool.class.getClassLoader());
                if (!ClientInterceptor.class.isAssignableFrom(type)) {
                    throw new ConfigException(ClientConfig.GRPC_INTERCEPTOR_CLASSES + ": " + name
                            + " does not implement io.grpc.ClientInterceptor");
                }
                list.add((ClientInterceptor) type.getConstructor().newInstance());
            } catch (ReflectiveOperationException | LinkageError e) {
                throw new ConfigException(ClientConfig.GRPC_INTERCEPTOR_CLASSES + ": cannot create " + name
                        + " (a public class with a public no-argument constructor is needed): " + e);
            }
        }
        return List.copyOf(list);
    }

    static String address(String host, int port) {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    public ManagedChannel channel(BrokerNode broker) {
        return channel(broker.host(), broker.port());
    }

    /** The channel to {@code host:port}, created on first use. */
    public ManagedChannel channel(String host, int port) {
        if (closed) {
            throw new ClientClosedException("the client is closed");
        }
        ManagedChannel ch = channels.computeIfAbsent(address(host, port), a -> {
            LOG.debug("opening a channel to {}", a);
            return NettyChannelBuilder.forAddress(host, port)
                    .usePlaintext()
                    .maxInboundMessageSize(config.getInt(ClientConfig.MAX_INBOUND_MESSAGE_BYTES))
                    .keepAliveTime(config.getLong(ClientConfig.KEEPALIVE_TIME_MS), TimeUnit.MILLISECONDS)
                    .keepAliveTimeout(20, TimeUnit.SECONDS)
                    .userAgent("tributary-client")
                    .intercept(interceptors)
                    .build();
        });
        if (closed) {
            // Raced with close(): make sure nothing stays open.
            ch.shutdownNow();
            throw new ClientClosedException("the client is closed");
        }
        return ch;
    }

    /** Shuts every channel down, waiting up to 5 s in all for calls to end, then forcefully. */
    @Override
    public void close() {
        closed = true;
        List<ManagedChannel> all = new ArrayList<>(channels.values());
        channels.clear();
        all.forEach(ManagedChannel::shutdown);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        for (ManagedChannel ch : all) {
            try {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !ch.awaitTermination(left, TimeUnit.NANOSECONDS)) {
                    ch.shutdownNow();
                }
            } catch (InterruptedException e) {
                ch.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
    }
}
