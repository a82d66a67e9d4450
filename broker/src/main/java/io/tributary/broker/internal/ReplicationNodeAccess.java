package io.tributary.broker.internal;

import io.tributary.replication.ClusterView;
import io.tributary.replication.PartitionReplica;
import io.tributary.replication.ReplicationConfig;
import io.tributary.replication.ReplicationNode;
import io.tributary.replication.TopicAdmin;
import io.tributary.replication.TopicPartition;

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

    /**
     * The metadata quorum module, {@code io.tributary.replication.metadata.MetadataManager.factory()}.
     *
     * <p>Looked up by name only while that class is not yet committed to the replication module
     * (so that this module compiles on its own); to be replaced by a direct call.
     *
     * @throws IllegalStateException when the replication module on the class path lacks it
     */
    public static ReplicationNode.MetadataModule.Factory metadataModule() {
        try {
            Class<?> c = Class.forName(METADATA_MANAGER);
            return (ReplicationNode.MetadataModule.Factory) c.getMethod("factory").invoke(null);
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new IllegalStateException("the replication module on the class path has no metadata quorum ("
                    + METADATA_MANAGER + ".factory()): " + e, e);
        }
    }

    /** Whether {@link #metadataModule()} can succeed. */
    public static boolean hasMetadataModule() {
        try {
            Class.forName(METADATA_MANAGER);
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    private static final String METADATA_MANAGER = "io.tributary.replication.metadata.MetadataManager";

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
