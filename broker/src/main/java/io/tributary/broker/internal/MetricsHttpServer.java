package io.tributary.broker.internal;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * The broker's HTTP endpoint: {@code GET /metrics} (Prometheus text), {@code GET /ready} (200 once
 * the broker is ready, 503 before) and, only when fault injection is enabled,
 * {@code POST /fault/raft-isolate} and {@code POST /fault/raft-heal}.
 *
 * <p>Thread-safety: thread-safe; served by two named daemon threads.
 */
public final class MetricsHttpServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MetricsHttpServer.class);

    private final HttpServer server;
    private final ExecutorService executor;

    public MetricsHttpServer(String host, int port, int nodeId, PrometheusRegistry registry, BooleanSupplier ready,
                             RaftFaultInjector faults) throws IOException {
        server = HttpServer.create(new InetSocketAddress(host, port), 16);
        executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "broker-" + nodeId + "-metrics-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/metrics", new MetricsHandler(registry));
        server.createContext("/ready", ex -> reply(ex, ready.getAsBoolean() ? 200 : 503,
                ready.getAsBoolean() ? "ready\n" : "not ready\n"));
        if (faults != null) {
            server.createContext("/fault/raft-isolate", ex -> {
                if (post(ex)) {
                    faults.isolate();
                    reply(ex, 200, "isolated\n");
                }
            });
            server.createContext("/fault/raft-heal", ex -> {
                if (post(ex)) {
                    faults.heal();
                    reply(ex, 200, "healed\n");
                }
            });
            LOG.warn("fault injection endpoints are enabled on port {} (test.fault.injection.enabled=true)", port);
        }
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private static boolean post(HttpExchange ex) throws IOException {
        if (!"POST".equalsIgnoreCase(ex.getRequestMethod())) {
            reply(ex, 405, "use POST\n");
            return false;
        }
        return true;
    }

    private static void reply(HttpExchange ex, int code, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        ex.sendResponseHeaders(code, bytes.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
