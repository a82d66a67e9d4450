package io.tributary.replication.metadata;

import io.tributary.proto.internal.v1.BrokerRegistrationRecord;
import io.tributary.proto.internal.v1.PartitionAssignmentRecord;
import io.tributary.proto.internal.v1.PartitionLeadership;
import io.tributary.proto.internal.v1.TopicRecord;
import io.tributary.replication.BrokerInfo;
import io.tributary.replication.ClusterMetadata;
import io.tributary.replication.ClusterView;
import io.tributary.replication.PartitionInfo;
import io.tributary.replication.TopicInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * This broker's {@link ClusterView}: the latest committed state, live brokers and partition
 * leaders received from the controller in heartbeat replies, as immutable {@link ClusterMetadata}
 * snapshots. Thread-safe: one heartbeat thread publishes, anyone reads; listeners run on the
 * publishing thread and must not block.
 */
final class MetadataView implements ClusterView {

    private static final Logger LOG = LoggerFactory.getLogger(MetadataView.class);

    private final Set<Integer> voters;
    private final List<Consumer<ClusterMetadata>> listeners = new CopyOnWriteArrayList<>();
    private volatile ClusterMetadata current = new ClusterMetadata("", 0, Optional.empty(), Map.of(), Map.of());
    private volatile MetadataImage image = MetadataImage.EMPTY;
    private volatile boolean fromController;
    private long version;

    MetadataView(Set<Integer> voters) {
        this.voters = Set.copyOf(voters);
    }

    @Override
    public ClusterMetadata current() {
        return current;
    }

    /** The committed state last received. */
    MetadataImage image() {
        return image;
    }

    /** Whether a state has arrived from the controller since start. */
    boolean hasControllerState() {
        return fromController;
    }

    @Override
    public void addListener(Consumer<ClusterMetadata> listener) {
        listeners.add(listener);
    }

    @Override
    public void removeListener(Consumer<ClusterMetadata> listener) {
        listeners.remove(listener);
    }

    /**
     * Publishes what a heartbeat reply said (or, with a null image, that the controller is
     * unreachable: the rest of the view is kept, the controller id is cleared).
     *
     * @return whether the view changed
     */
    synchronized boolean publish(MetadataImage newImage, Collection<Integer> alive,
                                 Collection<PartitionLeadership> leadership, Optional<Integer> controllerId) {
        if (newImage != null) {
            if (newImage.appliedIndex() < image.appliedIndex()) {
                // A deposed controller that does not know it yet answers from an older state; acting
                // on it could remove replicas of a topic created since. States only move forward.
                LOG.info("ignoring metadata state at index {} older than the one held ({})", newImage.appliedIndex(),
                        image.appliedIndex());
                return false;
            }
            image = newImage;
        }
        ClusterMetadata prev = current;
        ClusterMetadata next = build(image, Set.copyOf(alive), leadership, controllerId, voters, prev.version());
        if (next.equals(prev)) {
            fromController |= newImage != null;
            return false;
        }
        version = prev.version() + 1;
        current = build(image, Set.copyOf(alive), leadership, controllerId, voters, version);
        // Only now: the reconciler reads hasControllerState() and then current() without this
        // lock; set before current, it saw the empty initial view as the controller's state and
        // removed (and deleted) every hosted replica after a restart.
        fromController |= newImage != null;
        for (Consumer<ClusterMetadata> l : listeners) {
            try {
                l.accept(current);
            } catch (RuntimeException e) {
                LOG.warn("cluster view listener failed", e);
            }
        }
        return true;
    }

    /** Same as the last publish, without a controller. */
    synchronized boolean controllerLost() {
        ClusterMetadata c = current;
        if (c.controllerId().isEmpty()) {
            return false;
        }
        version = c.version() + 1;
        current = new ClusterMetadata(c.clusterId(), version, Optional.empty(), c.brokers(), c.topics());
        listeners.forEach(l -> l.accept(current));
        return true;
    }

    static ClusterMetadata build(MetadataImage img, Set<Integer> alive, Collection<PartitionLeadership> leadership,
                                 Optional<Integer> controllerId, Set<Integer> voters, long version) {
        Map<Integer, BrokerInfo> brokers = new HashMap<>();
        for (BrokerRegistrationRecord b : img.brokers().values()) {
            brokers.put(b.getId(), new BrokerInfo(b.getId(), b.getHost(), b.getClientPort(), b.getRaftAddress(),
                    b.getRack(), alive.contains(b.getId()), voters.contains(b.getId())));
        }
        Map<String, PartitionLeadership> leaders = new HashMap<>();
        for (PartitionLeadership l : leadership) {
            leaders.put(l.getTopic() + "\u0000" + l.getPartition(), l);
        }
        Map<String, TopicInfo> topics = new HashMap<>();
        for (TopicRecord t : img.topics().values()) {
            topics.put(t.getName(), topicInfo(t, leaders));
        }
        return new ClusterMetadata(img.clusterId(), version, controllerId, brokers, topics);
    }

    /** A topic record with the leaders known for its partitions (-1 where none). */
    static TopicInfo topicInfo(TopicRecord t, Map<String, PartitionLeadership> leaders) {
        List<PartitionInfo> partitions = new ArrayList<>(t.getPartitionsCount());
        for (PartitionAssignmentRecord p : t.getPartitionsList()) {
            PartitionLeadership l = leaders.get(t.getName() + "\u0000" + p.getPartition());
            if (l != null && l.getLeaderId() >= 0) {
                partitions.add(new PartitionInfo(p.getPartition(), p.getReplicasList(), l.getLeaderId(),
                        l.getLeaderEpoch(), l.getInSyncReplicasList()));
            } else {
                partitions.add(new PartitionInfo(p.getPartition(), p.getReplicasList(), -1, -1, List.of()));
            }
        }
        return new TopicInfo(t.getName(), t.getTopicId(), t.getConfigsMap(), partitions);
    }
}
