package io.tributary.client;

import java.util.Objects;

/**
 * One partition of one topic. Ordered by topic, then partition. {@link #toString()} is
 * {@code topic-partition}, as Kafka prints it.
 *
 * <p>Thread-safety: immutable.
 *
 * @param topic     topic name, not null
 * @param partition partition index, &gt;= 0
 */
public record TopicPartition(String topic, int partition) implements Comparable<TopicPartition> {

    public TopicPartition {
        Objects.requireNonNull(topic, "topic");
        if (partition < 0) {
            throw new IllegalArgumentException("partition " + partition + " of " + topic + ": expected >= 0");
        }
    }

    @Override
    public int compareTo(TopicPartition o) {
        int c = topic.compareTo(o.topic);
        return c != 0 ? c : Integer.compare(partition, o.partition);
    }

    @Override
    public String toString() {
        return topic + "-" + partition;
    }
}
