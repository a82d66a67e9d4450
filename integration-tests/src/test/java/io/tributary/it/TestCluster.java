package io.tributary.it;

import static org.awaitility.Awaitility.await;

import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.tributary.proto.v1.BrokerStatus;
import io.tributary.proto.v1.DescribeClusterResponse;
import io.tributary.proto.v1.MetadataResponse;
import io.tributary.proto.v1.PartitionMetadata;
import io.tributary.proto.v1.PartitionDescription;
import io.tributary.proto.v1.TopicDescription;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Tributary cluster on 127.0.0.1 for tests, driven like a script:
 *
 * <pre>{@code
 * try (TestCluster cluster = TestCluster.start(3)) {
 *     cluster.awaitReady();
 *     cluster.createTopic("orders", 3, 3);
 *     int leader = cluster.awaitLeader(TopicPartition.of("orders", 0));
 *     cluster.kill(leader);      // SIGKILL
 *     cluster.restart(leader);   // same ports, same data
 * }
 * }</pre>
 *
 * <p>Each broker is a separate JVM ({@link BrokerProcess}) running {@code io.tributary.broker.BrokerMain}
 * from this module's test classpath, with free ports on 127.0.0.1 and a directory of its own under
 * {@code target/clusters/}. Brokers are numbered 1..N (their {@code node.id}); the first min(3, N)
 * are the controller voters. Faults: {@link #kill(int)} (SIGKILL), {@link #stop(int)} (SIGTERM,
 * graceful), {@link #isolate(int)}/{@link #heal(int)} (the broker's test fault endpoint, which
 * blocks its Raft traffic; {@code test.fault.injection.enabled=true}).
 *
 * <p>On a test failure, {@link BrokerLogsOnFailure} attaches the tail of every broker's log.
 * {@link #close()} stops the brokers and deletes their data, keeping the logs.
 *
 * <p>Thread-safety: driven from the test thread; {@link #client()} is thread-safe.
 */
public final class TestCluster implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TestCluster.class);
    private static final AtomicInteger SEQUENCE = new AtomicInteger();
    /** Clusters opened by the current test, for {@link BrokerLogsOnFailure}. */
    static final Queue<TestCluster> OPENED = new ConcurrentLinkedQueue<>();

    public static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
    public static final Duration LEADER_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    private final Path root;
    private final List<BrokerProcess> brokers;
    private final Map<String, String> settings;
    private final List<String> jvmFlags;
    private final String classpath;
    private final String java;
    private final TestClient client;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    /** The brokers that should be running: started, and neither killed nor stopped by the test. */
    private final Set<Integer> expectedRunning = ConcurrentHashMap.newKeySet();

    private TestCluster(Builder builder) {
        this.root = workDir().resolve(builder.name + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("HHmmss"))
                + "-" + SEQUENCE.incrementAndGet());
        this.jvmFlags = brokerJvmFlags();
        this.classpath = stableClasspath(testClasspath(), root.resolve("lib"));
        this.java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        int[] ports = freePorts(builder.brokers * 3);
        List<BrokerProcess> list = new ArrayList<>();
        for (int i = 0; i < builder.brokers; i++) {
            int node = i + 1;
            list.add(new BrokerProcess(node, ports[3 * i], ports[3 * i + 1], ports[3 * i + 2], root.resolve("broker-" + node)));
        }
        this.brokers = List.copyOf(list);

        int voterCount = Math.min(3, builder.brokers);
        String voters = brokers.subList(0, voterCount).stream()
                .map(b -> b.nodeId + "@127.0.0.1:" + b.raftPort)
                .collect(Collectors.joining(","));
        Map<String, String> all = new LinkedHashMap<>();
        all.put("controller.voters", voters);
        all.put("default.partitions", "3");
        all.put("default.replication.factor", Integer.toString(voterCount));
        // Short failure detection so that the whole module runs in minutes on 2 cores.
        all.put("broker.session.timeout.ms", "3000");
        all.put("test.fault.injection.enabled", "true");
        all.putAll(builder.settings);
        this.settings = Map.copyOf(all);
        this.client = new TestClient(this::runningAddresses);
    }

    /** A cluster of {@code brokers} brokers with the test defaults, started (not yet awaited). */
    public static TestCluster start(int brokers) {
        return builder(brokers).start();
    }

    public static Builder builder(int brokers) {
        return new Builder(brokers);
    }

    /** Settings of a cluster before it starts. */
    public static final class Builder {
        private final int brokers;
        private final Map<String, String> settings = new LinkedHashMap<>();
        private String name = callerName();

        private Builder(int brokers) {
            if (brokers < 1) {
                throw new IllegalArgumentException("brokers " + brokers + ": expected at least 1");
            }
            this.brokers = brokers;
        }

        /** A broker setting for every broker (a key of BrokerMain's properties file). */
        public Builder config(String key, String value) {
            settings.put(key, value);
            return this;
        }

        public Builder replicaReplacementTimeout(Duration timeout) {
            return config("replica.replacement.timeout.ms", Long.toString(timeout.toMillis()));
        }

        public Builder brokerSessionTimeout(Duration timeout) {
            return config("broker.session.timeout.ms", Long.toString(timeout.toMillis()));
        }

        /** The name of the cluster's directory under target/clusters (default: the test class). */
        public Builder name(String name) {
            this.name = name;
            return this;
        }

        public TestCluster start() {
            TestCluster cluster = new TestCluster(this);
            OPENED.add(cluster);
            cluster.startAll();
            return cluster;
        }

        private static String callerName() {
            return StackWalker.getInstance().walk(frames -> frames
                    .map(StackWalker.StackFrame::getClassName)
                    .filter(c -> c.endsWith("IT"))
                    .map(c -> c.substring(c.lastIndexOf('.') + 1))
                    .findFirst().orElse("cluster"));
        }
    }

    private void startAll() {
        LOG.info("starting a cluster of {} brokers in {} with {}", brokers.size(), root, settings);
        for (BrokerProcess broker : brokers) {
            broker.writeConfig(settings);
            broker.start(java, jvmFlags, classpath);
            expectedRunning.add(broker.nodeId);
        }
    }

    // ------------------------------------------------------------------ waiting

    /**
     * Waits until every running broker is ready (its gRPC health service answers SERVING, or it
     * logged "Broker N ready") and the cluster agrees: a controller is elected and every running
     * broker is registered and alive.
     */
    public TestCluster awaitReady() {
        await("cluster ready").atMost(READY_TIMEOUT).pollInterval(Duration.ofMillis(250)).until(() -> {
            failIfAnyDied();
            for (BrokerProcess broker : running()) {
                if (!isBrokerReady(broker)) {
                    return false;
                }
            }
            return clusterAgrees();
        });
        LOG.info("cluster ready: {}", running());
        return this;
    }

    /** Waits until broker {@code n} (running) is ready and registered as alive. */
    public TestCluster awaitReady(int n) {
        BrokerProcess broker = broker(n);
        await("broker " + n + " ready").atMost(READY_TIMEOUT).pollInterval(Duration.ofMillis(250)).until(() -> {
            failIfAnyDied();
            return isBrokerReady(broker) && clusterAgrees();
        });
        return this;
    }

    /** Whether broker {@code n} is ready: its log says so, or its health service answers SERVING. */
    boolean isBrokerReady(int n) {
        return isBrokerReady(broker(n));
    }

    private boolean isBrokerReady(BrokerProcess broker) {
        try {
            HealthCheckResponse response = HealthGrpc.newBlockingStub(client.channel(broker.clientAddress()))
                    .withDeadlineAfter(2, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.getDefaultInstance());
            if (response.getStatus() == HealthCheckResponse.ServingStatus.SERVING) {
                return true;
            }
        } catch (StatusRuntimeException e) {
            // Not listening yet: look at the log.
        }
        return broker.logSinceStart().contains("Broker " + broker.nodeId + " ready");
    }

    /** A controller is elected and every running broker is alive in its view. */
    private boolean clusterAgrees() {
        Set<Integer> expected = running().stream().map(b -> b.nodeId).collect(Collectors.toSet());
        for (BrokerProcess broker : running()) {
            try {
                DescribeClusterResponse cluster = client.describeCluster(broker.clientAddress());
                Set<Integer> alive = cluster.getBrokersList().stream().filter(BrokerStatus::getAlive)
                        .map(b -> b.getBroker().getBrokerId()).collect(Collectors.toSet());
                boolean controller = cluster.getControllerVoterIdsList().contains(cluster.getControllerId());
                return controller && alive.containsAll(expected);
            } catch (StatusRuntimeException e) {
                LOG.debug("DescribeCluster at {}: {}", broker, e.getStatus());
            }
        }
        return false;
    }

    private void failIfAnyDied() {
        for (BrokerProcess broker : brokers) {
            Integer exit = broker.exitCode();
            if (exit != null && expectedRunning.contains(broker.nodeId)) {
                throw new AssertionError("broker " + broker.nodeId + " exited with code " + exit + "; its log ends with:\n"
                        + broker.logTail(60));
            }
        }
    }

    // ------------------------------------------------------------------ topics and leaders

    /** Creates a topic and waits until every partition has a leader. */
    public void createTopic(String name, int partitions, int replicationFactor) {
        createTopic(name, partitions, replicationFactor, Map.of());
    }

    public void createTopic(String name, int partitions, int replicationFactor, Map<String, String> configs) {
        createTopic(name, partitions, replicationFactor, configs, LEADER_TIMEOUT);
    }

    /** Creates a topic and waits, at most {@code timeout} in all, until every partition has a leader. */
    public void createTopic(String name, int partitions, int replicationFactor, Map<String, String> configs,
                            Duration timeout) {
        client.createTopic(name, partitions, replicationFactor, configs, LEADER_TIMEOUT);
        await("leaders of every partition of " + name).atMost(timeout).pollInterval(Duration.ofMillis(250)).until(() -> {
            Optional<MetadataResponse> metadata = client.metadata(name);
            if (metadata.isEmpty()) {
                return false;
            }
            for (int p = 0; p < partitions; p++) {
                int leader = TestClient.partitionMetadata(metadata.get(), TopicPartition.of(name, p))
                        .map(PartitionMetadata::getLeaderId).orElse(-1);
                if (!expectedRunning.contains(leader)) {
                    return false;
                }
            }
            return true;
        });
    }

    /** Waits until the partition has a leader among the running brokers; returns its id. */
    public int awaitLeader(TopicPartition tp) {
        return await("leader of " + tp).atMost(LEADER_TIMEOUT).pollInterval(Duration.ofMillis(100))
                .until(() -> leaderOf(tp), id -> expectedRunning.contains(id));
    }

    /** Waits until the partition has a running leader other than {@code previous}; returns its id. */
    public int awaitLeaderOtherThan(TopicPartition tp, int previous) {
        return await("new leader of " + tp).atMost(LEADER_TIMEOUT).pollInterval(Duration.ofMillis(100))
                .until(() -> leaderOf(tp), id -> id != previous && expectedRunning.contains(id));
    }

    /** The partition's leader per the metadata of a running broker, or -1 when none is known. */
    public int leaderOf(TopicPartition tp) {
        return client.leaderId(tp);
    }

    /** DescribeTopics of the topic, asked of the running brokers. */
    public Optional<TopicDescription> describeTopic(String name) {
        return client.describeTopic(name);
    }

    /**
     * Waits until every partition of the topic has {@code replicationFactor} replicas, all on
     * running brokers and all in sync, and a running leader.
     */
    public void awaitFullyReplicated(String topic, int replicationFactor, Duration timeout) {
        await("fully replicated " + topic).atMost(timeout).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            Optional<TopicDescription> description = describeTopic(topic);
            if (description.isEmpty() || description.get().getPartitionsCount() == 0) {
                throw new AssertionError("no running broker describes topic " + topic);
            }
            List<String> lagging = new ArrayList<>();
            for (PartitionDescription p : description.get().getPartitionsList()) {
                if (p.getReplicaIdsCount() != replicationFactor
                        || !expectedRunning.containsAll(p.getReplicaIdsList())
                        || !new HashSet<>(p.getInSyncReplicaIdsList()).containsAll(p.getReplicaIdsList())
                        || !expectedRunning.contains(p.getLeaderId())) {
                    lagging.add(topic + "-" + p.getPartition() + " (replicas " + p.getReplicaIdsList() + ", in sync "
                            + p.getInSyncReplicaIdsList() + ", leader " + p.getLeaderId() + ")");
                }
            }
            if (!lagging.isEmpty()) {
                throw new AssertionError("not fully replicated on running brokers " + runningBrokers() + ": " + lagging);
            }
        });
    }

    // ------------------------------------------------------------------ faults

    /** SIGKILL of broker {@code n}: no shutdown hook, no flush, like a host losing power. */
    public void kill(int n) {
        expectedRunning.remove(n);
        broker(n).kill();
    }

    /** SIGTERM of broker {@code n} (graceful: hands off leadership), waiting until it exits. */
    public void stop(int n) {
        expectedRunning.remove(n);
        broker(n).stop(STOP_TIMEOUT);
    }

    /** Starts broker {@code n} again on its data and ports (not awaited: see {@link #awaitReady(int)}). */
    public void restart(int n) {
        BrokerProcess broker = broker(n);
        broker.start(java, jvmFlags, classpath);
        expectedRunning.add(n);
        client.resetBackoff(broker.clientAddress());
    }

    /** Blocks broker {@code n}'s Raft traffic in and out (its client listener stays up). */
    public void isolate(int n) {
        fault(n, "raft-isolate");
    }

    /** Undoes {@link #isolate(int)}. */
    public void heal(int n) {
        fault(n, "raft-heal");
    }

    private void fault(int n, String what) {
        BrokerProcess broker = broker(n);
        URI uri = URI.create("http://127.0.0.1:" + broker.metricsPort + "/fault/" + what);
        try {
            HttpResponse<String> response = http.send(
                    HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() / 100 != 2) {
                throw new AssertionError("POST " + uri + " answered " + response.statusCode() + ": " + response.body());
            }
            LOG.info("{}: broker {}", what, n);
        } catch (IOException e) {
            throw new UncheckedIOException("POST " + uri + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    // ------------------------------------------------------------------ access

    public TestClient client() {
        return client;
    }

    /** A client that asks only the given brokers for metadata (e.g. to keep off an isolated one). */
    public TestClient clientOf(int... nodes) {
        List<String> addresses = Arrays.stream(nodes).mapToObj(n -> broker(n).clientAddress()).toList();
        return new TestClient(() -> addresses);
    }

    public int size() {
        return brokers.size();
    }

    /** Every broker's client address, comma-separated: the SDK's and the CLI's bootstrap list. */
    public String bootstrap() {
        return brokers.stream().map(BrokerProcess::clientAddress).collect(Collectors.joining(","));
    }

    /** A java command line running {@code mainClass} from the (copied, stable) classpath the brokers run with. */
    public List<String> javaCommand(String mainClass) {
        List<String> command = new ArrayList<>();
        command.add(java);
        command.add("-Xmx256m");
        command.add("-XX:TieredStopAtLevel=1");
        command.add("-cp");
        command.add(classpath);
        command.add(mainClass);
        return command;
    }

    public String clientAddress(int n) {
        return broker(n).clientAddress();
    }

    public int metricsPort(int n) {
        return broker(n).metricsPort;
    }

    public long pid(int n) {
        return broker(n).pid();
    }

    public boolean isRunning(int n) {
        return broker(n).isAlive();
    }

    /** The ids of the brokers that the test has not killed or stopped. */
    public List<Integer> runningBrokers() {
        return running().stream().map(b -> b.nodeId).toList();
    }

    /** Broker {@code n}'s directory for partition replicas. */
    public Path dataDir(int n) {
        return broker(n).dataDir();
    }

    /** Broker {@code n}'s replica directory of {@code tp}, if it has one. */
    public Optional<Path> partitionDir(int n, TopicPartition tp) {
        return SegmentFiles.findPartitionDir(broker(n).dataDir(), tp);
    }

    public String logTail(int n, int lines) {
        return broker(n).logTail(lines);
    }

    /** The tail of every broker's log, for a failure report. */
    public String logTails(int lines) {
        StringBuilder out = new StringBuilder();
        for (BrokerProcess broker : brokers) {
            out.append("\n===== ").append(broker).append(", log ").append(broker.logFile).append(" (last ")
                    .append(lines).append(" lines) =====\n").append(broker.logTail(lines)).append('\n');
        }
        return out.toString();
    }

    private BrokerProcess broker(int n) {
        if (n < 1 || n > brokers.size()) {
            throw new IllegalArgumentException("broker " + n + ": the cluster has brokers 1.." + brokers.size());
        }
        return brokers.get(n - 1);
    }

    private List<BrokerProcess> running() {
        return brokers.stream().filter(b -> expectedRunning.contains(b.nodeId)).toList();
    }

    private List<String> runningAddresses() {
        return running().stream().map(BrokerProcess::clientAddress).toList();
    }

    // ------------------------------------------------------------------ teardown

    /** Stops every broker (SIGTERM, then SIGKILL after a timeout) and deletes their data; logs stay. */
    @Override
    public void close() {
        client.close();
        // SIGTERM all first, so that they shut down in parallel.
        for (BrokerProcess broker : brokers) {
            expectedRunning.remove(broker.nodeId);
        }
        brokers.parallelStream().forEach(b -> b.stop(STOP_TIMEOUT));
        for (BrokerProcess broker : brokers) {
            deleteRecursively(broker.dataDir());
            deleteRecursively(broker.metadataDir());
        }
        deleteRecursively(root.resolve("lib"));
        LOG.info("cluster closed; broker logs are in {}", root);
    }

    private static void deleteRecursively(Path path) {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(path)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.warn("cannot delete {}: {}", path, e.toString());
        }
    }

    // ------------------------------------------------------------------ environment

    private static Path workDir() {
        String dir = System.getProperty("tributary.it.work.dir");
        return dir != null ? Paths.get(dir) : Paths.get("target", "clusters");
    }

    /** Set by failsafe (pom): the root pom's Chronicle flags plus a small heap. */
    private static List<String> brokerJvmFlags() {
        String flags = System.getProperty("tributary.it.broker.jvm.flags");
        if (flags == null || flags.isBlank()) {
            throw new IllegalStateException("system property tributary.it.broker.jvm.flags is not set: run the tests"
                    + " through Maven (mvn -pl integration-tests verify), whose failsafe configuration sets it");
        }
        List<String> list = new ArrayList<>(Arrays.asList(flags.trim().split("\\s+")));
        Path logback = Paths.get("src", "test", "resources", "broker-logback.xml").toAbsolutePath();
        if (Files.exists(logback)) {
            list.add("-Dlogback.configurationFile=" + logback);
        }
        return list;
    }

    /** The test classpath (surefire/failsafe hand it to the forked JVM in surefire.test.class.path). */
    private static String testClasspath() {
        String classpath = System.getProperty("surefire.test.class.path");
        if (classpath == null || classpath.isBlank()) {
            classpath = System.getProperty("java.class.path");
        }
        return classpath;
    }

    /**
     * The classpath with Tributary's own jars and class directories copied under {@code lib}: on a
     * machine shared by several builds, another {@code mvn install} may rewrite those files while the
     * brokers run (seen: NoClassDefFoundError in a running broker). Third-party jars do not change.
     */
    private static String stableClasspath(String classpath, Path lib) {
        List<String> entries = new ArrayList<>();
        int index = 0;
        for (String entry : classpath.split(File.pathSeparator)) {
            Path path = Paths.get(entry);
            boolean ours = entry.contains("/io/tributary/") || entry.contains("tributary-")
                    || (Files.isDirectory(path) && entry.endsWith("classes"));
            if (!ours || !Files.exists(path)) {
                entries.add(entry);
                continue;
            }
            Path copy = lib.resolve((index++) + "-" + path.getFileName());
            try {
                copyRecursively(path, copy);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot copy " + path + " to " + copy, e);
            }
            entries.add(copy.toString());
        }
        return String.join(File.pathSeparator, entries);
    }

    private static void copyRecursively(Path source, Path target) throws IOException {
        try (Stream<Path> paths = Files.walk(source)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                Path destination = target.resolve(source.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(destination);
                } else {
                    Files.createDirectories(destination.getParent());
                    Files.copy(p, destination, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private static int[] freePorts(int count) {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                socket.setReuseAddress(true);
                sockets.add(socket);
                ports[i] = socket.getLocalPort();
            }
            return ports;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find free ports", e);
        } finally {
            for (ServerSocket socket : sockets) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // closing a probe socket
                }
            }
        }
    }

    @Override
    public String toString() {
        return "TestCluster" + brokers + " in " + root;
    }
}
