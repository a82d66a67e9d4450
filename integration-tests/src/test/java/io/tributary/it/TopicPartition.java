package io.tributary.it;

/** One partition of one topic, as the tests name it ({@code orders-2}). */
public record TopicPartition(String topic, int partition) {

    public static TopicPartition of(String topic, int partition) {
        return new TopicPartition(topic, partition);
    }

    /** The replica's directory name on disk, {@code <topic>-<partition>} (log-segment FORMAT.md). */
    public String dirName() {
        return topic + "-" + partition;
    }

    @Override
    public String toString() {
        return dirName();
    }
}
