package io.tributary.replication.metadata;

import io.tributary.proto.internal.v1.AllocateProducerIds;
import io.tributary.proto.internal.v1.AlterTopicConfig;
import io.tributary.proto.internal.v1.BrokerRegistrationRecord;
import io.tributary.proto.internal.v1.CreatePartitions;
import io.tributary.proto.internal.v1.CreateTopic;
import io.tributary.proto.internal.v1.DeleteTopic;
import io.tributary.proto.internal.v1.MetadataCommand;
import io.tributary.proto.internal.v1.MetadataCommandResult;
import io.tributary.proto.internal.v1.MetadataErrorCode;
import io.tributary.proto.internal.v1.PartitionAssignmentRecord;
import io.tributary.proto.internal.v1.ReassignPartition;
import io.tributary.proto.internal.v1.RegisterBroker;
import io.tributary.proto.internal.v1.TopicRecord;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The rules of the metadata state machine: applies one command to an image and yields the next
 * image and the command's result. A command that breaks a rule changes nothing and yields a result
 * with an error code and a message (it never throws: a Ratis state machine must not fail an
 * entry). Pure and deterministic, so every voter computes the same state from the same log.
 * Stateless; thread-safe.
 */
public final class CommandApplier {

    /** The command format version this code applies (MetadataCommand.version). 1: the initial set. */
    public static final int COMMAND_VERSION = 1;
    /** Most producer ids one AllocateProducerIds may take. */
    public static final int MAX_PRODUCER_ID_BLOCK = 1_000_000;

    /** The image after a command and the command's result. */
    public record Applied(MetadataImage image, MetadataCommandResult result) {
        public boolean ok() {
            return result.getError() == MetadataErrorCode.METADATA_ERROR_CODE_UNSPECIFIED;
        }
    }

    private CommandApplier() {
    }

    /** Applies {@code cmd}, committed at Raft {@code term}/{@code index}, to {@code image}. */
    public static Applied apply(MetadataImage image, MetadataCommand cmd, long term, long index) {
        MetadataImage base = image.at(term, index);
        if (cmd.getVersion() < 1 || cmd.getVersion() > COMMAND_VERSION) {
            return refuse(base, MetadataErrorCode.METADATA_ERROR_CODE_INVALID_REQUEST, "metadata command version "
                    + cmd.getVersion() + " is not supported (this broker applies 1 to " + COMMAND_VERSION + ")");
        }
        Applied applied = switch (cmd.getCommandCase()) {
            case REGISTER_BROKER -> registerBroker(base, cmd.getRegisterBroker());
            case CREATE_TOPIC -> createTopic(base, cmd.getCreateTopic());
            case DELETE_TOPIC -> deleteTopic(base, cmd.getDeleteTopic());
            case ALTER_TOPIC_CONFIG -> alterTopicConfig(base, cmd.getAlterTopicConfig());
            case CREATE_PARTITIONS -> createPartitions(base, cmd.getCreatePartitions());
            case REASSIGN_PARTITION -> reassignPartition(base, cmd.getReassignPartition());
            case ALLOCATE_PRODUCER_IDS -> allocateProducerIds(base, cmd.getAllocateProducerIds());
            case COMMAND_NOT_SET -> refuse(base, MetadataErrorCode.METADATA_ERROR_CODE_INVALID_REQUEST,
                    "the metadata command is empty (written by a newer version?)");
        };
        return new Applied(applied.image(), applied.result().toBuilder().setAppliedIndex(index).build());
    }

    private static Applied registerBroker(MetadataImage img, RegisterBroker cmd) {
        BrokerRegistrationRecord b = cmd.getBroker();
        if (b.getId() < 0) {
            return invalid(img, "broker id " + b.getId() + " is negative");
        }
        if (b.getHost().isEmpty() || b.getRaftAddress().isEmpty()) {
            return invalid(img, "broker " + b.getId() + " registered without a host or Raft address");
        }
        if (b.getClientPort() < 0 || b.getClientPort() > 65535) {
            return invalid(img, "broker " + b.getId() + " registered client port " + b.getClientPort());
        }
        NavigableMap<Integer, BrokerRegistrationRecord> brokers = new TreeMap<>(img.brokers());
        brokers.put(b.getId(), b);
        String clusterId = img.clusterId().isEmpty() ? cmd.getProposedClusterId() : img.clusterId();
        return ok(new MetadataImage(clusterId, img.appliedTerm(), img.appliedIndex(), brokers,
                new TreeMap<>(img.topics()), img.nextProducerId()), MetadataCommandResult.newBuilder());
    }

    private static Applied createTopic(MetadataImage img, CreateTopic cmd) {
        TopicRecord t = cmd.getTopic();
        Optional<Applied> refused = validateNewTopic(img, t.getName(), t.getConfigsMap())
                .map(r -> refuse(img, r.code(), r.message()));
        if (refused.isPresent()) {
            return refused.get();
        }
        if (t.getTopicId().isEmpty()) {
            return invalid(img, "topic '" + t.getName() + "' has no topic id");
        }
        if (t.getPartitionsCount() < 1 || t.getPartitionsCount() > TopicValidation.MAX_PARTITIONS) {
            return refuse(img, MetadataErrorCode.METADATA_ERROR_CODE_INVALID_PARTITIONS, "topic '" + t.getName()
                    + "' has " + t.getPartitionsCount() + " partitions; it must have 1 to "
                    + TopicValidation.MAX_PARTITIONS);
        }
        Optional<Rejection> bad = validateAssignments(img, t.getName(), t.getPartitionsList(), 0);
        if (bad.isPresent()) {
            return refuse(img, bad.get().code(), bad.get().message());
        }
        NavigableMap<String, TopicRecord> topics = new TreeMap<>(img.topics());
        topics.put(t.getName(), t);
        return ok(withTopics(img, topics), MetadataCommandResult.newBuilder().setTopic(t));
    }

    private static Applied deleteTopic(MetadataImage img, DeleteTopic cmd) {
        TopicRecord t = img.topics().get(cmd.getName());
        if (t == null || (!cmd.getTopicId().isEmpty() && !cmd.getTopicId().equals(t.getTopicId()))) {
            return unknownTopic(img, cmd.getName());
        }
        NavigableMap<String, TopicRecord> topics = new TreeMap<>(img.topics());
        topics.remove(cmd.getName());
        return ok(withTopics(img, topics), MetadataCommandResult.newBuilder().setTopic(t));
    }

    private static Applied alterTopicConfig(MetadataImage img, AlterTopicConfig cmd) {
        TopicRecord t = img.topics().get(cmd.getName());
        if (t == null) {
            return unknownTopic(img, cmd.getName());
        }
        Map<String, String> configs = new TreeMap<>(t.getConfigsMap());
        cmd.getRemoveList().forEach(configs::remove);
        configs.putAll(cmd.getSetMap());
        Optional<String> bad = TopicValidation.invalidConfig(configs);
        if (bad.isPresent()) {
            return refuse(img, MetadataErrorCode.METADATA_ERROR_CODE_INVALID_CONFIG, bad.get());
        }
        TopicRecord altered = t.toBuilder().clearConfigs().putAllConfigs(configs).build();
        NavigableMap<String, TopicRecord> topics = new TreeMap<>(img.topics());
        topics.put(t.getName(), altered);
        return ok(withTopics(img, topics), MetadataCommandResult.newBuilder().setTopic(altered));
    }

    private static Applied createPartitions(MetadataImage img, CreatePartitions cmd) {
        TopicRecord t = img.topics().get(cmd.getName());
        if (t == null) {
            return unknownTopic(img, cmd.getName());
        }
        if (cmd.getCurrentCount() != t.getPartitionsCount()) {
            return refuse(img, MetadataErrorCode.METADATA_ERROR_CODE_STALE_REQUEST, "topic '" + t.getName()
                    + "' has " + t.getPartitionsCount() + " partitions, not " + cmd.getCurrentCount()
                    + " (changed concurrently); try again");
        }
        int total = t.getPartitionsCount() + cmd.getNewPartitionsCount();
        if (cmd.getNewPartitionsCount() < 1 || total > TopicValidation.MAX_PARTITIONS) {
            return refuse(img, MetadataErrorCode.METADATA_ERROR_CODE_INVALID_PARTITIONS, "topic '" + t.getName()
                    + "' has " + t.getPartitionsCount() + " partitions; the new count must be larger and at most "
                    + TopicValidation.MAX_PARTITIONS);
        }
        Optional<Rejection> bad = validateAssignments(img, t.getName(), cmd.getNewPartitionsList(),
                t.getPartitionsCount());
        if (bad.isPresent()) {
            return refuse(img, bad.get().code(), bad.get().message());
        }
        TopicRecord grown = t.toBuilder().addAllPartitions(cmd.getNewPartitionsList()).build();
        NavigableMap<String, TopicRecord> topics = new TreeMap<>(img.topics());
        topics.put(t.getName(), grown);
        return ok(withTopics(img, topics), MetadataCommandResult.newBuilder().setTopic(grown));
    }

    private static Applied reassignPartition(MetadataImage img, ReassignPartition cmd) {
        TopicRecord t = img.topics().get(cmd.getTopic());
        if (t == null || !t.getTopicId().equals(cmd.getTopicId())) {
            return unknownTopic(img, cmd.getTopic());
        }
        if (cmd.getPartition() < 0 || cmd.getPartition() >= t.getPartitionsCount()) {
            return refuse(img, MetadataErrorCode.METADATA_ERROR_CODE_INVALID_PARTITIONS, "topic '" + t.getName()
                    + "' has no partition " + cmd.getPartition());
        }
        PartitionAssignmentRecord current = t.getPartitions(cmd.getPartition());
        if (!current.getReplicasList().equals(cmd.getExpectedReplicasList())) {
            return refuse(img, MetadataErrorCode.METADATA_ERROR_CODE_STALE_REQUEST, "partition " + t.getName() + "-"
                    + cmd.getPartition() + " has replicas " + current.getReplicasList() + ", not "
                    + cmd.getExpectedReplicasList());
        }
        PartitionAssignmentRecord moved = PartitionAssignmentRecord.newBuilder()
                .setPartition(cmd.getPartition()).addAllReplicas(cmd.getNewReplicasList()).build();
        Optional<Rejection> bad = validateAssignments(img, t.getName(), List.of(moved), cmd.getPartition());
        if (bad.isPresent()) {
            return refuse(img, bad.get().code(), bad.get().message());
        }
        TopicRecord reassigned = t.toBuilder().setPartitions(cmd.getPartition(), moved).build();
        NavigableMap<String, TopicRecord> topics = new TreeMap<>(img.topics());
        topics.put(t.getName(), reassigned);
        return ok(withTopics(img, topics), MetadataCommandResult.newBuilder().setTopic(reassigned));
    }

    private static Applied allocateProducerIds(MetadataImage img, AllocateProducerIds cmd) {
        if (cmd.getCount() < 1 || cmd.getCount() > MAX_PRODUCER_ID_BLOCK) {
            return invalid(img, "cannot allocate " + cmd.getCount() + " producer ids at once (1 to "
                    + MAX_PRODUCER_ID_BLOCK + ")");
        }
        long first = img.nextProducerId();
        MetadataImage next = new MetadataImage(img.clusterId(), img.appliedTerm(), img.appliedIndex(),
                new TreeMap<>(img.brokers()), new TreeMap<>(img.topics()), first + cmd.getCount());
        return ok(next, MetadataCommandResult.newBuilder().setFirstProducerId(first));
    }

    /** A refusal: the error code and its message. */
    public record Rejection(MetadataErrorCode code, String message) {
    }

    /**
     * Checks a new topic's name (valid, free, not colliding) and configs against {@code img}; used
     * by the apply path and by the controller's plan.
     */
    public static Optional<Rejection> validateNewTopic(MetadataImage img, String name, Map<String, String> configs) {
        Optional<String> badName = TopicValidation.invalidName(name);
        if (badName.isPresent()) {
            return Optional.of(new Rejection(MetadataErrorCode.METADATA_ERROR_CODE_INVALID_TOPIC_NAME, badName.get()));
        }
        if (img.topics().containsKey(name)) {
            return Optional.of(new Rejection(MetadataErrorCode.METADATA_ERROR_CODE_TOPIC_ALREADY_EXISTS,
                    "topic '" + name + "' already exists"));
        }
        String key = TopicValidation.collisionKey(name);
        for (String existing : img.topics().keySet()) {
            if (TopicValidation.collisionKey(existing).equals(key)) {
                return Optional.of(new Rejection(MetadataErrorCode.METADATA_ERROR_CODE_INVALID_TOPIC_NAME,
                        "topic '" + name + "' collides with existing topic '" + existing
                                + "' ('.' and '_' are interchangeable in topic names)"));
            }
        }
        Optional<String> badConfig = TopicValidation.invalidConfig(configs);
        return badConfig.map(m -> new Rejection(MetadataErrorCode.METADATA_ERROR_CODE_INVALID_CONFIG, m));
    }

    /**
     * Checks replica lists: numbered from {@code firstPartition} consecutively, each non-empty,
     * without duplicates, of registered brokers only.
     */
    static Optional<Rejection> validateAssignments(MetadataImage img, String topic,
                                                   List<PartitionAssignmentRecord> partitions, int firstPartition) {
        int expected = firstPartition;
        for (PartitionAssignmentRecord p : partitions) {
            if (p.getPartition() != expected) {
                return Optional.of(new Rejection(MetadataErrorCode.METADATA_ERROR_CODE_INVALID_REQUEST,
                        "partition numbers of topic '" + topic + "' must be consecutive from " + firstPartition
                                + ", found " + p.getPartition() + " where " + expected + " belongs"));
            }
            expected++;
            if (p.getReplicasCount() < 1) {
                return Optional.of(new Rejection(MetadataErrorCode.METADATA_ERROR_CODE_INVALID_REPLICATION_FACTOR,
                        "partition " + topic + "-" + p.getPartition() + " has no replica"));
            }
            if (p.getReplicasCount() > img.brokers().size()) {
                return Optional.of(new Rejection(MetadataErrorCode.METADATA_ERROR_CODE_INVALID_REPLICATION_FACTOR,
                        "replication factor " + p.getReplicasCount() + " is larger than the "
                                + img.brokers().size() + " registered brokers"));
            }
            Set<Integer> seen = new HashSet<>();
            for (int b : p.getReplicasList()) {
                if (!seen.add(b)) {
                    return Optional.of(new Rejection(MetadataErrorCode.METADATA_ERROR_CODE_INVALID_REPLICATION_FACTOR,
                            "partition " + topic + "-" + p.getPartition() + " lists broker " + b + " twice"));
                }
                if (!img.brokers().containsKey(b)) {
                    return Optional.of(new Rejection(MetadataErrorCode.METADATA_ERROR_CODE_UNKNOWN_BROKER,
                            "partition " + topic + "-" + p.getPartition() + " is assigned to broker " + b
                                    + ", which is not registered"));
                }
            }
        }
        return Optional.empty();
    }

    private static MetadataImage withTopics(MetadataImage img, NavigableMap<String, TopicRecord> topics) {
        return new MetadataImage(img.clusterId(), img.appliedTerm(), img.appliedIndex(), new TreeMap<>(img.brokers()),
                topics, img.nextProducerId());
    }

    private static Applied ok(MetadataImage next, MetadataCommandResult.Builder result) {
        return new Applied(next, result.build());
    }

    private static Applied unknownTopic(MetadataImage img, String name) {
        return refuse(img, MetadataErrorCode.METADATA_ERROR_CODE_UNKNOWN_TOPIC, "topic '" + name + "' does not exist");
    }

    private static Applied invalid(MetadataImage img, String message) {
        return refuse(img, MetadataErrorCode.METADATA_ERROR_CODE_INVALID_REQUEST, message);
    }

    private static Applied refuse(MetadataImage img, MetadataErrorCode code, String message) {
        return new Applied(img, MetadataCommandResult.newBuilder().setError(code).setMessage(message).build());
    }
}
