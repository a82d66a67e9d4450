package io.tributary.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tributary.proto.v1.DescribeTopicsRequest;
import io.tributary.proto.v1.ErrorCode;
import io.tributary.proto.v1.InitProducerIdRequest;
import io.tributary.proto.v1.PartitionProduceResult;
import io.tributary.proto.v1.ProduceRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker key {@code producer.id.expiration.ms} is the expiry of topics that do not set the
 * topic key; a topic's own value wins.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ProducerIdExpirationIT {

    static final long BROKER_EXPIRATION_MS = 500;

    TestCluster cluster;

    @BeforeAll
    void start(@TempDir Path dir) {
        cluster = new TestCluster(dir, 1, Map.of("producer.id.expiration.ms", Long.toString(BROKER_EXPIRATION_MS)))
                .start();
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void shouldExpireProducersByTheBrokerDefaultUnlessTheTopicSetsItsOwn() {
        cluster.createTopic("by-broker", 1, 1, Map.of());
        cluster.createTopic("by-topic", 1, 1, Map.of("producer.id.expiration.ms", "86400000"));
        var described = cluster.admin(1).describeTopics(DescribeTopicsRequest.newBuilder().addNames("by-broker")
                .addNames("by-topic").setIncludeConfigs(true).build());
        assertThat(described.getTopics(0).getConfigsList()).anySatisfy(c -> {
            assertThat(c.getName()).isEqualTo("producer.id.expiration.ms");
            assertThat(c.getValue()).isEqualTo("500");
            assertThat(c.getSource()).isNotEqualTo(io.tributary.proto.v1.ConfigSource.CONFIG_SOURCE_TOPIC);
        });
        assertThat(described.getTopics(1).getConfigsList()).anySatisfy(c -> {
            assertThat(c.getName()).isEqualTo("producer.id.expiration.ms");
            assertThat(c.getValue()).isEqualTo("86400000");
            assertThat(c.getSource()).isEqualTo(io.tributary.proto.v1.ConfigSource.CONFIG_SOURCE_TOPIC);
        });

        long pid = cluster.produce(1).initProducerId(InitProducerIdRequest.getDefaultInstance()).getProducer()
                .getProducerId();
        for (String topic : new String[] {"by-broker", "by-topic"}) {
            PartitionProduceResult first = cluster.produceRetrying(1, ProduceRequest.newBuilder().addPartitions(
                    BrokerBadInputIT.data(topic, 0, BrokerBadInputIT.keyed(pid, 0, 0, null, "a"))).build())
                    .getPartitions(0);
            assertThat(first.hasError()).as("%s", first.getError()).isFalse();
        }
        long written = System.currentTimeMillis();
        // Producer state expires by the time stamped into the next entry: let well over the
        // broker's expiry pass (and stay far below the topic's own day).
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> System.currentTimeMillis() - written > 3 * BROKER_EXPIRATION_MS);

        PartitionProduceResult expired = produce("by-broker", pid, 1);
        assertThat(expired.getError().getCode()).as("%s", expired.getError()).isEqualTo(ErrorCode.UNKNOWN_PRODUCER_ID);
        assertThat(expired.getBaseOffset()).isEqualTo(-1);
        PartitionProduceResult kept = produce("by-topic", pid, 1);
        assertThat(kept.hasError()).as("the topic's own expiry keeps the producer: %s", kept.getError()).isFalse();
        assertThat(kept.getBaseOffset()).isEqualTo(1);
        // Forgotten, the producer starts again at sequence 0.
        PartitionProduceResult restarted = produce("by-broker", pid, 0);
        assertThat(restarted.hasError()).as("%s", restarted.getError()).isFalse();
        assertThat(restarted.getBaseOffset()).isEqualTo(1);
    }

    private PartitionProduceResult produce(String topic, long pid, int sequence) {
        return cluster.produce(1).produce(ProduceRequest.newBuilder().addPartitions(BrokerBadInputIT.data(topic, 0,
                BrokerBadInputIT.keyed(pid, 0, sequence, null, "v" + sequence))).build()).getPartitions(0);
    }
}
