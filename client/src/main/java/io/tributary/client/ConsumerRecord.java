package io.tributary.client;

import io.tributary.record.Header;
import io.tributary.record.TimestampType;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A record read from a partition, deserialized.
 *
 * <p>Thread-safety: immutable as long as the key, value and header values are not mutated.
 *
 * @param topic               the topic
 * @param partition           the partition
 * @param offset              the record's offset
 * @param timestamp           the record's timestamp in ms (create time, or the broker's append time)
 * @param timestampType       what the timestamp means
 * @param serializedKeySize   the key's size in bytes, -1 for a null key
 * @param serializedValueSize the value's size in bytes, -1 for a null value
 * @param key                 the key, may be null
 * @param value               the value, may be null (a tombstone)
 * @param headers             headers in stored order, never null
 * @param leaderEpoch         the partition leader epoch stamped into the record's batch, if any
 */
public record ConsumerRecord<K, V>(String topic, int partition, long offset, long timestamp,
                                   TimestampType timestampType, int serializedKeySize, int serializedValueSize,
                                   K key, V value, List<Header> headers, Optional<Integer> leaderEpoch) {

    public ConsumerRecord {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(timestampType, "timestampType");
        headers = headers == null ? List.of() : List.copyOf(headers);
        leaderEpoch = leaderEpoch == null ? Optional.empty() : leaderEpoch;
    }

    public TopicPartition topicPartition() {
        return new TopicPartition(topic, partition);
    }

    /** The last header with this key, or null. */
    public Header lastHeader(String key) {
        for (int i = headers.size() - 1; i >= 0; i--) {
            if (headers.get(i).key().equals(key)) {
                return headers.get(i);
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return "ConsumerRecord(" + topic + "-" + partition + "@" + offset + ", timestamp=" + timestamp + " "
                + timestampType + ", key=" + key + ", value=" + value + ", headers=" + headers + ")";
    }
}
