package io.tributary.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.client.ClientConfig;
import io.tributary.client.TopicPartition;
import io.tributary.client.errors.NotLeaderException;
import io.tributary.client.errors.UnknownTopicOrPartitionException;
import io.tributary.proto.v1.Broker;
import io.tributary.proto.v1.ErrorCode;
import io.tributary.proto.v1.ErrorDetail;
import io.tributary.proto.v1.MetadataResponse;
import io.tributary.proto.v1.PartitionMetadata;
import io.tributary.proto.v1.TopicMetadata;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MetadataCacheTest {

    final ClientConfig config = ClientConfig.of(Map.of("bootstrap.servers", "127.0.0.1:1",
            "retry.backoff.ms", "60000", "retry.backoff.max.ms", "60000"));
    final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    final ChannelPool channels = new ChannelPool(config);
    final MetadataCache cache = new MetadataCache(config, channels, scheduler);

    @AfterEach
    void close() {
        cache.close();
        channels.close();
        scheduler.shutdownNow();
    }

    static MetadataResponse answer(int leader, int epoch) {
        return MetadataResponse.newBuilder().setClusterId("c").setControllerId(1)
                .addBrokers(Broker.newBuilder().setBrokerId(1).setHost("127.0.0.1").setPort(1))
                .addBrokers(Broker.newBuilder().setBrokerId(2).setHost("127.0.0.1").setPort(2))
                .addTopics(TopicMetadata.newBuilder().setName("t")
                        .addPartitions(PartitionMetadata.newBuilder().setPartition(1).setLeaderId(2).setLeaderEpoch(3)
                                .addReplicaIds(1).addReplicaIds(2))
                        .addPartitions(PartitionMetadata.newBuilder().setPartition(0).setLeaderId(leader)
                                .setLeaderEpoch(epoch).addReplicaIds(1).addReplicaIds(2)))
                .build();
    }

    @Test
    void shouldKeepPartitionsInOrderAndResolveLeaders() {
        Cluster c = cache.update(Set.of("t"), answer(1, 5));
        assertThat(c.partitionCount("t")).isEqualTo(2);
        assertThat(c.partitions("t").get(0).topicPartition()).isEqualTo(new TopicPartition("t", 0));
        assertThat(c.leader(new TopicPartition("t", 0)).port()).isEqualTo(1);
        assertThat(c.leader(new TopicPartition("t", 1)).id()).isEqualTo(2);
        assertThat(c.leader(new TopicPartition("t", 7))).isNull();
        assertThat(c.partitionCount("other")).isEqualTo(-1);
        assertThat(cache.cluster()).isSameAs(c);
    }

    @Test
    void shouldUseANewerLeaderHintAtOnceAndNeverGoBackToAnOlderEpoch() {
        cache.update(Set.of("t"), answer(1, 5));
        TopicPartition tp = new TopicPartition("t", 0);
        cache.applyLeaderHint(tp, new NotLeaderException("moved", 2, 4));
        assertThat(cache.cluster().leader(tp).id()).as("an older hint is ignored").isEqualTo(1);
        cache.applyLeaderHint(tp, new NotLeaderException("moved", 2, 6));
        assertThat(cache.cluster().leader(tp).id()).isEqualTo(2);
        assertThat(cache.cluster().partition(tp).leaderEpoch()).isEqualTo(6);
        cache.update(Set.of("t"), answer(1, 5));
        assertThat(cache.cluster().leader(tp).id()).as("a trailing broker's answer").isEqualTo(2);
        cache.update(Set.of("t"), answer(1, 7));
        assertThat(cache.cluster().leader(tp).id()).isEqualTo(1);
        cache.applyLeaderHint(tp, new NotLeaderException("unknown broker", 9, 8));
        assertThat(cache.cluster().leader(tp).id()).as("a hint naming an unknown broker").isEqualTo(1);
    }

    @Test
    void shouldRecordATopicErrorAndForgetADeletedTopic() {
        cache.update(Set.of("t"), answer(1, 5));
        Cluster c = cache.update(Set.of("t"), MetadataResponse.newBuilder().addTopics(TopicMetadata.newBuilder()
                .setName("t").setError(ErrorDetail.newBuilder().setCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
                        .setMessage("no topic t"))).build());
        assertThat(c.partitions("t")).isNull();
        assertThat(c.topicError("t")).isInstanceOf(UnknownTopicOrPartitionException.class).hasMessage("no topic t");
        assertThat(c.brokers()).as("an answer without brokers keeps the known ones").hasSize(2);
    }
}
