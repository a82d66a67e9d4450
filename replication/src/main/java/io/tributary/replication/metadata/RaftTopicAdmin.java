package io.tributary.replication.metadata;

import io.tributary.proto.internal.v1.AllocateProducerIds;
import io.tributary.proto.internal.v1.AlterTopicConfig;
import io.tributary.proto.internal.v1.CreatePartitions;
import io.tributary.proto.internal.v1.CreateTopic;
import io.tributary.proto.internal.v1.DeleteTopic;
import io.tributary.proto.internal.v1.MetadataCommand;
import io.tributary.proto.internal.v1.MetadataCommandResult;
import io.tributary.proto.internal.v1.MetadataErrorCode;
import io.tributary.proto.internal.v1.MetadataQuery;
import io.tributary.proto.internal.v1.PartitionLeadership;
import io.tributary.proto.internal.v1.PlanPartitions;
import io.tributary.proto.internal.v1.PlanTopic;
import io.tributary.proto.internal.v1.TopicRecord;
import io.tributary.replication.PartitionInfo;
import io.tributary.replication.ReplicationConfig;
import io.tributary.replication.ReplicationException;
import io.tributary.replication.TopicAdmin;
import io.tributary.replication.TopicException;
import io.tributary.replication.TopicInfo;
import io.tributary.replication.controller.PartitionReconciler;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;

/**
 * {@link TopicAdmin} over the metadata Raft group, usable on any broker. A creation first asks
 * the controller for a plan (validation and replica placement over the live brokers, a read-only
 * query), then commits the plan as a command; the state machine validates again when it applies
 * it, so a plan that went stale meanwhile is refused (and re-planned, for a compare-and-set
 * conflict). Refusals become {@link TopicException}s with their reason; an unreachable quorum
 * becomes {@code CONTROLLER_NOT_AVAILABLE} (retriable) after the client's bounded retries.
 * Futures complete on the admin pool once the command is committed and this broker's view has
 * been refreshed. Thread-safe.
 */
final class RaftTopicAdmin implements TopicAdmin {

    /** Producer ids taken from the counter at once; handed out locally. */
    static final int PRODUCER_ID_BLOCK = 1000;
    private static final int STALE_RETRIES = 5;

    private final MetadataManager manager;
    private final ReplicationConfig config;
    private long nextProducerId;
    private long producerIdBlockEnd;

    RaftTopicAdmin(MetadataManager manager, ReplicationConfig config) {
        this.manager = manager;
        this.config = config;
    }

    @Override
    public CompletableFuture<TopicInfo> createTopic(String name, int partitions, int replicationFactor,
                                                    Map<String, String> configs, boolean validateOnly) {
        int n = partitions == -1 ? config.defaultPartitions() : partitions;
        int rf = replicationFactor == -1 ? config.defaultReplicationFactor() : replicationFactor;
        Map<String, String> overrides = configs == null ? Map.of() : Map.copyOf(configs);
        return async(() -> {
            checkAgainstBrokerDefaults(overrides);
            for (int attempt = 0; ; attempt++) {
                MetadataCommandResult plan = manager.query(MetadataQuery.newBuilder().setPlanTopic(PlanTopic.newBuilder()
                        .setName(name == null ? "" : name).setPartitions(n).setReplicationFactor(rf)
                        .putAllConfigs(overrides))).getPlan();
                throwIfRefused(plan);
                if (validateOnly) {
                    return topicInfo(plan.getTopic());
                }
                MetadataCommandResult result = manager.write(MetadataCommand.newBuilder()
                        .setCreateTopic(CreateTopic.newBuilder().setTopic(plan.getTopic())));
                if (retryable(result) && attempt < STALE_RETRIES) {
                    continue;
                }
                throwIfRefused(result);
                return committed(result.getTopic());
            }
        });
    }

    @Override
    public CompletableFuture<Void> deleteTopic(String name) {
        return async(() -> {
            throwIfRefused(manager.write(MetadataCommand.newBuilder()
                    .setDeleteTopic(DeleteTopic.newBuilder().setName(name == null ? "" : name))));
            manager.refreshNow().join();
            return null;
        });
    }

    @Override
    public CompletableFuture<TopicInfo> alterTopicConfig(String name, Map<String, String> set, Set<String> remove) {
        Map<String, String> toSet = set == null ? Map.of() : Map.copyOf(set);
        Set<String> toRemove = remove == null ? Set.of() : Set.copyOf(remove);
        return async(() -> {
            Optional<TopicRecord> current = Optional.ofNullable(manager.image().topics().get(name));
            if (current.isPresent()) {
                Map<String, String> merged = new HashMap<>(current.get().getConfigsMap());
                toRemove.forEach(merged::remove);
                merged.putAll(toSet);
                checkAgainstBrokerDefaults(merged);
            }
            MetadataCommandResult result = manager.write(MetadataCommand.newBuilder().setAlterTopicConfig(
                    AlterTopicConfig.newBuilder().setName(name == null ? "" : name).putAllSet(toSet)
                            .addAllRemove(toRemove)));
            throwIfRefused(result);
            return committed(result.getTopic());
        });
    }

    @Override
    public CompletableFuture<TopicInfo> createPartitions(String name, int totalPartitions) {
        return async(() -> {
            for (int attempt = 0; ; attempt++) {
                MetadataCommandResult plan = manager.query(MetadataQuery.newBuilder().setPlanPartitions(
                        PlanPartitions.newBuilder().setName(name == null ? "" : name)
                                .setTotalPartitions(totalPartitions))).getPlan();
                throwIfRefused(plan);
                TopicRecord placed = plan.getTopic();
                MetadataCommandResult result = manager.write(MetadataCommand.newBuilder().setCreatePartitions(
                        CreatePartitions.newBuilder().setName(placed.getName())
                                .setCurrentCount(placed.getPartitions(0).getPartition())
                                .addAllNewPartitions(placed.getPartitionsList())));
                if (retryable(result) && attempt < STALE_RETRIES) {
                    continue;
                }
                throwIfRefused(result);
                return committed(result.getTopic());
            }
        });
    }

    @Override
    public CompletableFuture<Long> allocateProducerId() {
        synchronized (this) {
            if (nextProducerId < producerIdBlockEnd) {
                return CompletableFuture.completedFuture(nextProducerId++);
            }
        }
        return async(() -> {
            synchronized (this) {
                if (nextProducerId < producerIdBlockEnd) {
                    return nextProducerId++;
                }
            }
            MetadataCommandResult result = manager.write(MetadataCommand.newBuilder()
                    .setAllocateProducerIds(AllocateProducerIds.newBuilder().setCount(PRODUCER_ID_BLOCK)));
            throwIfRefused(result);
            synchronized (this) {
                if (nextProducerId >= producerIdBlockEnd) {
                    nextProducerId = result.getFirstProducerId();
                    producerIdBlockEnd = result.getFirstProducerId() + PRODUCER_ID_BLOCK;
                }
                return nextProducerId++;
            }
        });
    }

    /** Overrides must also hold over this broker's defaults (e.g. max.message.bytes under its segment.bytes). */
    private void checkAgainstBrokerDefaults(Map<String, String> overrides) {
        try {
            PartitionReconciler.effectiveConfig(config.topicDefaults(), overrides);
        } catch (IllegalArgumentException e) {
            throw new TopicException(TopicException.Reason.INVALID_CONFIG, e.getMessage());
        }
        Optional<String> bad = TopicValidation.invalidConfig(overrides);
        bad.ifPresent(m -> {
            throw new TopicException(TopicException.Reason.INVALID_CONFIG, m);
        });
    }

    private TopicInfo committed(TopicRecord t) {
        manager.refreshNow().join();
        return topicInfo(t);
    }

    /** The topic with the leaders this broker knows (none yet for a new topic). */
    private TopicInfo topicInfo(TopicRecord t) {
        Map<String, PartitionLeadership> leaders = new HashMap<>();
        TopicInfo known = manager.view().current().topics().get(t.getName());
        if (known != null && known.topicId().equals(t.getTopicId())) {
            for (PartitionInfo p : known.partitions()) {
                leaders.put(t.getName() + "\u0000" + p.partition(), PartitionLeadership.newBuilder()
                        .setTopic(t.getName()).setPartition(p.partition()).setLeaderId(p.leaderId())
                        .setLeaderEpoch(p.leaderEpoch()).addAllInSyncReplicas(p.inSyncReplicas()).build());
            }
        }
        return MetadataView.topicInfo(t, leaders);
    }

    private static boolean retryable(MetadataCommandResult r) {
        return r.getError() == MetadataErrorCode.METADATA_ERROR_CODE_STALE_REQUEST
                || r.getError() == MetadataErrorCode.METADATA_ERROR_CODE_UNKNOWN_BROKER;
    }

    /** Maps a refused command or plan to the exception that says why. */
    static void throwIfRefused(MetadataCommandResult r) {
        TopicException.Reason reason = switch (r.getError()) {
            case METADATA_ERROR_CODE_UNSPECIFIED -> null;
            case METADATA_ERROR_CODE_UNKNOWN_TOPIC -> TopicException.Reason.UNKNOWN_TOPIC;
            case METADATA_ERROR_CODE_TOPIC_ALREADY_EXISTS -> TopicException.Reason.TOPIC_ALREADY_EXISTS;
            case METADATA_ERROR_CODE_INVALID_TOPIC_NAME -> TopicException.Reason.INVALID_TOPIC_NAME;
            case METADATA_ERROR_CODE_INVALID_PARTITIONS -> TopicException.Reason.INVALID_PARTITIONS;
            case METADATA_ERROR_CODE_INVALID_REPLICATION_FACTOR, METADATA_ERROR_CODE_UNKNOWN_BROKER ->
                    TopicException.Reason.INVALID_REPLICATION_FACTOR;
            case METADATA_ERROR_CODE_INVALID_CONFIG -> TopicException.Reason.INVALID_CONFIG;
            case METADATA_ERROR_CODE_STALE_REQUEST -> TopicException.Reason.CONTROLLER_NOT_AVAILABLE;
            case METADATA_ERROR_CODE_INVALID_REQUEST, UNRECOGNIZED -> null;
        };
        if (reason != null) {
            throw new TopicException(reason, r.getMessage());
        }
        if (r.getError() != MetadataErrorCode.METADATA_ERROR_CODE_UNSPECIFIED) {
            throw new ReplicationException("metadata request refused: " + r.getMessage(), false);
        }
    }

    private interface Call<T> {
        T call() throws IOException;
    }

    private <T> CompletableFuture<T> async(Call<T> call) {
        CompletableFuture<T> f = new CompletableFuture<>();
        try {
            manager.adminExecutor().execute(() -> {
                try {
                    f.complete(call.call());
                } catch (ReplicationException e) {
                    f.completeExceptionally(e);
                } catch (IOException e) {
                    f.completeExceptionally(new TopicException(TopicException.Reason.CONTROLLER_NOT_AVAILABLE,
                            "the metadata quorum did not answer: " + e.getMessage()));
                } catch (CompletionException e) {
                    f.completeExceptionally(e.getCause());
                } catch (RuntimeException e) {
                    f.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            f.completeExceptionally(new TopicException(TopicException.Reason.CONTROLLER_NOT_AVAILABLE,
                    "too many metadata requests are waiting; try again"));
        }
        return f;
    }
}
