package io.tributary.client.producer;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.client.ClientConfig;
import io.tributary.client.internal.ChannelPool;
import io.tributary.client.internal.Cluster;
import io.tributary.client.internal.MetadataCache;
import io.tributary.client.internal.MetadataCacheAccess;
import io.tributary.proto.v1.Broker;
import io.tributary.proto.v1.MetadataResponse;
import io.tributary.proto.v1.PartitionMetadata;
import io.tributary.proto.v1.TopicMetadata;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PartitionerTest {

    @Test
    void shouldHashExactlyLikeKafkasMurmur2() {
        Random random = new Random(42);
        for (int length = 0; length < 64; length++) {
            for (int i = 0; i < 50; i++) {
                byte[] key = new byte[length];
                random.nextBytes(key);
                assertThat(Partitioner.murmur2(key)).isEqualTo(Utils.murmur2(key));
            }
        }
    }

    @Test
    void shouldPickTheSamePartitionAsKafkasDefaultPartitioner() {
        Random random = new Random(7);
        for (int n : new int[] {1, 2, 3, 6, 7, 12, 100, 1000}) {
            for (int i = 0; i < 2000; i++) {
                byte[] key = ("key-" + random.nextLong()).getBytes(StandardCharsets.UTF_8);
                assertThat(Partitioner.partitionForKey(key, n)).isEqualTo(BuiltInPartitioner.partitionForKey(key, n));
            }
        }
        // Keys whose hash is Integer.MIN_VALUE-like negatives are made positive the same way.
        byte[] empty = new byte[0];
        assertThat(Partitioner.partitionForKey(empty, 13)).isEqualTo(BuiltInPartitioner.partitionForKey(empty, 13));
    }

    static Cluster cluster(int partitions, int... leaderless) {
        MetadataCache cache = new MetadataCache(ClientConfig.of(Map.of("bootstrap.servers", "127.0.0.1:1")),
                new ChannelPool(ClientConfig.of(Map.of("bootstrap.servers", "127.0.0.1:1"))), null);
        TopicMetadata.Builder t = TopicMetadata.newBuilder().setName("t");
        Set<Integer> none = new HashSet<>();
        for (int p : leaderless) {
            none.add(p);
        }
        for (int p = 0; p < partitions; p++) {
            t.addPartitions(PartitionMetadata.newBuilder().setPartition(p).setLeaderId(none.contains(p) ? -1 : 1)
                    .setLeaderEpoch(1).addReplicaIds(1));
        }
        return MetadataCacheAccess.update(cache, MetadataResponse.newBuilder()
                .addBrokers(Broker.newBuilder().setBrokerId(1).setHost("127.0.0.1").setPort(1)).addTopics(t).build());
    }

    @Test
    void shouldStickToOnePartitionUntilItsBatchClosesThenMoveToAnotherWithALeader() {
        Cluster cluster = cluster(4, 2);
        Partitioner partitioner = new Partitioner();
        int sticky = partitioner.stickyPartition("t", cluster, 4);
        assertThat(sticky).isNotEqualTo(2);
        for (int i = 0; i < 10; i++) {
            assertThat(partitioner.stickyPartition("t", cluster, 4)).isEqualTo(sticky);
        }
        Set<Integer> seen = new HashSet<>();
        int previous = sticky;
        for (int i = 0; i < 200; i++) {
            int next = partitioner.onNewBatch("t", cluster, 4, previous);
            assertThat(next).isNotEqualTo(previous).isNotEqualTo(2);
            assertThat(partitioner.stickyPartition("t", cluster, 4)).isEqualTo(next);
            // A second thread seeing the same closed batch keeps the new choice.
            assertThat(partitioner.onNewBatch("t", cluster, 4, previous)).isEqualTo(next);
            seen.add(next);
            previous = next;
        }
        assertThat(seen).containsExactlyInAnyOrder(0, 1, 3);
        Cluster single = cluster(1);
        assertThat(new Partitioner().onNewBatch("t", single, 1, 0)).isZero();
    }
}
