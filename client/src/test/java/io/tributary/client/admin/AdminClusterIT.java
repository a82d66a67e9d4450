package io.tributary.client.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.tributary.client.TestBrokers;
import io.tributary.client.TopicPartition;
import io.tributary.client.consumer.Consumer;
import io.tributary.client.consumer.OffsetAndMetadata;
import io.tributary.client.internal.BrokerNode;
import io.tributary.client.serde.Serdes;
import io.tributary.proto.v1.FindCoordinatorRequest;
import io.tributary.proto.v1.GroupCoordinator;
import io.tributary.proto.v1.MetadataServiceGrpc;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Admin} on three brokers in this JVM, bootstrapped from one broker only: groups are
 * listed (every live broker asked, answers merged), described and deleted through their
 * coordinators, found with FindCoordinator; a stale cached coordinator is corrected from the
 * NOT_COORDINATOR hint; topics are described with their replicas.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class AdminClusterIT {

    static final int BROKERS = 3;
    static final int GROUPS = 8;

    TestBrokers brokers;
    Admin admin;

    @BeforeAll
    void start(@TempDir Path dir) {
        brokers = new TestBrokers(dir, BROKERS, Map.of("group.offsets.topic.partitions", "3",
                "broker.session.timeout.ms", "3000")).start();
        admin = Admin.create(Map.of("bootstrap.servers", brokers.address(2), "default.api.timeout.ms", "60000"));
        await().atMost(Duration.ofSeconds(60)).until(() ->
                admin.describeCluster().brokers().stream().filter(BrokerDescription::alive).count() == BROKERS);
    }

    @AfterAll
    void stop() {
        if (admin != null) {
            admin.close();
        }
        if (brokers != null) {
            brokers.close();
        }
    }

    @Test
    void shouldListDescribeAndDeleteGroupsCoordinatedByDifferentBrokers() {
        admin.createTopic(new NewTopic("shared", 2, 3, Map.of()));
        TopicDescription t = admin.describeTopic("shared");
        assertThat(t.replicationFactor()).isEqualTo(3);
        assertThat(t.partitions()).allSatisfy(p -> assertThat(p.replicas()).containsExactlyInAnyOrder(1, 2, 3));

        // Standalone commits through the SDK consumer (it finds each group's coordinator itself).
        for (int g = 0; g < GROUPS; g++) {
            try (Consumer<byte[], byte[]> c = new Consumer<>(Map.of("bootstrap.servers", brokers.address(1),
                    "group.id", "group-" + g), Serdes.bytesDeserializer(), Serdes.bytesDeserializer())) {
                c.assign(List.of(new TopicPartition("shared", 0)));
                c.commitSync(Map.of(new TopicPartition("shared", 0), new OffsetAndMetadata(0)));
            }
        }
        Map<String, Integer> coordinators = coordinators();

        List<String> listed = admin.listGroups().stream().map(GroupListing::groupId).toList();
        for (int g = 0; g < GROUPS; g++) {
            assertThat(listed).contains("group-" + g);
            GroupDescription d = admin.describeGroup("group-" + g);
            assertThat(d.offsets()).containsExactly(
                    new PartitionLag(new TopicPartition("shared", 0), 0, 0, 0, "", null));
        }

        // A stale cache entry (the coordinator moved): NOT_COORDINATOR with a hint, followed.
        int actual = coordinators.get("group-0");
        int wrong = actual % BROKERS + 1; // a broker that is not the coordinator
        admin.calls().cacheCoordinator("group-0", new BrokerNode(wrong, "127.0.0.1",
                Integer.parseInt(brokers.address(wrong).split(":")[1]), ""));
        assertThat(admin.describeGroup("group-0").offsets()).hasSize(1);
        assertThat(admin.calls().cachedCoordinator("group-0").id()).isEqualTo(actual);

        List<String> ids = new ArrayList<>();
        for (int g = 0; g < GROUPS; g++) {
            ids.add("group-" + g);
        }
        assertThat(admin.deleteGroups(ids).values()).allMatch(Result::succeeded);
        assertThat(admin.listGroups()).extracting(GroupListing::groupId).doesNotContainAnyElementsOf(ids);
    }

    /** The broker id that coordinates each of group-0..group-N, asked directly. */
    private Map<String, Integer> coordinators() {
        ManagedChannel ch = ManagedChannelBuilder.forTarget(brokers.address(1)).usePlaintext().build();
        try {
            FindCoordinatorRequest.Builder req = FindCoordinatorRequest.newBuilder();
            for (int g = 0; g < GROUPS; g++) {
                req.addGroupIds("group-" + g);
            }
            Map<String, Integer> ids = new HashMap<>();
            for (GroupCoordinator c : MetadataServiceGrpc.newBlockingStub(ch).findCoordinator(req.build())
                    .getCoordinatorsList()) {
                ids.put(c.getGroupId(), c.getCoordinator().getBrokerId());
            }
            return ids;
        } finally {
            ch.shutdownNow();
        }
    }
}
