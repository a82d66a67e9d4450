package io.tributary.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.log.LogConfig;
import io.tributary.replication.ReplicationConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BrokerConfigTest {

    @TempDir
    Path dir;

    private Map<String, String> minimal() {
        Map<String, String> m = new HashMap<>();
        m.put("node.id", "1");
        m.put("client.port", "7401");
        m.put("raft.port", "7501");
        m.put("data.dirs", dir.resolve("d1").toString());
        m.put("controller.voters", "1@127.0.0.1:7501,2@127.0.0.1:7502,3@127.0.0.1:7503");
        return m;
    }

    private BrokerConfig parse(Map<String, String> m) {
        return BrokerConfig.fromProperties(m);
    }

    private void assertRejected(Map<String, String> m, String key, String... fragments) {
        assertThatThrownBy(() -> parse(m)).isInstanceOf(BrokerConfigException.class)
                .satisfies(e -> {
                    assertThat(((BrokerConfigException) e).key()).isEqualTo(key);
                    assertThat(e.getMessage()).contains(key);
                    for (String f : fragments) {
                        assertThat(e.getMessage()).contains(f);
                    }
                });
    }

    @Test
    void shouldApplyDefaultsToAMinimalConfig() {
        BrokerConfig c = parse(minimal());
        assertThat(c.nodeId()).isEqualTo(1);
        assertThat(c.advertisedHost()).isEqualTo("127.0.0.1");
        assertThat(c.metricsPort()).isZero();
        assertThat(c.defaultPartitions()).isEqualTo(1);
        assertThat(c.defaultReplicationFactor()).isEqualTo(3);
        assertThat(c.brokerSessionTimeoutMs()).isEqualTo(6000);
        assertThat(c.replicaReplacementTimeoutMs()).isEqualTo(60000);
        assertThat(c.leaderBalanceIntervalMs()).isEqualTo(30000);
        assertThat(c.faultInjectionEnabled()).isFalse();
        assertThat(c.metadataDir()).isEqualTo(dir.resolve("d1").resolve("metadata").toAbsolutePath());
        assertThat(c.controllerVoters()).containsExactly(Map.entry(1, "127.0.0.1:7501"), Map.entry(2, "127.0.0.1:7502"),
                Map.entry(3, "127.0.0.1:7503"));
        assertThat(c.topicDefaults()).isEqualTo(LogConfig.defaults());
        assertThat(c.producerIdExpirationMs()).isEqualTo(86_400_000L);
        assertThat(c.toReplicationConfig().producerIdExpirationMs()).isEqualTo(86_400_000L);
        assertThat(c.groupConfig().offsetsRetentionMs()).isEqualTo(7L * 24 * 3600 * 1000);
        assertThat(c.groupConfig().offsetsRetentionCheckIntervalMs()).isEqualTo(600_000);
    }

    @Test
    void shouldParseAndCheckTheOffsetsRetention() {
        Map<String, String> m = minimal();
        m.put("group.offsets.retention.ms", "60000");
        m.put("group.offsets.retention.check.interval.ms", "1000");
        BrokerConfig c = parse(m);
        assertThat(c.groupConfig().offsetsRetentionMs()).isEqualTo(60_000);
        assertThat(c.groupConfig().offsetsRetentionCheckIntervalMs()).isEqualTo(1000);
        assertThat(c.effectiveConfig()).containsEntry("group.offsets.retention.ms", "60000");
        m.put("group.offsets.retention.ms", "0");
        assertRejected(m, "group.offsets.retention.ms", "0", "at least 1");
        m = minimal();
        m.put("group.offsets.retention.check.interval.ms", "soon");
        assertRejected(m, "group.offsets.retention.check.interval.ms", "soon");
    }

    @Test
    void shouldPassTheBrokerProducerIdExpirationToReplication() {
        Map<String, String> m = minimal();
        m.put("producer.id.expiration.ms", "5000");
        BrokerConfig c = parse(m);
        assertThat(c.producerIdExpirationMs()).isEqualTo(5000);
        assertThat(c.toReplicationConfig().producerIdExpirationMs()).isEqualTo(5000);
        assertThat(c.effectiveConfig()).containsEntry("producer.id.expiration.ms", "5000");
        for (String bad : new String[] {"0", "-5", "a day"}) {
            m.put("producer.id.expiration.ms", bad);
            assertRejected(m, "producer.id.expiration.ms", bad, "at least 1");
        }
    }

    @Test
    void shouldMapKafkaBrokerLogKeysToTopicKeysAndPassRaftKeysThrough() {
        Map<String, String> m = minimal();
        m.put("log.segment.bytes", "1048576");
        m.put("log.retention.ms", "3600000");
        m.put("log.retention.bytes", "99999999");
        m.put("log.cleanup.policy", "compact");
        m.put("message.max.bytes", "500000");
        m.put("raft.server.log.segment.size.max", "64MB");
        BrokerConfig c = parse(m);
        assertThat(c.topicDefaults().segmentBytes()).isEqualTo(1048576);
        assertThat(c.topicDefaults().retentionMs()).isEqualTo(3600000);
        assertThat(c.topicDefaults().retentionBytes()).isEqualTo(99999999);
        assertThat(c.topicDefaults().cleanupPolicy()).isEqualTo(LogConfig.CleanupPolicy.COMPACT);
        assertThat(c.topicDefaults().maxMessageBytes()).isEqualTo(500000);
        assertThat(c.raftProperties()).containsExactly(Map.entry("raft.server.log.segment.size.max", "64MB"));
        assertThat(c.raftProperties()).doesNotContainKey("raft.port");

        ReplicationConfig rc = c.toReplicationConfig();
        assertThat(rc.nodeId()).isEqualTo(1);
        assertThat(rc.raftAddress()).isEqualTo("127.0.0.1:7501");
        assertThat(rc.topicDefaults()).isEqualTo(c.topicDefaults());
        assertThat(rc.raftProperties()).isEqualTo(c.raftProperties());
        assertThat(rc.controllerVoters()).hasSize(3);
        assertThat(rc.isControllerVoter()).isTrue();
        assertThat(rc.dataDirs()).containsExactly(dir.resolve("d1").toAbsolutePath());
    }

    @Test
    void shouldLetEnvironmentOverrideTheFile() throws Exception {
        Path file = dir.resolve("broker.properties");
        Files.writeString(file, "node.id=1\nclient.port=7401\nraft.port=7501\ndata.dirs=" + dir.resolve("a")
                + "\ncontroller.voters=1@127.0.0.1:7501,2@127.0.0.1:7502\n", StandardCharsets.UTF_8);
        Map<String, String> env = Map.of("TRIBUTARY_NODE_ID", "2", "TRIBUTARY_RAFT_PORT", "7502",
                "TRIBUTARY_LOG_RETENTION_MS", "1000", "TRIBUTARY_HOME", "/opt/tributary", "PATH", "/bin");
        BrokerConfig c = BrokerConfig.load(file, env);
        assertThat(c.nodeId()).isEqualTo(2);
        assertThat(c.raftPort()).isEqualTo(7502);
        assertThat(c.topicDefaults().retentionMs()).isEqualTo(1000);
        assertThat(BrokerConfig.environmentVariableOf("node.id")).isEqualTo("TRIBUTARY_NODE_ID");
        assertThat(BrokerConfig.keyOfEnvironmentVariable("TRIBUTARY_DEFAULT_REPLICATION_FACTOR"))
                .isEqualTo("default.replication.factor");
    }

    @Test
    void shouldLogEveryKeyInTheEffectiveConfig() {
        BrokerConfig c = parse(minimal());
        assertThat(c.effectiveConfig()).containsKeys("node.id", "advertised.host", "client.port", "raft.port",
                "metrics.port", "data.dirs", "metadata.dir", "controller.voters", "rack", "default.partitions",
                "default.replication.factor", "broker.session.timeout.ms", "replica.replacement.timeout.ms",
                "leader.balance.interval.ms", "log.segment.bytes", "log.retention.ms", "log.retention.bytes",
                "log.cleanup.policy", "message.max.bytes", "test.fault.injection.enabled");
        assertThat(c.effectiveConfig().get("controller.voters"))
                .isEqualTo("1@127.0.0.1:7501,2@127.0.0.1:7502,3@127.0.0.1:7503");
    }

    @Test
    void shouldRefuseMissingRequiredKeys() {
        for (String key : new String[] {"node.id", "client.port", "raft.port", "data.dirs", "controller.voters"}) {
            Map<String, String> m = minimal();
            m.remove(key);
            assertRejected(m, key, "required");
        }
    }

    @Test
    void shouldRefuseBadValuesNamingKeyAndValue() {
        Map<String, String> m = minimal();
        m.put("client.port", "70000");
        assertRejected(m, "client.port", "70000", "1..65535");

        m = minimal();
        m.put("node.id", "-3");
        assertRejected(m, "node.id", "-3");

        m = minimal();
        m.put("node.id", "one");
        assertRejected(m, "node.id", "one");

        m = minimal();
        m.put("default.replication.factor", "0");
        assertRejected(m, "default.replication.factor", "0");

        m = minimal();
        m.put("test.fault.injection.enabled", "yes");
        assertRejected(m, "test.fault.injection.enabled", "yes", "true or false");

        m = minimal();
        m.put("raft.port", "7401");
        assertRejected(m, "raft.port", "7401");

        m = minimal();
        m.put("broker.session.timeout.ms", "-1");
        assertRejected(m, "broker.session.timeout.ms", "-1");
    }

    @Test
    void shouldRefuseBadVoters() {
        Map<String, String> m = minimal();
        m.put("controller.voters", "1@127.0.0.1");
        assertRejected(m, "controller.voters", "1@127.0.0.1");

        m = minimal();
        m.put("controller.voters", "1@127.0.0.1:7501,1@127.0.0.1:7502");
        assertRejected(m, "controller.voters", "twice");

        m = minimal();
        m.put("controller.voters", "1@127.0.0.1:7999");
        assertRejected(m, "controller.voters", "raft.port=7501");
    }

    @Test
    void shouldRefuseBadTopicDefaultsUnderTheBrokerKey() {
        Map<String, String> m = minimal();
        m.put("log.segment.bytes", "12");
        assertRejected(m, "log.segment.bytes", "12");

        m = minimal();
        m.put("log.cleanup.policy", "shred");
        assertRejected(m, "log.cleanup.policy", "shred");

        m = minimal();
        m.put("message.max.bytes", "abc");
        assertRejected(m, "message.max.bytes", "abc");

        m = minimal();
        m.put("log.segment.bytes", "100000");
        m.put("message.max.bytes", "200000");
        assertRejected(m, "message.max.bytes", "200000", "log.segment.bytes");
    }

    @Test
    void shouldRefuseUnknownKeysWithASuggestion() {
        Map<String, String> m = minimal();
        m.put("node.idd", "1");
        assertRejected(m, "node.idd", "unknown", "node.id");

        m = minimal();
        m.put("retention.ms", "1");
        assertRejected(m, "retention.ms", "log.retention.ms");
    }

    @Test
    void shouldRefuseAnUnreadableFile() {
        assertThatThrownBy(() -> BrokerConfig.load(dir.resolve("missing.properties"), Map.of()))
                .isInstanceOf(BrokerConfigException.class).hasMessageContaining("missing.properties");
    }
}
