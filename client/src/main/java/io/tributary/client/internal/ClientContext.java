package io.tributary.client.internal;

import io.tributary.client.ClientConfig;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one client (a producer, a consumer, an admin) holds while open: its configuration, its
 * channels (one per broker), its metadata cache, and one named daemon timer thread for
 * backoffs and periodic work. Closing it closes them all.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class ClientContext implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ClientContext.class);
    private static final AtomicInteger IDS = new AtomicInteger();

    private final ClientConfig config;
    private final String name;
    private final ChannelPool channels;
    private final ScheduledExecutorService scheduler;
    private final MetadataCache metadata;

    /**
     * @param kind "producer", "consumer", "admin": used in the client's name ({@code kind-clientId}
     *             or {@code kind-N}) and thread names
     */
    public ClientContext(ClientConfig config, String kind) {
        this.config = config;
        String id = config.clientId().isEmpty() ? Integer.toString(IDS.incrementAndGet()) : config.clientId();
        this.name = kind + "-" + id;
        this.channels = new ChannelPool(config);
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "tributary-" + name + "-timer");
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
        this.scheduler = Executors.unconfigurableScheduledExecutorService(timer);
        this.metadata = new MetadataCache(config, channels, scheduler);
        LOG.info("{} starting with {}", name, config);
    }

    public ClientConfig config() {
        return config;
    }

    /** {@code kind-clientId}, or {@code kind-N} without a client id. */
    public String name() {
        return name;
    }

    public ChannelPool channels() {
        return channels;
    }

    public MetadataCache metadata() {
        return metadata;
    }

    /** One daemon thread; tasks must be short and never block. */
    public ScheduledExecutorService scheduler() {
        return scheduler;
    }

    @Override
    public void close() {
        metadata.close();
        scheduler.shutdownNow();
        channels.close();
        try {
            scheduler.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.info("{} closed", name);
    }
}
