package io.tributary.broker.internal;

import io.tributary.replication.ClusterView;
import io.tributary.replication.PartitionReplica;
import io.tributary.replication.ReplicationConfig;
import io.tributary.replication.ReplicationNode;
import io.tributary.replication.TopicAdmin;
import io.tributary.replication.TopicPartition;
import io.tributary.replication.metadata.MetadataManager;

import java.io.IOException;
import java.time.Duration;
import java.util.Collection;
import java.util.Optional;

/**
 * {@link ReplicationAccess} over the replication layer's {@link ReplicationNode}.
 *
 * <p>Thread-safety: thread-safe (the node is).
 */
public final class ReplicationNodeAccess implements ReplicationAccess {

    private final ReplicationNode node;

    private ReplicationNodeAccess(ReplicationNode node) {
        this.node = node;
    }

    /** Starts a node with the metadata quorum module {@code metadata}. */
    public static ReplicationAccess start(ReplicationConfig config, ReplicationNode.MetadataModule.Factory metadata)
            throws IOException {
        return new ReplicationNodeAccess(ReplicationNode.start(config, metadata));
    }

    /** The metadata quorum module every broker runs. */
    public static ReplicationNode.MetadataModule.Factory metadataModule() {
        return MetadataManager.factory();
    }

    public ReplicationNode node() {
        return node;
    }

    @Override
    public int nodeId() {
        return node.config().nodeId();
    }

    @Override
    public ClusterView clusterView() {
        return node.clusterView();
    }

    @Override
    public TopicAdmin topicAdmin() {
        return node.topicAdmin();
    }

    @Override
    public Optional<PartitionReplica> replica(TopicPartition tp) {
        return node.replica(tp);
    }

    @Override
    public Collection<PartitionReplica> replicas() {
        return node.replicas();
    }

    @Override
    public boolean isReady() {
        return node.isReady();
    }

    @Override
    public void handOffLeadership(Duration timeout) {
        node.handOffLeadership(timeout);
    }

    @Override
    public void close() {
        node.close();
    }
}
