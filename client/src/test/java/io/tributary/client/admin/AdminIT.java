package io.tributary.client.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.tributary.broker.BrokerConfig;
import io.tributary.client.TestBrokers;
import io.tributary.client.TopicPartition;
import io.tributary.client.errors.ClientTimeoutException;
import io.tributary.client.errors.ConfigException;
import io.tributary.client.errors.GroupIdNotFoundException;
import io.tributary.client.errors.InvalidConfigurationException;
import io.tributary.client.errors.InvalidPartitionsException;
import io.tributary.client.errors.InvalidReplicationFactorException;
import io.tributary.client.errors.InvalidRequestException;
import io.tributary.client.errors.InvalidTopicException;
import io.tributary.client.errors.TopicExistsException;
import io.tributary.client.errors.UnknownTopicOrPartitionException;
import io.tributary.proto.v1.GroupServiceGrpc;
import io.tributary.proto.v1.OffsetCommitPartition;
import io.tributary.proto.v1.OffsetCommitRequest;
import io.tributary.proto.v1.OffsetCommitResponse;
import io.tributary.record.Compression;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@link Admin} against one real broker in this JVM: topics, configs, partitions, cluster, groups, bad input. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class AdminIT {

    TestBrokers broker;
    Admin admin;
    ManagedChannel channel;

    @BeforeAll
    void start(@TempDir Path dir) {
        // The broker's own session timeout (not the harness's 3 s): this class always ran with it.
        broker = new TestBrokers(dir, 1, Map.of(BrokerConfig.GROUP_OFFSETS_TOPIC_PARTITIONS, "2",
                BrokerConfig.BROKER_SESSION_TIMEOUT_MS, Long.toString(BrokerConfig.BROKER_SESSION_TIMEOUT_MS_DEFAULT)))
                .start();
        admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrap(), "default.api.timeout.ms", "30000"));
        channel = ManagedChannelBuilder.forTarget(broker.bootstrap()).usePlaintext().build();
    }

    @AfterAll
    void stop() {
        if (channel != null) {
            channel.shutdownNow();
        }
        if (admin != null) {
            admin.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void shouldCreateListDescribeAndDeleteATopic() {
        CreatedTopic created = admin.createTopic(new NewTopic("orders", 3, 1, Map.of("retention.ms", "3600000")));
        assertThat(created.partitions()).isEqualTo(3);
        assertThat(created.replicationFactor()).isEqualTo(1);
        assertThat(created.topicId()).isNotEmpty();

        assertThat(admin.listTopics(false)).extracting(TopicListing::name).contains("orders");
        TopicListing listing = admin.listTopics(false).stream().filter(t -> t.name().equals("orders")).findFirst()
                .orElseThrow();
        assertThat(listing.partitions()).isEqualTo(3);
        assertThat(listing.topicId()).isEqualTo(created.topicId());

        TopicDescription d = admin.describeTopic("orders");
        assertThat(d.partitions()).hasSize(3);
        assertThat(d.replicationFactor()).isEqualTo(1);
        for (PartitionDescription p : d.partitions()) {
            assertThat(p.leaderId()).isEqualTo(1);
            assertThat(p.replicas()).containsExactly(1);
            assertThat(p.inSyncReplicas()).containsExactly(1);
        }
        assertThat(d.configs()).contains(new ConfigEntry("retention.ms", "3600000", ConfigEntry.Source.TOPIC));
        assertThat(d.configs()).anyMatch(c -> c.name().equals("cleanup.policy")
                && c.source() == ConfigEntry.Source.DEFAULT);

        admin.deleteTopic("orders");
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(admin.listTopics(false)).extracting(TopicListing::name).doesNotContain("orders"));
        assertThatThrownBy(() -> admin.describeTopic("orders")).isInstanceOf(UnknownTopicOrPartitionException.class);
    }

    @Test
    void shouldAnswerPerTopicAndRefuseBadTopics() {
        Map<String, Result<CreatedTopic>> r = admin.createTopics(List.of(new NewTopic("good-one", 1, 1, Map.of()),
                new NewTopic("bad name!", 1, 1, Map.of())), false);
        assertThat(r.get("good-one").succeeded()).isTrue();
        assertThat(r.get("bad name!").error()).isInstanceOf(InvalidTopicException.class);

        assertThatThrownBy(() -> admin.createTopic(new NewTopic("good-one", 1, 1, Map.of())))
                .isInstanceOf(TopicExistsException.class);
        assertThatThrownBy(() -> admin.createTopic(new NewTopic("too-many-replicas", 1, 3, Map.of())))
                .isInstanceOf(InvalidReplicationFactorException.class);
        assertThatThrownBy(() -> admin.createTopic(new NewTopic("bad-config", 1, 1, Map.of("retention.ms", "soon"))))
                .isInstanceOf(InvalidConfigurationException.class).hasMessageContaining("retention.ms")
                .hasMessageContaining("soon");
        assertThatThrownBy(() -> admin.createTopic(new NewTopic("__mine", 1, 1, Map.of())))
                .isInstanceOf(InvalidTopicException.class);
        assertThatThrownBy(() -> admin.describeTopic("no-such-topic"))
                .isInstanceOf(UnknownTopicOrPartitionException.class).hasMessageContaining("no-such-topic");
        assertThatThrownBy(() -> admin.deleteTopic("no-such-topic"))
                .isInstanceOf(UnknownTopicOrPartitionException.class);
        assertThatThrownBy(() -> admin.createTopics(List.of(), false)).isInstanceOf(InvalidRequestException.class);

        // validate only: nothing created
        assertThat(admin.createTopics(List.of(new NewTopic("validated", 2, 1, Map.of())), true).get("validated")
                .value().partitions()).isEqualTo(2);
        assertThat(admin.listTopics(false)).extracting(TopicListing::name).doesNotContain("validated");
    }

    @Test
    void shouldAlterConfigsAndAddPartitions() {
        admin.createTopic(new NewTopic("configured", 1, 1, Map.of()));
        admin.alterConfigs("configured", Map.of("retention.ms", "60000", "cleanup.policy", "compact"), Set.of(), false);
        assertThat(admin.describeConfigs("configured"))
                .contains(new ConfigEntry("retention.ms", "60000", ConfigEntry.Source.TOPIC))
                .contains(new ConfigEntry("cleanup.policy", "compact", ConfigEntry.Source.TOPIC));

        admin.alterConfigs("configured", Map.of(), Set.of("retention.ms"), false);
        assertThat(admin.describeConfigs("configured")).anyMatch(c -> c.name().equals("retention.ms")
                && c.source() == ConfigEntry.Source.DEFAULT);

        assertThatThrownBy(() -> admin.alterConfigs("configured", Map.of("segment.bytes", "-5"), Set.of(), false))
                .isInstanceOf(InvalidConfigurationException.class).hasMessageContaining("segment.bytes");
        assertThatThrownBy(() -> admin.alterConfigs("configured", Map.of("no.such.key", "1"), Set.of(), false))
                .isInstanceOf(InvalidConfigurationException.class).hasMessageContaining("no.such.key");
        assertThatThrownBy(() -> admin.alterConfigs("no-such-topic", Map.of("retention.ms", "1"), Set.of(), false))
                .isInstanceOf(UnknownTopicOrPartitionException.class);
        assertThatThrownBy(() -> admin.alterConfigs("configured", Map.of(), Set.of(), false))
                .isInstanceOf(InvalidRequestException.class);

        admin.createPartitions("configured", 3);
        assertThat(admin.describeTopic("configured").partitions()).hasSize(3);
        assertThatThrownBy(() -> admin.createPartitions("configured", 2)).isInstanceOf(InvalidPartitionsException.class);
    }

    @Test
    void shouldDescribeTheCluster() {
        ClusterDescription c = admin.describeCluster();
        assertThat(c.clusterId()).isNotEmpty();
        assertThat(c.controllerId()).isEqualTo(1);
        assertThat(c.brokers()).hasSize(1);
        assertThat(c.brokers().get(0).alive()).isTrue();
        assertThat(c.brokers().get(0).port()).isEqualTo(Integer.parseInt(broker.bootstrap().split(":")[1]));
    }

    @Test
    void shouldDescribeResetAndDeleteAGroup() {
        admin.createTopic(new NewTopic("events", 2, 1, Map.of()));
        produce("events", 0, 10);
        produce("events", 1, 4);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(admin.describeTopic("events").partitions()).extracting(PartitionDescription::highWatermark)
                        .containsExactly(10L, 4L));

        // A standalone commit (a group without members), as a tool would make it.
        // (retried while the broker creates __consumer_offsets on first use).
        OffsetCommitRequest commitRequest = OffsetCommitRequest.newBuilder().setGroupId("billing")
                .addPartitions(OffsetCommitPartition.newBuilder().setTopic("events").setPartition(0).setOffset(7))
                .addPartitions(OffsetCommitPartition.newBuilder().setTopic("events").setPartition(1).setOffset(4))
                .build();
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> {
            OffsetCommitResponse commit = GroupServiceGrpc.newBlockingStub(channel).offsetCommit(commitRequest);
            assertThat(commit.getPartitionsList()).allMatch(p -> p.getError().getCodeValue() == 0);
        });

        assertThat(admin.listGroups()).extracting(GroupListing::groupId).contains("billing");
        GroupDescription g = admin.describeGroup("billing");
        assertThat(g.state()).isEqualTo(GroupState.EMPTY);
        assertThat(g.members()).isEmpty();
        assertThat(g.offsets()).containsExactly(
                new PartitionLag(new TopicPartition("events", 0), 7, 10, 3, "", null),
                new PartitionLag(new TopicPartition("events", 1), 4, 4, 0, "", null));
        assertThat(g.totalLag()).isEqualTo(3);

        List<OffsetReset> dry = admin.resetOffsets("billing", List.of("events"), List.of(),
                OffsetResetTarget.earliest(), true);
        assertThat(dry).extracting(OffsetReset::newOffset).containsExactly(0L, 0L);
        assertThat(dry).extracting(OffsetReset::previousOffset).containsExactly(7L, 4L);
        assertThat(admin.describeGroup("billing").offsets()).extracting(PartitionLag::committedOffset)
                .containsExactly(7L, 4L);

        admin.resetOffsets("billing", List.of("events"), List.of(), OffsetResetTarget.latest(), false);
        assertThat(admin.describeGroup("billing").totalLag()).isZero();
        List<OffsetReset> toOffset = admin.resetOffsets("billing", List.of(), List.of(new TopicPartition("events", 0)),
                OffsetResetTarget.offset(2), false);
        assertThat(toOffset).extracting(OffsetReset::newOffset).containsExactly(2L);
        assertThat(admin.resetOffsets("billing", List.of("events"), List.of(), OffsetResetTarget.time(0), true))
                .extracting(OffsetReset::newOffset).containsExactly(0L, 0L);
        assertThatThrownBy(() -> admin.resetOffsets("billing", List.of(), List.of(), OffsetResetTarget.earliest(),
                false)).isInstanceOf(InvalidRequestException.class);

        admin.deleteGroup("billing");
        assertThatThrownBy(() -> admin.describeGroup("billing")).isInstanceOf(GroupIdNotFoundException.class);
        assertThat(admin.listGroups()).extracting(GroupListing::groupId).doesNotContain("billing");
    }

    @Test
    void shouldFailForAnUnknownGroup() {
        assertThatThrownBy(() -> admin.describeGroup("nobody")).isInstanceOf(GroupIdNotFoundException.class)
                .hasMessageContaining("nobody");
        assertThat(admin.deleteGroups(List.of("nobody")).get("nobody").error())
                .isInstanceOf(GroupIdNotFoundException.class);
    }

    @Test
    void shouldFailClearlyAndInBoundedTimeWhenNoBrokerAnswers() {
        int port = TestBrokers.freePort(); // nothing listens there
        long start = System.nanoTime();
        try (Admin unreachable = Admin.create(Map.of("bootstrap.servers", "127.0.0.1:" + port,
                "default.api.timeout.ms", "1500", "request.timeout.ms", "1000"))) {
            assertThatThrownBy(unreachable::describeCluster).isInstanceOf(ClientTimeoutException.class)
                    .hasMessageContaining("describing the cluster did not complete in time")
                    .hasMessageContaining("127.0.0.1:" + port);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void shouldRefuseABadConfiguration() {
        assertThatThrownBy(() -> Admin.create(Map.of())).isInstanceOf(ConfigException.class)
                .hasMessageContaining("bootstrap.servers");
        assertThatThrownBy(() -> Admin.create(Map.of("bootstrap.servers", "nohostport")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("nohostport");
    }

    /** {@code count} records with no key and values v0, v1, ... (raw, so these tests need no producer). */
    private void produce(String topic, int partition, int count) {
        broker.produce(topic, partition, Compression.NONE,
                IntStream.range(0, count).mapToObj(i -> new TestBrokers.Rec(null, "v" + i)).toList());
    }
}
