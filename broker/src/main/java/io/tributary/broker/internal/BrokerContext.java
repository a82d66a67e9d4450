package io.tributary.broker.internal;

import io.grpc.Status;
import io.tributary.log.LogConfig;
import io.tributary.proto.v1.ErrorCode;
import io.tributary.replication.ClusterMetadata;
import io.tributary.replication.PartitionReplica;
import io.tributary.replication.TopicInfo;
import io.tributary.replication.TopicPartition;

import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What every gRPC service of one broker shares: the replication node, the error mapper, topic
 * configs, metrics, a timer and the bounded executor that runs handlers and continuations; and
 * the routing rule from a topic partition to the replica that may serve it here.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class BrokerContext {

    /** Something long-lived (a stream) to end when the broker shuts down. */
    public interface Closeable {
        void closeForShutdown(Status status);
    }

    private final ReplicationAccess node;
    private final ErrorMapper errors;
    private final TopicConfigs topicConfigs;
    private final BrokerMetrics metrics;
    private final ScheduledExecutorService timer;
    private final Executor executor;
    private final Set<Closeable> streams = ConcurrentHashMap.newKeySet();
    private volatile boolean shuttingDown;

    public BrokerContext(ReplicationAccess node, TopicConfigs topicConfigs, BrokerMetrics metrics,
                         ScheduledExecutorService timer, Executor executor) {
        this.node = node;
        this.errors = new ErrorMapper(node.nodeId(), () -> node.clusterView().current());
        this.topicConfigs = topicConfigs;
        this.metrics = metrics;
        this.timer = timer;
        this.executor = executor;
    }

    public ReplicationAccess node() {
        return node;
    }

    public int nodeId() {
        return node.nodeId();
    }

    public ErrorMapper errors() {
        return errors;
    }

    public TopicConfigs topicConfigs() {
        return topicConfigs;
    }

    public BrokerMetrics metrics() {
        return metrics;
    }

    public ScheduledExecutorService timer() {
        return timer;
    }

    public Executor executor() {
        return executor;
    }

    public ClusterMetadata metadata() {
        return node.clusterView().current();
    }

    /** Registers a stream to end on shutdown; false when the broker is already shutting down. */
    public boolean register(Closeable stream) {
        streams.add(stream);
        if (shuttingDown) {
            streams.remove(stream);
            return false;
        }
        return true;
    }

    public void unregister(Closeable stream) {
        streams.remove(stream);
    }

    public boolean isShuttingDown() {
        return shuttingDown;
    }

    /** Ends every registered stream with {@code status}; later streams are refused. */
    public void shutdownStreams(Status status) {
        shuttingDown = true;
        for (Closeable c : streams.toArray(new Closeable[0])) {
            try {
                c.closeForShutdown(status);
            } catch (RuntimeException e) {
                // The call may already be gone; nothing to do.
            }
        }
        streams.clear();
    }

    /**
     * The replica of {@code tp} that leads here and may serve produce and fetch.
     *
     * @throws RequestException INVALID_TOPIC_NAME, UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER (with the
     *     leader's address) or LEADER_NOT_AVAILABLE
     */
    public PartitionReplica leaderReplica(String topic, int partition) {
        PartitionReplica r = hostedReplica(topic, partition);
        if (!r.isLeader()) {
            throw new RequestException(errors.notLeader(r.topicPartition(), r.leaderId(), r.leaderEpoch()));
        }
        return r;
    }

    /**
     * The replica of {@code tp} that leads here and may take client produce requests: as
     * {@link #leaderReplica}, but internal topics (e.g. __consumer_offsets, written only by the
     * group coordinator) are refused.
     *
     * @throws RequestException POLICY_VIOLATION for an internal topic, else as {@link #leaderReplica}
     */
    public PartitionReplica writableReplica(String topic, int partition) {
        if (topic != null && TopicNames.isInternal(topic)) {
            throw new RequestException(ErrorCode.POLICY_VIOLATION, "topic '" + topic + "' is internal: only the"
                    + " broker writes to it");
        }
        return leaderReplica(topic, partition);
    }

    /**
     * This broker's replica of the partition, leader or not.
     *
     * @throws RequestException as {@link #leaderReplica} (NOT_LEADER when not hosted here)
     */
    public PartitionReplica hostedReplica(String topic, int partition) {
        TopicPartition tp = topicPartition(topic, partition);
        Optional<PartitionReplica> local = node.replica(tp);
        if (local.isPresent()) {
            return local.get();
        }
        checkExists(tp);
        throw new RequestException(errors.notLeader(tp, -1));
    }

    /**
     * Checks the name and that the partition exists in the metadata.
     *
     * @throws RequestException INVALID_TOPIC_NAME or UNKNOWN_TOPIC_OR_PARTITION
     */
    public TopicPartition topicPartition(String topic, int partition) {
        TopicNames.validate(topic);
        if (partition < 0) {
            throw new RequestException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "partition " + partition + " of topic '"
                    + topic + "' does not exist: partitions are numbered from 0");
        }
        return new TopicPartition(topic, partition);
    }

    /** The topic in the metadata, or UNKNOWN_TOPIC_OR_PARTITION. */
    public TopicInfo topic(String name) {
        return metadata().topic(name).orElseThrow(() -> unknownTopic(name));
    }

    /** The topic's effective log config (broker defaults when the metadata does not know it yet). */
    public LogConfig logConfig(String topic) {
        return metadata().topic(topic).map(topicConfigs::effective).orElse(topicConfigs.defaults());
    }

    private void checkExists(TopicPartition tp) {
        TopicInfo t = topic(tp.topic());
        int count = t.partitions().size();
        if (tp.partition() >= count) {
            throw new RequestException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "partition " + tp.partition()
                    + " of topic '" + tp.topic() + "' does not exist: it has " + count + " partition"
                    + (count == 1 ? "" : "s") + " (0.." + (count - 1) + ")");
        }
    }

    public static RequestException unknownTopic(String name) {
        return new RequestException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "topic '" + name + "' does not exist"
                + " (topics are never created implicitly; create it first, or refresh metadata if it was just"
                + " created)");
    }
}
