package io.tributary.client;

import io.tributary.record.Header;
import java.util.List;
import java.util.Objects;

/**
 * A record to send: topic, optional partition, key, value, headers and optional timestamp.
 *
 * <p>With a {@code null} partition the producer's partitioner picks one: murmur2 of the serialized
 * key (Kafka's default, so the same key lands on the same partition as with Kafka's producer for
 * the same partition count), or a sticky partition for a null key. With a {@code null} timestamp
 * the producer stamps the current time. A {@code null} value is a tombstone (for compacted topics).
 *
 * <p>Thread-safety: immutable as long as the key, value and header values are not mutated.
 *
 * @param topic     the topic, not null
 * @param partition the partition, or null to let the partitioner choose
 * @param timestamp create time in ms since the epoch, or null for "now"
 * @param key       the key, may be null
 * @param value     the value, may be null
 * @param headers   headers in order, never null (empty list for none)
 */
public record ProducerRecord<K, V>(String topic, Integer partition, Long timestamp, K key, V value,
                                   List<Header> headers) {

    public ProducerRecord {
        Objects.requireNonNull(topic, "topic");
        if (topic.isEmpty()) {
            throw new IllegalArgumentException("topic must not be empty");
        }
        if (partition != null && partition < 0) {
            throw new IllegalArgumentException("partition " + partition + ": expected >= 0 or null");
        }
        if (timestamp != null && timestamp < 0) {
            throw new IllegalArgumentException("timestamp " + timestamp + ": expected >= 0 or null");
        }
        headers = headers == null ? List.of() : List.copyOf(headers);
    }

    public ProducerRecord(String topic, V value) {
        this(topic, null, null, null, value, List.of());
    }

    public ProducerRecord(String topic, K key, V value) {
        this(topic, null, null, key, value, List.of());
    }

    public ProducerRecord(String topic, Integer partition, K key, V value) {
        this(topic, partition, null, key, value, List.of());
    }

    public ProducerRecord(String topic, K key, V value, List<Header> headers) {
        this(topic, null, null, key, value, headers);
    }
}
