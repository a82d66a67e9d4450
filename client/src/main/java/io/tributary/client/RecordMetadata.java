package io.tributary.client;

/**
 * Where an acknowledged record was written.
 *
 * <p>Thread-safety: immutable.
 *
 * @param topic               the topic
 * @param partition           the partition
 * @param offset              the record's offset, or -1 when the producer sent with
 *                            {@code acks=none} (the broker does not wait to learn it)
 * @param timestamp           the record's timestamp: its create time, or the broker's append time
 *                            when the topic uses {@code LogAppendTime}
 * @param serializedKeySize   the key's size in bytes, -1 for a null key
 * @param serializedValueSize the value's size in bytes, -1 for a null value
 */
public record RecordMetadata(String topic, int partition, long offset, long timestamp, int serializedKeySize,
                             int serializedValueSize) {

    public TopicPartition topicPartition() {
        return new TopicPartition(topic, partition);
    }

    public boolean hasOffset() {
        return offset >= 0;
    }

    @Override
    public String toString() {
        return topic + "-" + partition + "@" + offset;
    }
}
