package io.tributary.client.internal;

import io.tributary.client.TopicPartition;
import io.tributary.client.errors.TributaryException;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An immutable snapshot of the cluster metadata a client knows: live brokers, and for each topic
 * of interest its partitions with leaders and epochs, or the error the broker answered for it
 * (e.g. the topic does not exist). {@link MetadataCache} replaces it as a whole on each update.
 *
 * <p>Thread-safety: immutable.
 */
public final class Cluster {

    static final Cluster EMPTY = new Cluster("", -1, Map.of(), Map.of(), Map.of(), 0L);

    private final String clusterId;
    private final int controllerId;
    private final Map<Integer, BrokerNode> brokers;
    private final Map<String, List<PartitionInfo>> partitions;
    private final Map<String, TributaryException> topicErrors;
    private final long updatedNanos;

    Cluster(String clusterId, int controllerId, Map<Integer, BrokerNode> brokers,
            Map<String, List<PartitionInfo>> partitions, Map<String, TributaryException> topicErrors,
            long updatedNanos) {
        this.clusterId = clusterId;
        this.controllerId = controllerId;
        this.brokers = Collections.unmodifiableMap(new HashMap<>(brokers));
        this.partitions = Collections.unmodifiableMap(new HashMap<>(partitions));
        this.topicErrors = Collections.unmodifiableMap(new HashMap<>(topicErrors));
        this.updatedNanos = updatedNanos;
    }

    public String clusterId() {
        return clusterId;
    }

    /** The controller's broker id, -1 when unknown. */
    public int controllerId() {
        return controllerId;
    }

    /** Live brokers by id. */
    public Map<Integer, BrokerNode> brokers() {
        return brokers;
    }

    public BrokerNode broker(int id) {
        return brokers.get(id);
    }

    /** The partitions of {@code topic} in partition order, or null when the topic is not known (yet). */
    public List<PartitionInfo> partitions(String topic) {
        return partitions.get(topic);
    }

    /** The number of partitions of {@code topic}, -1 when not known. */
    public int partitionCount(String topic) {
        List<PartitionInfo> p = partitions.get(topic);
        return p == null ? -1 : p.size();
    }

    /** The partition, or null when unknown. */
    public PartitionInfo partition(TopicPartition tp) {
        List<PartitionInfo> p = partitions.get(tp.topic());
        return p == null || tp.partition() >= p.size() ? null : p.get(tp.partition());
    }

    /** The partition's leader, or null when it has none or the broker is not known. */
    public BrokerNode leader(TopicPartition tp) {
        PartitionInfo p = partition(tp);
        return p == null || p.leaderId() < 0 ? null : brokers.get(p.leaderId());
    }

    /** The error the broker answered for {@code topic} (e.g. it does not exist), or null. */
    public TributaryException topicError(String topic) {
        return topicErrors.get(topic);
    }

    /** Topics whose partitions are known. */
    public java.util.Set<String> topics() {
        return partitions.keySet();
    }

    Map<String, List<PartitionInfo>> partitionsByTopic() {
        return partitions;
    }

    Map<String, TributaryException> topicErrors() {
        return topicErrors;
    }

    /** System.nanoTime() of the update that produced this snapshot, 0 for the empty one. */
    public long updatedNanos() {
        return updatedNanos;
    }

    @Override
    public String toString() {
        return "Cluster(brokers=" + brokers.values() + ", topics=" + partitions.keySet() + ", errors="
                + topicErrors.keySet() + ")";
    }
}
