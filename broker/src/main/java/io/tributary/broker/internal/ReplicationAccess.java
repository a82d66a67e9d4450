package io.tributary.broker.internal;

import io.tributary.replication.ClusterView;
import io.tributary.replication.PartitionReplica;
import io.tributary.replication.TopicAdmin;
import io.tributary.replication.TopicPartition;

import java.time.Duration;
import java.util.Collection;
import java.util.Optional;

/**
 * What the gRPC services need from this broker's replication node: the cluster view, topic
 * administration, and the partition replicas hosted here. {@link io.tributary.broker.Broker}
 * adapts {@code io.tributary.replication.ReplicationNode} to it, so the services depend on the
 * replication layer's public interfaces only.
 *
 * <p>Thread-safety: implementations are thread-safe.
 */
public interface ReplicationAccess extends AutoCloseable {

    /** This broker's node id. */
    int nodeId();

    ClusterView clusterView();

    TopicAdmin topicAdmin();

    /** This broker's replica of {@code tp}, when it hosts one. */
    Optional<PartitionReplica> replica(TopicPartition tp);

    /** Every replica hosted here. */
    Collection<PartitionReplica> replicas();

    /** True once the metadata quorum has a leader and this broker is registered. */
    boolean isReady();

    /** Moves leadership of the groups led here to other replicas, waiting at most {@code timeout}. */
    void handOffLeadership(Duration timeout);

    @Override
    void close();
}
