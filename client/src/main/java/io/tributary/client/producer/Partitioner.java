package io.tributary.client.producer;

import io.tributary.client.internal.Cluster;
import io.tributary.client.internal.PartitionInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The default partitioner, as Kafka's: a record with a key goes to
 * {@code toPositive(murmur2(serializedKey)) % partitionCount}, so the same key lands on the same
 * partition as with Kafka's producer for the same partition count; a record without a key goes to
 * the topic's current sticky partition, which changes (at random, preferring partitions with a
 * leader) each time the sticky partition's batch is closed and a new one would start, so null-key
 * records fill whole batches instead of spreading thin ones over every partition.
 *
 * <p>Thread-safety: thread-safe.
 */
final class Partitioner {

    private final Map<String, Integer> sticky = new ConcurrentHashMap<>();

    /** Kafka's partition for a serialized key. */
    static int partitionForKey(byte[] key, int partitionCount) {
        return toPositive(murmur2(key)) % partitionCount;
    }

    /** The topic's sticky partition, choosing one the first time. */
    int stickyPartition(String topic, Cluster cluster, int partitionCount) {
        Integer p = sticky.get(topic);
        if (p != null && p < partitionCount) {
            return p;
        }
        return choose(topic, cluster, partitionCount, -1);
    }

    /**
     * The batch of {@code previous} is closed: picks another sticky partition for the topic (if
     * another thread has not already) and returns it.
     */
    int onNewBatch(String topic, Cluster cluster, int partitionCount, int previous) {
        Integer current = sticky.get(topic);
        if (current != null && current != previous && current < partitionCount) {
            return current;
        }
        return choose(topic, cluster, partitionCount, previous);
    }

    private int choose(String topic, Cluster cluster, int partitionCount, int avoid) {
        List<Integer> candidates = new ArrayList<>();
        List<PartitionInfo> parts = cluster.partitions(topic);
        if (parts != null) {
            for (PartitionInfo p : parts) {
                int index = p.topicPartition().partition();
                if (index < partitionCount && p.leaderId() >= 0 && index != avoid) {
                    candidates.add(index);
                }
            }
        }
        int chosen;
        ThreadLocalRandom random = ThreadLocalRandom.current();
        if (!candidates.isEmpty()) {
            chosen = candidates.get(random.nextInt(candidates.size()));
        } else if (partitionCount > 1 && avoid >= 0) {
            chosen = (avoid + 1 + random.nextInt(partitionCount - 1)) % partitionCount;
        } else {
            chosen = random.nextInt(partitionCount);
        }
        sticky.put(topic, chosen);
        return chosen;
    }

    static int toPositive(int n) {
        return n & 0x7fffffff;
    }

    /** MurmurHash2, 32-bit, seed 0x9747b28c, as Kafka's {@code Utils.murmur2}. */
    @SuppressWarnings("fallthrough")
    static int murmur2(byte[] data) {
        int length = data.length;
        final int m = 0x5bd1e995;
        final int r = 24;
        int h = 0x9747b28c ^ length;
        int length4 = length / 4;
        for (int i = 0; i < length4; i++) {
            int i4 = i * 4;
            int k = (data[i4] & 0xff) + ((data[i4 + 1] & 0xff) << 8) + ((data[i4 + 2] & 0xff) << 16)
                    + ((data[i4 + 3] & 0xff) << 24);
            k *= m;
            k ^= k >>> r;
            k *= m;
            h *= m;
            h ^= k;
        }
        int tail = length & ~3;
        switch (length % 4) {
            case 3:
                h ^= (data[tail + 2] & 0xff) << 16;
                // fall through
            case 2:
                h ^= (data[tail + 1] & 0xff) << 8;
                // fall through
            case 1:
                h ^= data[tail] & 0xff;
                h *= m;
                break;
            default:
                break;
        }
        h ^= h >>> 13;
        h *= m;
        h ^= h >>> 15;
        return h;
    }
}
