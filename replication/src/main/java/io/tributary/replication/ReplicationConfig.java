package io.tributary.replication;

import io.tributary.log.LogConfig;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a broker's replication layer needs to start. Built by the broker from its properties file
 * (which validates keys and values and names the bad ones); this record only re-checks
 * invariants.
 *
 * @param nodeId this broker's id (unique, &gt;= 0)
 * @param advertisedHost the host other brokers and clients use to reach this broker
 * @param clientPort this broker's client gRPC port (registered in the metadata so clients find it)
 * @param raftPort the port of this broker's Ratis server (all Raft groups share it)
 * @param rack rack or zone for placement, or ""
 * @param dataDirs directories for partition logs (partitions are spread over them)
 * @param metadataDir directory for Ratis storage (Raft logs, snapshots, metadata)
 * @param controllerVoters the metadata quorum's voters: node id to {@code host:raftPort}
 * @param defaultPartitions partitions of a topic created without a count
 * @param defaultReplicationFactor replicas of a topic created without a factor
 * @param topicDefaults log settings of topics that do not override them
 * @param brokerSessionTimeoutMs a broker silent this long is considered dead (not alive)
 * @param replicaReplacementTimeoutMs a dead broker's replicas are moved to live brokers after this
 * @param leaderBalanceIntervalMs how often the controller moves leadership to preferred leaders
 * @param raftProperties extra Ratis settings ({@code raft.*} keys), applied last
 * @param producerIdExpirationMs {@code producer.id.expiration.ms} of topics that do not set it: a
 *     producer id with no append to a partition for this long is forgotten by the partition
 */
public record ReplicationConfig(int nodeId, String advertisedHost, int clientPort, int raftPort, String rack,
                                List<Path> dataDirs, Path metadataDir, Map<Integer, String> controllerVoters,
                                int defaultPartitions, int defaultReplicationFactor, LogConfig topicDefaults,
                                long brokerSessionTimeoutMs, long replicaReplacementTimeoutMs,
                                long leaderBalanceIntervalMs, Map<String, String> raftProperties,
                                long producerIdExpirationMs) {

    /** Default of {@link #producerIdExpirationMs()}: Kafka's, one day. */
    public static final long PRODUCER_ID_EXPIRATION_MS_DEFAULT = 86_400_000L;

    /** A configuration with the default {@link #producerIdExpirationMs()}. */
    public ReplicationConfig(int nodeId, String advertisedHost, int clientPort, int raftPort, String rack,
                             List<Path> dataDirs, Path metadataDir, Map<Integer, String> controllerVoters,
                             int defaultPartitions, int defaultReplicationFactor, LogConfig topicDefaults,
                             long brokerSessionTimeoutMs, long replicaReplacementTimeoutMs,
                             long leaderBalanceIntervalMs, Map<String, String> raftProperties) {
        this(nodeId, advertisedHost, clientPort, raftPort, rack, dataDirs, metadataDir, controllerVoters,
                defaultPartitions, defaultReplicationFactor, topicDefaults, brokerSessionTimeoutMs,
                replicaReplacementTimeoutMs, leaderBalanceIntervalMs, raftProperties,
                PRODUCER_ID_EXPIRATION_MS_DEFAULT);
    }

    public ReplicationConfig {
        Objects.requireNonNull(advertisedHost, "advertisedHost");
        Objects.requireNonNull(rack, "rack");
        Objects.requireNonNull(metadataDir, "metadataDir");
        Objects.requireNonNull(topicDefaults, "topicDefaults");
        dataDirs = List.copyOf(dataDirs);
        controllerVoters = Map.copyOf(controllerVoters);
        raftProperties = Map.copyOf(raftProperties);
        if (nodeId < 0) {
            throw new IllegalArgumentException("node id " + nodeId + " is negative");
        }
        if (dataDirs.isEmpty()) {
            throw new IllegalArgumentException("no data directory");
        }
        if (controllerVoters.isEmpty()) {
            throw new IllegalArgumentException("no controller voter");
        }
        if (defaultPartitions < 1 || defaultReplicationFactor < 1) {
            throw new IllegalArgumentException("default partitions and replication factor must be at least 1");
        }
        if (producerIdExpirationMs < 1) {
            throw new IllegalArgumentException("producer id expiration " + producerIdExpirationMs
                    + " ms must be at least 1");
        }
    }

    /** {@code advertisedHost:raftPort}. */
    public String raftAddress() {
        return advertisedHost + ":" + raftPort;
    }

    public boolean isControllerVoter() {
        return controllerVoters.containsKey(nodeId);
    }
}
