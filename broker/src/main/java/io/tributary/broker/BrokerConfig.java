package io.tributary.broker;

import io.tributary.broker.internal.group.Assignors;
import io.tributary.broker.internal.group.GroupConfig;
import io.tributary.log.LogConfig;
import io.tributary.replication.ReplicationConfig;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * A broker's configuration: a properties file, overridden by environment variables, validated
 * once. Every key stands beside its default; {@link #build} refuses a bad value with a
 * {@link BrokerConfigException} naming the key and the value.
 *
 * <p>Environment overrides: {@code TRIBUTARY_<KEY>} with the key upper-cased and dots turned into
 * underscores ({@code TRIBUTARY_NODE_ID} sets {@code node.id}, {@code TRIBUTARY_LOG_RETENTION_MS}
 * sets {@code log.retention.ms}). Only variables that name a known key (or a {@code raft.*} or
 * {@code log.*} key) are applied; others (say {@code TRIBUTARY_HOME}) are left to the scripts
 * that use them. Unknown keys in the file are refused, so a typo is not silently ignored.
 *
 * <p>Topic defaults use Kafka's broker key names ({@code log.segment.bytes}, {@code
 * log.retention.ms}, {@code message.max.bytes}, ...) and map to the topic keys of
 * {@link LogConfig} ({@code segment.bytes}, {@code retention.ms}, {@code max.message.bytes}, ...);
 * see {@link #LOG_KEYS}. Keys {@code raft.*} (other than {@code raft.port}) are passed to Ratis
 * as they are.
 *
 * <p>Thread-safety: immutable.
 */
public final class BrokerConfig {

    /** This broker's id, unique in the cluster, &gt;= 0. Required. */
    public static final String NODE_ID = "node.id";
    /** The host clients and other brokers use to reach this broker. */
    public static final String ADVERTISED_HOST = "advertised.host";
    public static final String ADVERTISED_HOST_DEFAULT = "127.0.0.1";
    /** The address the client and metrics listeners bind to (0.0.0.0: every interface). */
    public static final String LISTEN_HOST = "listen.host";
    public static final String LISTEN_HOST_DEFAULT = "0.0.0.0";
    /** The client gRPC port. Required. */
    public static final String CLIENT_PORT = "client.port";
    /** The Ratis (Raft) port, shared by every Raft group of this broker. Required. */
    public static final String RAFT_PORT = "raft.port";
    /** The Prometheus metrics HTTP port; 0 disables the metrics server. */
    public static final String METRICS_PORT = "metrics.port";
    public static final int METRICS_PORT_DEFAULT = 0;
    /** Comma-separated directories for partition logs. Required. */
    public static final String DATA_DIRS = "data.dirs";
    /** Directory for Ratis storage (Raft logs, snapshots, the metadata quorum). */
    public static final String METADATA_DIR = "metadata.dir";
    /** Default of {@link #METADATA_DIR}: this name under the first data directory. */
    public static final String METADATA_DIR_DEFAULT_NAME = "metadata";
    /** The metadata quorum: {@code id@host:raftPort} comma-separated. Required. */
    public static final String CONTROLLER_VOTERS = "controller.voters";
    /** Rack or zone, for rack-aware placement. */
    public static final String RACK = "rack";
    public static final String RACK_DEFAULT = "";
    /** Partitions of a topic created without a count. */
    public static final String DEFAULT_PARTITIONS = "default.partitions";
    public static final int DEFAULT_PARTITIONS_DEFAULT = 1;
    /** Replicas per partition of a topic created without a factor (refused if above the live brokers). */
    public static final String DEFAULT_REPLICATION_FACTOR = "default.replication.factor";
    public static final int DEFAULT_REPLICATION_FACTOR_DEFAULT = 3;
    /** A broker silent this long is considered dead. */
    public static final String BROKER_SESSION_TIMEOUT_MS = "broker.session.timeout.ms";
    public static final long BROKER_SESSION_TIMEOUT_MS_DEFAULT = 6_000;
    /** A dead broker's replicas are re-created on live brokers after this. */
    public static final String REPLICA_REPLACEMENT_TIMEOUT_MS = "replica.replacement.timeout.ms";
    public static final long REPLICA_REPLACEMENT_TIMEOUT_MS_DEFAULT = 60_000;
    /** How often the controller moves leadership back to preferred leaders. */
    public static final String LEADER_BALANCE_INTERVAL_MS = "leader.balance.interval.ms";
    public static final long LEADER_BALANCE_INTERVAL_MS_DEFAULT = 30_000;
    /** Largest gRPC request the client listener accepts (must exceed message.max.bytes by 1 MiB). */
    public static final String MAX_REQUEST_BYTES = "max.request.bytes";
    public static final int MAX_REQUEST_BYTES_DEFAULT = 100 * 1024 * 1024;
    /** Threads that run gRPC handlers (they never block on disk waits or replication). 0: 2 x cores, at least 4. */
    public static final String CLIENT_THREADS = "client.threads";
    public static final int CLIENT_THREADS_DEFAULT = 0;
    /** How long a graceful shutdown may take: leadership hand-off plus draining requests in flight. */
    public static final String SHUTDOWN_TIMEOUT_MS = "shutdown.timeout.ms";
    public static final long SHUTDOWN_TIMEOUT_MS_DEFAULT = 15_000;
    /** Partitions of the internal topic __consumer_offsets, when a broker creates it. */
    public static final String GROUP_OFFSETS_TOPIC_PARTITIONS = "group.offsets.topic.partitions";
    /** Replication factor of __consumer_offsets (capped at the live brokers when it is created). */
    public static final String GROUP_OFFSETS_TOPIC_REPLICATION_FACTOR = "group.offsets.topic.replication.factor";
    /** A group member's session timeout when it asks for none. */
    public static final String GROUP_SESSION_TIMEOUT_MS = "group.session.timeout.ms";
    /** The smallest session timeout a member may ask for. */
    public static final String GROUP_MIN_SESSION_TIMEOUT_MS = "group.min.session.timeout.ms";
    /** The largest session timeout a member may ask for. */
    public static final String GROUP_MAX_SESSION_TIMEOUT_MS = "group.max.session.timeout.ms";
    /** The time a member has to give up revoked partitions when it asks for none. */
    public static final String GROUP_REBALANCE_TIMEOUT_MS = "group.rebalance.timeout.ms";
    /** The heartbeat interval given to members (shorter while their assignment changes). */
    public static final String GROUP_HEARTBEAT_INTERVAL_MS = "group.heartbeat.interval.ms";
    /** The assignor of members that name none: range, round-robin or sticky. */
    public static final String GROUP_ASSIGNOR = "group.assignor";
    /** The largest metadata string stored with a committed offset, in bytes. */
    public static final String GROUP_OFFSET_METADATA_MAX_BYTES = "group.offset.metadata.max.bytes";
    /**
     * {@code producer.id.expiration.ms} of topics that do not set it (the topic key of the same
     * name overrides it): a producer id with no append to a partition for this long is forgotten.
     */
    public static final String PRODUCER_ID_EXPIRATION_MS = "producer.id.expiration.ms";
    public static final long PRODUCER_ID_EXPIRATION_MS_DEFAULT = ReplicationConfig.PRODUCER_ID_EXPIRATION_MS_DEFAULT;
    /** A group without members and without commits for this long is deleted with its offsets. */
    public static final String GROUP_OFFSETS_RETENTION_MS = "group.offsets.retention.ms";
    /** How often each coordinator looks for groups past {@link #GROUP_OFFSETS_RETENTION_MS}. */
    public static final String GROUP_OFFSETS_RETENTION_CHECK_INTERVAL_MS = "group.offsets.retention.check.interval.ms";
    /** Enables the fault-injection HTTP endpoints (tests only). */
    public static final String TEST_FAULT_INJECTION_ENABLED = "test.fault.injection.enabled";
    public static final boolean TEST_FAULT_INJECTION_ENABLED_DEFAULT = false;

    /** Prefix of the keys passed through to Ratis. */
    public static final String RAFT_PREFIX = "raft.";
    /** Environment variable prefix of overrides. */
    public static final String ENV_PREFIX = "TRIBUTARY_";

    /**
     * Broker keys of topic defaults (Kafka's broker names) to the {@link LogConfig} topic key they
     * set. {@code message.max.bytes} is Kafka's name for the default of {@code max.message.bytes}.
     */
    public static final Map<String, String> LOG_KEYS;

    static {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("log.segment.bytes", LogConfig.SEGMENT_BYTES);
        m.put("log.roll.ms", LogConfig.SEGMENT_MS);
        m.put("log.index.size.max.bytes", LogConfig.SEGMENT_INDEX_BYTES);
        m.put("log.index.interval.bytes", LogConfig.INDEX_INTERVAL_BYTES);
        m.put("message.max.bytes", LogConfig.MAX_MESSAGE_BYTES);
        m.put("log.retention.ms", LogConfig.RETENTION_MS);
        m.put("log.retention.bytes", LogConfig.RETENTION_BYTES);
        m.put("log.cleanup.policy", LogConfig.CLEANUP_POLICY);
        m.put("log.cleaner.delete.retention.ms", LogConfig.DELETE_RETENTION_MS);
        m.put("log.cleaner.min.compaction.lag.ms", LogConfig.MIN_COMPACTION_LAG_MS);
        m.put("log.cleaner.min.cleanable.ratio", LogConfig.MIN_CLEANABLE_DIRTY_RATIO);
        m.put("log.message.timestamp.type", LogConfig.MESSAGE_TIMESTAMP_TYPE);
        m.put(LogConfig.READ_VERIFY_CRC, LogConfig.READ_VERIFY_CRC);
        m.put(LogConfig.CHECKPOINT_INTERVAL_MS, LogConfig.CHECKPOINT_INTERVAL_MS);
        LOG_KEYS = Collections.unmodifiableMap(m);
    }

    private static final Set<String> PLAIN_KEYS = Set.of(NODE_ID, ADVERTISED_HOST, LISTEN_HOST, CLIENT_PORT,
            RAFT_PORT, METRICS_PORT, DATA_DIRS, METADATA_DIR, CONTROLLER_VOTERS, RACK, DEFAULT_PARTITIONS,
            DEFAULT_REPLICATION_FACTOR, BROKER_SESSION_TIMEOUT_MS, REPLICA_REPLACEMENT_TIMEOUT_MS,
            LEADER_BALANCE_INTERVAL_MS, MAX_REQUEST_BYTES, CLIENT_THREADS, SHUTDOWN_TIMEOUT_MS,
            TEST_FAULT_INJECTION_ENABLED, GROUP_OFFSETS_TOPIC_PARTITIONS, GROUP_OFFSETS_TOPIC_REPLICATION_FACTOR,
            GROUP_SESSION_TIMEOUT_MS, GROUP_MIN_SESSION_TIMEOUT_MS, GROUP_MAX_SESSION_TIMEOUT_MS,
            GROUP_REBALANCE_TIMEOUT_MS, GROUP_HEARTBEAT_INTERVAL_MS, GROUP_ASSIGNOR, GROUP_OFFSET_METADATA_MAX_BYTES,
            PRODUCER_ID_EXPIRATION_MS, GROUP_OFFSETS_RETENTION_MS, GROUP_OFFSETS_RETENTION_CHECK_INTERVAL_MS);

    private static final int MAX_REQUEST_MARGIN_BYTES = 1024 * 1024;

    private final int nodeId;
    private final String advertisedHost;
    private final String listenHost;
    private final int clientPort;
    private final int raftPort;
    private final int metricsPort;
    private final List<Path> dataDirs;
    private final Path metadataDir;
    private final Map<Integer, String> controllerVoters;
    private final String rack;
    private final int defaultPartitions;
    private final int defaultReplicationFactor;
    private final long brokerSessionTimeoutMs;
    private final long replicaReplacementTimeoutMs;
    private final long leaderBalanceIntervalMs;
    private final int maxRequestBytes;
    private final int clientThreads;
    private final long shutdownTimeoutMs;
    private final long producerIdExpirationMs;
    private final boolean faultInjectionEnabled;
    private final LogConfig topicDefaults;
    private final GroupConfig groupConfig;
    private final Map<String, String> raftProperties;
    private final Map<String, String> effective;

    private BrokerConfig(Builder b, Map<String, String> v) {
        nodeId = requireInt(v, NODE_ID, null, 0, Integer.MAX_VALUE);
        advertisedHost = requireHost(v, ADVERTISED_HOST, ADVERTISED_HOST_DEFAULT);
        listenHost = requireHost(v, LISTEN_HOST, LISTEN_HOST_DEFAULT);
        clientPort = requireInt(v, CLIENT_PORT, null, 1, 65535);
        raftPort = requireInt(v, RAFT_PORT, null, 1, 65535);
        metricsPort = requireInt(v, METRICS_PORT, Integer.toString(METRICS_PORT_DEFAULT), 0, 65535);
        if (clientPort == raftPort) {
            throw invalid(RAFT_PORT, Integer.toString(raftPort), "different from " + CLIENT_PORT);
        }
        if (metricsPort != 0 && (metricsPort == clientPort || metricsPort == raftPort)) {
            throw invalid(METRICS_PORT, Integer.toString(metricsPort), "different from " + CLIENT_PORT + " and "
                    + RAFT_PORT);
        }
        dataDirs = parseDirs(v.get(DATA_DIRS));
        String metadata = v.get(METADATA_DIR);
        metadataDir = metadata == null || metadata.isBlank() ? dataDirs.get(0).resolve(METADATA_DIR_DEFAULT_NAME)
                : parsePath(METADATA_DIR, metadata);
        controllerVoters = parseVoters(v.get(CONTROLLER_VOTERS));
        String voterAddress = controllerVoters.get(nodeId);
        if (voterAddress != null) {
            String port = voterAddress.substring(voterAddress.lastIndexOf(':') + 1);
            if (Integer.parseInt(port) != raftPort) {
                throw new BrokerConfigException(CONTROLLER_VOTERS, CONTROLLER_VOTERS + " names this broker ("
                        + NODE_ID + "=" + nodeId + ") at " + voterAddress + " but " + RAFT_PORT + "=" + raftPort
                        + ": they must agree");
            }
        }
        rack = v.getOrDefault(RACK, RACK_DEFAULT).trim();
        defaultPartitions = requireInt(v, DEFAULT_PARTITIONS, Integer.toString(DEFAULT_PARTITIONS_DEFAULT), 1,
                100_000);
        defaultReplicationFactor = requireInt(v, DEFAULT_REPLICATION_FACTOR,
                Integer.toString(DEFAULT_REPLICATION_FACTOR_DEFAULT), 1, 100);
        brokerSessionTimeoutMs = requireLong(v, BROKER_SESSION_TIMEOUT_MS, BROKER_SESSION_TIMEOUT_MS_DEFAULT, 100);
        replicaReplacementTimeoutMs = requireLong(v, REPLICA_REPLACEMENT_TIMEOUT_MS,
                REPLICA_REPLACEMENT_TIMEOUT_MS_DEFAULT, 0);
        leaderBalanceIntervalMs = requireLong(v, LEADER_BALANCE_INTERVAL_MS, LEADER_BALANCE_INTERVAL_MS_DEFAULT, 0);
        clientThreads = requireInt(v, CLIENT_THREADS, Integer.toString(CLIENT_THREADS_DEFAULT), 0, 1024);
        shutdownTimeoutMs = requireLong(v, SHUTDOWN_TIMEOUT_MS, SHUTDOWN_TIMEOUT_MS_DEFAULT, 0);
        producerIdExpirationMs = requireLong(v, PRODUCER_ID_EXPIRATION_MS, PRODUCER_ID_EXPIRATION_MS_DEFAULT, 1);
        faultInjectionEnabled = requireBoolean(v, TEST_FAULT_INJECTION_ENABLED, TEST_FAULT_INJECTION_ENABLED_DEFAULT);
        topicDefaults = parseTopicDefaults(v);
        groupConfig = parseGroupConfig(v);
        maxRequestBytes = requireInt(v, MAX_REQUEST_BYTES, Integer.toString(MAX_REQUEST_BYTES_DEFAULT),
                1024, Integer.MAX_VALUE);
        if ((long) maxRequestBytes < (long) topicDefaults.maxMessageBytes() + MAX_REQUEST_MARGIN_BYTES) {
            throw invalid(MAX_REQUEST_BYTES, Integer.toString(maxRequestBytes), "at least message.max.bytes ("
                    + topicDefaults.maxMessageBytes() + ") + " + MAX_REQUEST_MARGIN_BYTES);
        }
        Map<String, String> raft = new TreeMap<>();
        v.forEach((k, val) -> {
            if (k.startsWith(RAFT_PREFIX) && !k.equals(RAFT_PORT)) {
                if (val.isBlank()) {
                    throw invalid(k, val, "a value (the Ratis setting is passed through as is)");
                }
                raft.put(k, val.trim());
            }
        });
        raftProperties = Collections.unmodifiableMap(raft);
        effective = effectiveMap(v);
    }

    /** A builder with nothing set. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Reads {@code file}, applies the {@code TRIBUTARY_*} entries of {@code env}, validates.
     *
     * @throws BrokerConfigException naming the file (unreadable) or the key and value (invalid)
     */
    public static BrokerConfig load(Path file, Map<String, String> env) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException | IllegalArgumentException e) {
            throw new BrokerConfigException(null, "cannot read broker configuration " + file + ": " + e.getMessage(),
                    e);
        }
        Builder b = builder();
        for (String key : p.stringPropertyNames()) {
            b.set(key, p.getProperty(key));
        }
        b.applyEnvironment(env);
        return b.build();
    }

    /** Parses key/value pairs (no environment). */
    public static BrokerConfig fromProperties(Map<String, String> props) {
        Builder b = builder();
        props.forEach(b::set);
        return b.build();
    }

    /** The key an environment variable {@code TRIBUTARY_X_Y} overrides ({@code x.y}), or null for other names. */
    public static String keyOfEnvironmentVariable(String name) {
        if (!name.startsWith(ENV_PREFIX) || name.length() == ENV_PREFIX.length()) {
            return null;
        }
        return name.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.');
    }

    /** The environment variable that overrides {@code key}. */
    public static String environmentVariableOf(String key) {
        return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_');
    }

    static boolean isKnownKey(String key) {
        return PLAIN_KEYS.contains(key) || LOG_KEYS.containsKey(key) || key.startsWith(RAFT_PREFIX);
    }

    // ------------------------------------------------------------------ accessors

    public int nodeId() {
        return nodeId;
    }

    public String advertisedHost() {
        return advertisedHost;
    }

    public String listenHost() {
        return listenHost;
    }

    public int clientPort() {
        return clientPort;
    }

    public int raftPort() {
        return raftPort;
    }

    /** 0 when the metrics server is disabled. */
    public int metricsPort() {
        return metricsPort;
    }

    public List<Path> dataDirs() {
        return dataDirs;
    }

    public Path metadataDir() {
        return metadataDir;
    }

    /** Node id to {@code host:raftPort}, in the order given. */
    public Map<Integer, String> controllerVoters() {
        return controllerVoters;
    }

    public String rack() {
        return rack;
    }

    public int defaultPartitions() {
        return defaultPartitions;
    }

    public int defaultReplicationFactor() {
        return defaultReplicationFactor;
    }

    public long brokerSessionTimeoutMs() {
        return brokerSessionTimeoutMs;
    }

    public long replicaReplacementTimeoutMs() {
        return replicaReplacementTimeoutMs;
    }

    public long leaderBalanceIntervalMs() {
        return leaderBalanceIntervalMs;
    }

    public int maxRequestBytes() {
        return maxRequestBytes;
    }

    /** gRPC handler threads, the default resolved. */
    public int clientThreads() {
        return clientThreads > 0 ? clientThreads : Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
    }

    public long shutdownTimeoutMs() {
        return shutdownTimeoutMs;
    }

    /** {@code producer.id.expiration.ms} of topics that do not set it. */
    public long producerIdExpirationMs() {
        return producerIdExpirationMs;
    }

    public boolean faultInjectionEnabled() {
        return faultInjectionEnabled;
    }

    /** Log settings of topics that do not override them. */
    public LogConfig topicDefaults() {
        return topicDefaults;
    }

    /** The group coordinator's settings ({@code group.*}). */
    public GroupConfig groupConfig() {
        return groupConfig;
    }

    /** {@code raft.*} settings passed to Ratis, by key. */
    public Map<String, String> raftProperties() {
        return raftProperties;
    }

    /** Every key with its effective value (defaults included), sorted by key: logged at start. */
    public Map<String, String> effectiveConfig() {
        return effective;
    }

    /** What the replication layer needs, from this configuration. */
    public ReplicationConfig toReplicationConfig() {
        return new ReplicationConfig(nodeId, advertisedHost, clientPort, raftPort, rack, dataDirs, metadataDir,
                controllerVoters, defaultPartitions, defaultReplicationFactor, topicDefaults, brokerSessionTimeoutMs,
                replicaReplacementTimeoutMs, leaderBalanceIntervalMs, raftProperties, producerIdExpirationMs);
    }

    @Override
    public String toString() {
        return "BrokerConfig" + effective;
    }

    // ------------------------------------------------------------------ parsing

    private Map<String, String> effectiveMap(Map<String, String> v) {
        Map<String, String> m = new TreeMap<>();
        m.put(NODE_ID, Integer.toString(nodeId));
        m.put(ADVERTISED_HOST, advertisedHost);
        m.put(LISTEN_HOST, listenHost);
        m.put(CLIENT_PORT, Integer.toString(clientPort));
        m.put(RAFT_PORT, Integer.toString(raftPort));
        m.put(METRICS_PORT, Integer.toString(metricsPort));
        m.put(DATA_DIRS, String.join(",", dataDirs.stream().map(Path::toString).toList()));
        m.put(METADATA_DIR, metadataDir.toString());
        List<String> voters = new ArrayList<>();
        controllerVoters.forEach((id, addr) -> voters.add(id + "@" + addr));
        m.put(CONTROLLER_VOTERS, String.join(",", voters));
        m.put(RACK, rack);
        m.put(DEFAULT_PARTITIONS, Integer.toString(defaultPartitions));
        m.put(DEFAULT_REPLICATION_FACTOR, Integer.toString(defaultReplicationFactor));
        m.put(BROKER_SESSION_TIMEOUT_MS, Long.toString(brokerSessionTimeoutMs));
        m.put(REPLICA_REPLACEMENT_TIMEOUT_MS, Long.toString(replicaReplacementTimeoutMs));
        m.put(LEADER_BALANCE_INTERVAL_MS, Long.toString(leaderBalanceIntervalMs));
        m.put(MAX_REQUEST_BYTES, Integer.toString(maxRequestBytes));
        m.put(CLIENT_THREADS, Integer.toString(clientThreads()));
        m.put(SHUTDOWN_TIMEOUT_MS, Long.toString(shutdownTimeoutMs));
        m.put(TEST_FAULT_INJECTION_ENABLED, Boolean.toString(faultInjectionEnabled));
        m.put(PRODUCER_ID_EXPIRATION_MS, Long.toString(producerIdExpirationMs));
        m.put(GROUP_OFFSETS_TOPIC_PARTITIONS, Integer.toString(groupConfig.offsetsTopicPartitions()));
        m.put(GROUP_OFFSETS_TOPIC_REPLICATION_FACTOR, Integer.toString(groupConfig.offsetsTopicReplicationFactor()));
        m.put(GROUP_SESSION_TIMEOUT_MS, Integer.toString(groupConfig.sessionTimeoutMs()));
        m.put(GROUP_MIN_SESSION_TIMEOUT_MS, Integer.toString(groupConfig.minSessionTimeoutMs()));
        m.put(GROUP_MAX_SESSION_TIMEOUT_MS, Integer.toString(groupConfig.maxSessionTimeoutMs()));
        m.put(GROUP_REBALANCE_TIMEOUT_MS, Integer.toString(groupConfig.rebalanceTimeoutMs()));
        m.put(GROUP_HEARTBEAT_INTERVAL_MS, Integer.toString(groupConfig.heartbeatIntervalMs()));
        m.put(GROUP_ASSIGNOR, groupConfig.assignor());
        m.put(GROUP_OFFSET_METADATA_MAX_BYTES, Integer.toString(groupConfig.offsetMetadataMaxBytes()));
        m.put(GROUP_OFFSETS_RETENTION_MS, Long.toString(groupConfig.offsetsRetentionMs()));
        m.put(GROUP_OFFSETS_RETENTION_CHECK_INTERVAL_MS,
                Long.toString(groupConfig.offsetsRetentionCheckIntervalMs()));
        Map<String, String> topic = topicDefaults.toProperties();
        LOG_KEYS.forEach((brokerKey, topicKey) -> m.put(brokerKey, topic.get(topicKey)));
        m.putAll(raftProperties);
        return Collections.unmodifiableMap(m);
    }

    private static GroupConfig parseGroupConfig(Map<String, String> v) {
        int partitions = requireInt(v, GROUP_OFFSETS_TOPIC_PARTITIONS,
                Integer.toString(GroupConfig.OFFSETS_TOPIC_PARTITIONS_DEFAULT), 1, 1000);
        int rf = requireInt(v, GROUP_OFFSETS_TOPIC_REPLICATION_FACTOR,
                Integer.toString(GroupConfig.OFFSETS_TOPIC_REPLICATION_FACTOR_DEFAULT), 1, 100);
        int minSession = requireInt(v, GROUP_MIN_SESSION_TIMEOUT_MS,
                Integer.toString(GroupConfig.MIN_SESSION_TIMEOUT_MS_DEFAULT), 1, Integer.MAX_VALUE);
        int maxSession = requireInt(v, GROUP_MAX_SESSION_TIMEOUT_MS,
                Integer.toString(GroupConfig.MAX_SESSION_TIMEOUT_MS_DEFAULT), minSession, Integer.MAX_VALUE);
        int session = requireInt(v, GROUP_SESSION_TIMEOUT_MS, Integer.toString(GroupConfig.SESSION_TIMEOUT_MS_DEFAULT),
                minSession, maxSession);
        int rebalance = requireInt(v, GROUP_REBALANCE_TIMEOUT_MS,
                Integer.toString(GroupConfig.REBALANCE_TIMEOUT_MS_DEFAULT), 1, Integer.MAX_VALUE);
        int heartbeat = requireInt(v, GROUP_HEARTBEAT_INTERVAL_MS,
                Integer.toString(GroupConfig.HEARTBEAT_INTERVAL_MS_DEFAULT), 1, session);
        String assignor = v.getOrDefault(GROUP_ASSIGNOR, GroupConfig.ASSIGNOR_DEFAULT).trim();
        if (Assignors.byName(assignor) == null) {
            throw invalid(GROUP_ASSIGNOR, assignor, "one of " + String.join(", ", Assignors.NAMES));
        }
        int metadataBytes = requireInt(v, GROUP_OFFSET_METADATA_MAX_BYTES,
                Integer.toString(GroupConfig.OFFSET_METADATA_MAX_BYTES_DEFAULT), 0, 1024 * 1024);
        long retention = requireLong(v, GROUP_OFFSETS_RETENTION_MS, GroupConfig.OFFSETS_RETENTION_MS_DEFAULT, 1);
        long retentionCheck = requireLong(v, GROUP_OFFSETS_RETENTION_CHECK_INTERVAL_MS,
                GroupConfig.OFFSETS_RETENTION_CHECK_INTERVAL_MS_DEFAULT, 1);
        return new GroupConfig(partitions, rf, session, minSession, maxSession, rebalance, heartbeat, assignor,
                metadataBytes, retention, retentionCheck);
    }

    private static LogConfig parseTopicDefaults(Map<String, String> v) {
        LogConfig.Builder b = LogConfig.builder();
        for (Map.Entry<String, String> e : LOG_KEYS.entrySet()) {
            String value = v.get(e.getKey());
            if (value == null) {
                continue;
            }
            try {
                b.set(e.getValue(), value);
            } catch (IllegalArgumentException ex) {
                throw new BrokerConfigException(e.getKey(), renameLogKeys(ex.getMessage()), ex);
            }
        }
        try {
            return b.build();
        } catch (IllegalArgumentException ex) {
            String message = renameLogKeys(ex.getMessage());
            String key = message.contains("=") ? message.substring(0, message.indexOf('=')) : null;
            throw new BrokerConfigException(key, message, ex);
        }
    }

    /** Rewrites LogConfig's topic keys in a message into the broker keys an operator wrote. */
    private static String renameLogKeys(String message) {
        String out = message;
        for (Map.Entry<String, String> e : LOG_KEYS.entrySet()) {
            if (!e.getKey().equals(e.getValue()) && out.startsWith(e.getValue() + "=")) {
                out = e.getKey() + out.substring(e.getValue().length());
            }
            out = out.replace("(" + e.getValue() + " ", "(" + e.getKey() + " ")
                    .replace("most " + e.getValue() + " ", "most " + e.getKey() + " ");
        }
        return out;
    }

    private static BrokerConfigException invalid(String key, String value, String expected) {
        return new BrokerConfigException(key, key + "=" + value + " is not valid: must be " + expected);
    }

    private static int requireInt(Map<String, String> v, String key, String dflt, int min, int max) {
        String raw = v.get(key);
        if (raw == null || raw.isBlank()) {
            if (dflt == null) {
                throw new BrokerConfigException(key, key + " is required (set it in the file or as "
                        + environmentVariableOf(key) + ")");
            }
            raw = dflt;
        }
        String s = raw.trim();
        int value;
        try {
            value = Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw invalid(key, raw, "an integer between " + min + " and " + max);
        }
        if (value < min || value > max) {
            throw invalid(key, raw, min + ".." + max);
        }
        return value;
    }

    private static long requireLong(Map<String, String> v, String key, long dflt, long min) {
        String raw = v.get(key);
        if (raw == null || raw.isBlank()) {
            return dflt;
        }
        long value;
        try {
            value = Long.parseLong(raw.trim());
        } catch (NumberFormatException e) {
            throw invalid(key, raw, "an integer of at least " + min);
        }
        if (value < min) {
            throw invalid(key, raw, "at least " + min);
        }
        return value;
    }

    private static boolean requireBoolean(Map<String, String> v, String key, boolean dflt) {
        String raw = v.get(key);
        if (raw == null || raw.isBlank()) {
            return dflt;
        }
        String s = raw.trim();
        if (s.equalsIgnoreCase("true")) {
            return true;
        }
        if (s.equalsIgnoreCase("false")) {
            return false;
        }
        throw invalid(key, raw, "true or false");
    }

    private static String requireHost(Map<String, String> v, String key, String dflt) {
        String raw = v.get(key);
        if (raw == null || raw.isBlank()) {
            return dflt;
        }
        String s = raw.trim();
        if (!s.matches("[A-Za-z0-9._:\\-\\[\\]]+")) {
            throw invalid(key, raw, "a host name or IP address");
        }
        return s;
    }

    private static List<Path> parseDirs(String raw) {
        if (raw == null || raw.isBlank()) {
            throw new BrokerConfigException(DATA_DIRS, DATA_DIRS + " is required (set it in the file or as "
                    + environmentVariableOf(DATA_DIRS) + ")");
        }
        List<Path> dirs = new ArrayList<>();
        for (String part : raw.split(",")) {
            String s = part.trim();
            if (s.isEmpty()) {
                throw invalid(DATA_DIRS, raw, "a comma-separated list of directories without empty entries");
            }
            Path p = parsePath(DATA_DIRS, s).toAbsolutePath().normalize();
            if (dirs.contains(p)) {
                throw invalid(DATA_DIRS, raw, "a list without duplicates (" + p + " appears twice)");
            }
            dirs.add(p);
        }
        return List.copyOf(dirs);
    }

    private static Path parsePath(String key, String raw) {
        try {
            return Paths.get(raw.trim()).toAbsolutePath().normalize();
        } catch (RuntimeException e) {
            throw invalid(key, raw, "a file system path");
        }
    }

    /** {@code 1@127.0.0.1:7501,2@host:7502}: ordered, ids unique. */
    static Map<Integer, String> parseVoters(String raw) {
        if (raw == null || raw.isBlank()) {
            throw new BrokerConfigException(CONTROLLER_VOTERS, CONTROLLER_VOTERS
                    + " is required: the metadata quorum as id@host:raftPort,... (e.g. 1@127.0.0.1:7501)");
        }
        Map<Integer, String> voters = new LinkedHashMap<>();
        for (String part : raw.split(",")) {
            String s = part.trim();
            int at = s.indexOf('@');
            int colon = s.lastIndexOf(':');
            if (at <= 0 || colon <= at + 1 || colon == s.length() - 1) {
                throw invalid(CONTROLLER_VOTERS, raw, "a comma-separated list of id@host:port (entry '" + s
                        + "' is not)");
            }
            int id;
            int port;
            try {
                id = Integer.parseInt(s.substring(0, at));
                port = Integer.parseInt(s.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw invalid(CONTROLLER_VOTERS, raw, "a comma-separated list of id@host:port with numeric id and"
                        + " port (entry '" + s + "' is not)");
            }
            if (id < 0 || port < 1 || port > 65535) {
                throw invalid(CONTROLLER_VOTERS, raw, "ids >= 0 and ports 1..65535 (entry '" + s + "' is not)");
            }
            if (voters.put(id, s.substring(at + 1)) != null) {
                throw invalid(CONTROLLER_VOTERS, raw, "a list naming each id once (" + id + " appears twice)");
            }
        }
        return Collections.unmodifiableMap(voters);
    }

    /**
     * Collects raw key/value pairs; {@link #build()} validates them all at once. Not thread-safe.
     */
    public static final class Builder {
        private final Map<String, String> values = new LinkedHashMap<>();

        private Builder() {
        }

        /**
         * Sets a key.
         *
         * @throws BrokerConfigException for a key this broker does not know
         */
        public Builder set(String key, String value) {
            String k = key.trim();
            if (!isKnownKey(k)) {
                throw new BrokerConfigException(k, "unknown configuration key '" + k + "'" + suggestion(k));
            }
            values.put(k, value == null ? "" : value);
            return this;
        }

        public Builder set(String key, Object value) {
            return set(key, String.valueOf(value));
        }

        public Builder nodeId(int id) {
            return set(NODE_ID, id);
        }

        public Builder clientPort(int port) {
            return set(CLIENT_PORT, port);
        }

        public Builder raftPort(int port) {
            return set(RAFT_PORT, port);
        }

        public Builder metricsPort(int port) {
            return set(METRICS_PORT, port);
        }

        public Builder dataDirs(Path... dirs) {
            List<String> s = new ArrayList<>();
            for (Path d : dirs) {
                s.add(d.toString());
            }
            return set(DATA_DIRS, String.join(",", s));
        }

        public Builder controllerVoters(String voters) {
            return set(CONTROLLER_VOTERS, voters);
        }

        /** Applies {@code TRIBUTARY_*} variables that name a key; ignores the rest. */
        public Builder applyEnvironment(Map<String, String> env) {
            new TreeMap<>(env).forEach((name, value) -> {
                String key = keyOfEnvironmentVariable(name);
                if (key != null && isKnownKey(key)) {
                    values.put(key, value);
                }
            });
            return this;
        }

        /** Validates every value. */
        public BrokerConfig build() {
            return new BrokerConfig(this, Map.copyOf(values));
        }

        private static String suggestion(String key) {
            for (String known : PLAIN_KEYS) {
                if (distance(known, key) <= 2) {
                    return " (did you mean '" + known + "'?)";
                }
            }
            for (String known : LOG_KEYS.keySet()) {
                if (distance(known, key) <= 2) {
                    return " (did you mean '" + known + "'?)";
                }
            }
            for (Map.Entry<String, String> e : LOG_KEYS.entrySet()) {
                if (e.getValue().equals(key)) {
                    return " (the broker-wide default of topic key " + key + " is '" + e.getKey() + "')";
                }
            }
            return "";
        }

        private static int distance(String a, String b) {
            int[] prev = new int[b.length() + 1];
            int[] cur = new int[b.length() + 1];
            for (int j = 0; j <= b.length(); j++) {
                prev[j] = j;
            }
            for (int i = 1; i <= a.length(); i++) {
                cur[0] = i;
                for (int j = 1; j <= b.length(); j++) {
                    int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                    cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
                }
                int[] t = prev;
                prev = cur;
                cur = t;
            }
            return prev[b.length()];
        }
    }
}
