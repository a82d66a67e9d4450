package io.tributary.client.consumer;

import io.tributary.client.ConsumerRecord;
import io.tributary.client.TopicPartition;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The records one {@link Consumer#poll} returned, grouped by partition; within a partition in
 * offset order. Iterating gives every record, partition by partition.
 *
 * <p>Thread-safety: immutable.
 */
public final class ConsumerRecords<K, V> implements Iterable<ConsumerRecord<K, V>> {

    private static final ConsumerRecords<?, ?> EMPTY = new ConsumerRecords<>(Map.of());

    private final Map<TopicPartition, List<ConsumerRecord<K, V>>> records;
    private final int count;

    public ConsumerRecords(Map<TopicPartition, List<ConsumerRecord<K, V>>> records) {
        Map<TopicPartition, List<ConsumerRecord<K, V>>> copy = new LinkedHashMap<>();
        int n = 0;
        for (Map.Entry<TopicPartition, List<ConsumerRecord<K, V>>> e : records.entrySet()) {
            if (!e.getValue().isEmpty()) {
                copy.put(e.getKey(), List.copyOf(e.getValue()));
                n += e.getValue().size();
            }
        }
        this.records = Collections.unmodifiableMap(copy);
        this.count = n;
    }

    @SuppressWarnings("unchecked")
    public static <K, V> ConsumerRecords<K, V> empty() {
        return (ConsumerRecords<K, V>) EMPTY;
    }

    /** The records of one partition, in offset order (empty when none). */
    public List<ConsumerRecord<K, V>> records(TopicPartition partition) {
        return records.getOrDefault(partition, List.of());
    }

    /** The records of one topic, partition by partition. */
    public List<ConsumerRecord<K, V>> records(String topic) {
        List<ConsumerRecord<K, V>> out = new ArrayList<>();
        records.forEach((tp, list) -> {
            if (tp.topic().equals(topic)) {
                out.addAll(list);
            }
        });
        return out;
    }

    /** The partitions that have records in this set. */
    public Set<TopicPartition> partitions() {
        return records.keySet();
    }

    public int count() {
        return count;
    }

    public boolean isEmpty() {
        return count == 0;
    }

    @Override
    public Iterator<ConsumerRecord<K, V>> iterator() {
        return records.values().stream().flatMap(List::stream).iterator();
    }

    @Override
    public String toString() {
        return "ConsumerRecords(" + count + " records from " + records.keySet() + ")";
    }
}
