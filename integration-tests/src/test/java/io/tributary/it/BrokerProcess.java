package io.tributary.it;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One broker of a {@link TestCluster}: a separate JVM running {@code io.tributary.broker.BrokerMain}
 * from this module's test classpath, with its own directory, properties file and log file.
 *
 * <p>The log file is appended to across restarts; {@link #logSinceStart()} returns only what the
 * current incarnation wrote.
 *
 * <p>Thread-safety: the test thread drives it; {@link #isAlive()} and the log readers may be called
 * from any thread.
 */
final class BrokerProcess {

    private static final Logger LOG = LoggerFactory.getLogger(BrokerProcess.class);
    private static final String MAIN_CLASS = "io.tributary.broker.BrokerMain";

    final int nodeId;
    final int clientPort;
    final int raftPort;
    final int metricsPort;
    final Path dir;
    final Path configFile;
    final Path logFile;
    /** What the JVM prints outside logback: a crash, an uncaught error, System.err. */
    final Path stdoutFile;
    private volatile Process process;
    private volatile long logStartPosition;

    BrokerProcess(int nodeId, int clientPort, int raftPort, int metricsPort, Path dir) {
        this.nodeId = nodeId;
        this.clientPort = clientPort;
        this.raftPort = raftPort;
        this.metricsPort = metricsPort;
        this.dir = dir;
        this.configFile = dir.resolve("broker.properties");
        this.logFile = dir.resolve("broker.log");
        this.stdoutFile = dir.resolve("stdout.log");
    }

    String clientAddress() {
        return "127.0.0.1:" + clientPort;
    }

    Path dataDir() {
        return dir.resolve("partitions");
    }

    Path metadataDir() {
        return dir.resolve("metadata");
    }

    /** Writes the properties file: the cluster's settings, then this broker's identity and ports. */
    void writeConfig(Map<String, String> clusterSettings) {
        Properties properties = new Properties();
        properties.putAll(clusterSettings);
        properties.setProperty("node.id", Integer.toString(nodeId));
        properties.setProperty("advertised.host", "127.0.0.1");
        properties.setProperty("listen.host", "127.0.0.1");
        properties.setProperty("client.port", Integer.toString(clientPort));
        properties.setProperty("raft.port", Integer.toString(raftPort));
        properties.setProperty("metrics.port", Integer.toString(metricsPort));
        properties.setProperty("data.dirs", dataDir().toString());
        properties.setProperty("metadata.dir", metadataDir().toString());
        try {
            Files.createDirectories(dataDir());
            Files.createDirectories(metadataDir());
            try (var out = Files.newBufferedWriter(configFile, StandardCharsets.UTF_8)) {
                properties.store(out, "TestCluster broker " + nodeId);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + configFile, e);
        }
    }

    /** Starts the broker JVM on its existing configuration and data. */
    void start(String javaExecutable, List<String> jvmFlags, String classpath) {
        if (isAlive()) {
            throw new IllegalStateException("broker " + nodeId + " is already running (pid " + process.pid() + ")");
        }
        List<String> command = new ArrayList<>();
        command.add(javaExecutable);
        command.addAll(jvmFlags);
        command.add("-Dtributary.it.broker=" + nodeId);
        command.add("-Dtributary.it.log.file=" + logFile);
        command.add("-cp");
        command.add(classpath);
        command.add(MAIN_CLASS);
        command.add("--config");
        command.add(configFile.toString());
        try {
            Files.createDirectories(dir);
            logStartPosition = Files.exists(logFile) ? Files.size(logFile) : 0L;
            Files.writeString(logFile, "=== TestCluster: starting broker " + nodeId + " ===\n", StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(stdoutFile.toFile()));
            // The environment overrides TRIBUTARY_<KEY> of the test JVM must not leak into brokers.
            builder.environment().keySet().removeIf(key -> key.startsWith("TRIBUTARY_"));
            process = builder.start();
            LOG.info("started broker {} (pid {}, client {}, raft {}, metrics {})", nodeId, process.pid(),
                    clientPort, raftPort, metricsPort);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start broker " + nodeId + ": " + String.join(" ", command), e);
        }
    }

    boolean isAlive() {
        Process p = process;
        return p != null && p.isAlive();
    }

    long pid() {
        Process p = process;
        return p == null ? -1 : p.pid();
    }

    /** SIGKILL: the JVM dies at once, with no shutdown hook, like a crashed host. */
    void kill() {
        Process p = process;
        if (p == null || !p.isAlive()) {
            return;
        }
        p.destroyForcibly();
        awaitExit(p, Duration.ofSeconds(30));
        LOG.info("killed broker {} (pid {})", nodeId, p.pid());
    }

    /** SIGTERM (graceful shutdown); SIGKILL if it has not exited within {@code timeout}. */
    void stop(Duration timeout) {
        Process p = process;
        if (p == null || !p.isAlive()) {
            return;
        }
        p.destroy();
        if (!awaitExit(p, timeout)) {
            LOG.warn("broker {} did not stop within {} after SIGTERM; sending SIGKILL", nodeId, timeout);
            p.destroyForcibly();
            awaitExit(p, Duration.ofSeconds(30));
        }
        LOG.info("stopped broker {} (pid {}, exit code {})", nodeId, p.pid(), p.isAlive() ? "?" : p.exitValue());
    }

    Integer exitCode() {
        Process p = process;
        return p == null || p.isAlive() ? null : p.exitValue();
    }

    private static boolean awaitExit(Process p, Duration timeout) {
        try {
            return p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** What the current incarnation of the broker has written to its log so far. */
    String logSinceStart() {
        return readLog(logStartPosition);
    }

    /**
     * The last {@code lines} lines of the log file (all incarnations), preceded by what the JVM
     * printed outside logging (stdout.log), if anything.
     */
    String logTail(int lines) {
        String all = readLog(logFile, Math.max(0, size(logFile) - 512 * 1024));
        List<String> list = Arrays.asList(all.split("\n", -1));
        String tail = String.join("\n", list.subList(Math.max(0, list.size() - lines), list.size()));
        String stdout = readLog(stdoutFile, Math.max(0, size(stdoutFile) - 16 * 1024)).strip();
        return stdout.isEmpty() ? tail : "--- " + stdoutFile + " (end) ---\n" + stdout + "\n--- " + logFile + " ---\n" + tail;
    }

    private static long size(Path file) {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private String readLog(long from) {
        return readLog(logFile, from);
    }

    private static String readLog(Path path, long from) {
        if (!Files.exists(path)) {
            return "";
        }
        try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "r")) {
            long length = file.length();
            if (from >= length) {
                return "";
            }
            byte[] bytes = new byte[(int) Math.min(Integer.MAX_VALUE - 8, length - from)];
            file.seek(from);
            file.readFully(bytes);
            return new String(bytes, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(cannot read " + path + ": " + e + ")";
        }
    }

    @Override
    public String toString() {
        return "broker " + nodeId + " (" + clientAddress() + ", pid " + pid() + (isAlive() ? ", alive)" : ", down)");
    }
}
