package io.tributary.replication.metadata;

import io.tributary.proto.internal.v1.BrokerRegistrationRecord;
import io.tributary.proto.internal.v1.MetadataSnapshot;
import io.tributary.proto.internal.v1.TopicRecord;

import java.util.Collections;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The committed state of the metadata Raft group: registered brokers, topics with their
 * placement and config overrides, the producer-id counter, and the Raft coordinates of the last
 * command it includes. Immutable (every command yields a new image), hence thread-safe: the apply
 * thread publishes images, query and heartbeat threads read them.
 *
 * <p>Its serialized form is {@link MetadataSnapshot} (proto {@code tributary.internal.v1}), used
 * both for snapshot files and for the state sent to brokers in heartbeat replies.
 */
public final class MetadataImage {

    /** The state format version this code writes (MetadataSnapshot.version). 1: the initial state. */
    public static final int STATE_VERSION = 1;

    /** The image of a group that has applied nothing. */
    public static final MetadataImage EMPTY = new MetadataImage("", 0, 0, new TreeMap<>(), new TreeMap<>(), 0);

    private final String clusterId;
    private final long appliedTerm;
    private final long appliedIndex;
    private final NavigableMap<Integer, BrokerRegistrationRecord> brokers;
    private final NavigableMap<String, TopicRecord> topics;
    private final long nextProducerId;

    MetadataImage(String clusterId, long appliedTerm, long appliedIndex,
                  NavigableMap<Integer, BrokerRegistrationRecord> brokers, NavigableMap<String, TopicRecord> topics,
                  long nextProducerId) {
        this.clusterId = Objects.requireNonNull(clusterId, "clusterId");
        this.appliedTerm = appliedTerm;
        this.appliedIndex = appliedIndex;
        this.brokers = Collections.unmodifiableNavigableMap(brokers);
        this.topics = Collections.unmodifiableNavigableMap(topics);
        this.nextProducerId = nextProducerId;
    }

    public String clusterId() {
        return clusterId;
    }

    public long appliedTerm() {
        return appliedTerm;
    }

    public long appliedIndex() {
        return appliedIndex;
    }

    /** Registered brokers by id, ascending. */
    public NavigableMap<Integer, BrokerRegistrationRecord> brokers() {
        return brokers;
    }

    /** Topics by name, ascending. */
    public NavigableMap<String, TopicRecord> topics() {
        return topics;
    }

    public long nextProducerId() {
        return nextProducerId;
    }

    /** The same state at other Raft coordinates. */
    MetadataImage at(long term, long index) {
        return new MetadataImage(clusterId, term, index, new TreeMap<>(brokers), new TreeMap<>(topics), nextProducerId);
    }

    public MetadataSnapshot toProto() {
        return MetadataSnapshot.newBuilder()
                .setVersion(STATE_VERSION)
                .setClusterId(clusterId)
                .setAppliedTerm(appliedTerm)
                .setAppliedIndex(appliedIndex)
                .addAllBrokers(brokers.values())
                .addAllTopics(topics.values())
                .setNextProducerId(nextProducerId)
                .build();
    }

    /**
     * @throws IllegalArgumentException if the state was written by a newer version
     */
    public static MetadataImage fromProto(MetadataSnapshot s) {
        if (s.getVersion() < 1 || s.getVersion() > STATE_VERSION) {
            throw new IllegalArgumentException("metadata state version " + s.getVersion()
                    + " is not supported: this broker reads versions 1 to " + STATE_VERSION
                    + " (was it written by a newer Tributary?)");
        }
        NavigableMap<Integer, BrokerRegistrationRecord> brokers = new TreeMap<>();
        s.getBrokersList().forEach(b -> brokers.put(b.getId(), b));
        NavigableMap<String, TopicRecord> topics = new TreeMap<>();
        s.getTopicsList().forEach(t -> topics.put(t.getName(), t));
        return new MetadataImage(s.getClusterId(), s.getAppliedTerm(), s.getAppliedIndex(), brokers, topics,
                s.getNextProducerId());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MetadataImage && ((MetadataImage) o).toProto().equals(toProto());
    }

    @Override
    public int hashCode() {
        return toProto().hashCode();
    }

    @Override
    public String toString() {
        return "MetadataImage{cluster=" + clusterId + ", applied=" + appliedTerm + ":" + appliedIndex + ", brokers="
                + brokers.keySet() + ", topics=" + topics.keySet() + ", nextProducerId=" + nextProducerId + "}";
    }
}
