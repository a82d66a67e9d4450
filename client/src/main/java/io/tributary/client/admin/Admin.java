package io.tributary.client.admin;

import io.tributary.client.TopicPartition;
import io.tributary.client.errors.InvalidRequestException;
import io.tributary.client.errors.TributaryException;
import io.tributary.client.internal.BrokerNode;
import io.tributary.client.internal.ClientContext;
import io.tributary.client.internal.ErrorMapper;
import io.tributary.proto.v1.AdminServiceGrpc;
import io.tributary.proto.v1.AlterTopicConfigsRequest;
import io.tributary.proto.v1.AlterTopicConfigsResult;
import io.tributary.proto.v1.BrokerStatus;
import io.tributary.proto.v1.ConfigAlteration;
import io.tributary.proto.v1.ConfigOperation;
import io.tributary.proto.v1.CreatePartitionsRequest;
import io.tributary.proto.v1.CreatePartitionsResult;
import io.tributary.proto.v1.CreateTopicResult;
import io.tributary.proto.v1.CreateTopicsRequest;
import io.tributary.proto.v1.DeleteGroupResult;
import io.tributary.proto.v1.DeleteGroupsRequest;
import io.tributary.proto.v1.DeleteTopicResult;
import io.tributary.proto.v1.DeleteTopicsRequest;
import io.tributary.proto.v1.DescribeClusterRequest;
import io.tributary.proto.v1.DescribeClusterResponse;
import io.tributary.proto.v1.DescribeGroupsRequest;
import io.tributary.proto.v1.DescribeTopicsRequest;
import io.tributary.proto.v1.ErrorCode;
import io.tributary.proto.v1.ErrorDetail;
import io.tributary.proto.v1.GroupServiceGrpc;
import io.tributary.proto.v1.ListGroupsRequest;
import io.tributary.proto.v1.ListTopicsRequest;
import io.tributary.proto.v1.MetadataServiceGrpc;
import io.tributary.proto.v1.NewPartitions;
import io.tributary.proto.v1.ResetOffsetResult;
import io.tributary.proto.v1.ResetOffsetsRequest;
import io.tributary.proto.v1.ResetPosition;
import io.tributary.proto.v1.TopicConfigAlteration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Administration of a Tributary cluster: topics (create, delete, list, describe, configuration,
 * partitions), the cluster, and consumer groups (list, describe with lag, delete, reset offsets).
 *
 * <pre>{@code
 * try (Admin admin = Admin.create(Map.of("bootstrap.servers", "127.0.0.1:7401"))) {
 *     admin.createTopic(new NewTopic("orders", 6, 3, Map.of("retention.ms", "86400000")));
 *     TopicDescription d = admin.describeTopic("orders");
 *     GroupDescription g = admin.describeGroup("billing");
 * }
 * }</pre>
 *
 * <p>Every method blocks until the cluster answered, at most {@code default.api.timeout.ms}
 * (retriable failures, such as a controller election or a moving coordinator, are retried within
 * that time), and returns the result or throws a typed
 * {@link io.tributary.client.errors.TributaryException} (its {@code isRetriable()} says whether
 * calling again may help). Methods that take several topics or groups answer per item with a
 * {@link Result}: one item's failure does not fail the others. Their single-item forms
 * ({@link #createTopic}, {@link #describeTopic}, ...) throw the item's error.
 *
 * <p>Routing: topic and cluster calls go to any broker (the broker forwards changes to the
 * metadata quorum); group calls go to the group's coordinator, found with FindCoordinator;
 * {@link #listGroups} asks every live broker and merges the answers (group.proto).
 *
 * <p>Caveat: a create or delete whose answer was lost (a connection failure) is sent again, so it
 * can report TOPIC_ALREADY_EXISTS / UNKNOWN_TOPIC_OR_PARTITION for a change that did happen.
 *
 * <p>Thread-safety: thread-safe; calls from several threads run independently.
 */
public final class Admin implements AutoCloseable {

    private final AdminConfig config;
    private final ClientContext context;
    private final AdminCalls calls;

    private Admin(AdminConfig config) {
        this.config = config;
        this.context = new ClientContext(config, "admin");
        this.calls = new AdminCalls(context, config);
        context.metadata().requestUpdate(); // learn every live broker, for routing and listGroups
    }

    /** An admin client with these settings ({@link AdminConfig}); {@code bootstrap.servers} is required. */
    public static Admin create(Map<String, ?> config) {
        return new Admin(new AdminConfig(config));
    }

    /** An admin client with these settings ({@link AdminConfig}). */
    public static Admin create(Properties config) {
        return new Admin(new AdminConfig(config));
    }

    /** An admin client with these settings. */
    public static Admin create(AdminConfig config) {
        return new Admin(config);
    }

    // ---------------------------------------------------------------- topics

    /**
     * Creates topics; answers when each is in the metadata with a leader for every partition (or
     * fails that topic with REQUEST_TIMED_OUT; creation goes on). With {@code validateOnly},
     * checks everything and creates nothing.
     *
     * @return per topic, in request order
     */
    public Map<String, Result<CreatedTopic>> createTopics(Collection<NewTopic> topics, boolean validateOnly) {
        requireItems("topics", topics);
        long deadline = calls.deadline();
        CreateTopicsRequest.Builder req = CreateTopicsRequest.newBuilder().setValidateOnly(validateOnly);
        for (NewTopic t : topics) {
            req.addTopics(io.tributary.proto.v1.NewTopic.newBuilder().setName(t.name())
                    .setPartitionCount(t.partitions()).setReplicationFactor(t.replicationFactor())
                    .putAllConfigs(t.configs()));
        }
        List<CreateTopicResult> results = calls.anyBroker("creating topics " + names(topics), deadline,
                (ch, ms) -> AdminServiceGrpc.newBlockingStub(ch).withDeadlineAfter(ms, TimeUnit.MILLISECONDS)
                        .createTopics(req.setTimeoutMs(serverTimeout(ms)).build()).getTopicsList());
        Map<String, Result<CreatedTopic>> out = new LinkedHashMap<>();
        for (CreateTopicResult r : results) {
            out.put(r.getName(), ErrorMapper.isError(r.getError()) ? Result.failure(ErrorMapper.fromDetail(r.getError()))
                    : Result.success(new CreatedTopic(r.getName(), r.getTopicId(), r.getPartitionCount(),
                            r.getReplicationFactor())));
        }
        return out;
    }

    /** Creates one topic; throws its error (e.g. TopicExistsException, InvalidTopicException). */
    public CreatedTopic createTopic(NewTopic topic) {
        return single(createTopics(List.of(topic), false), topic.name());
    }

    /** Deletes topics with all their records. @return per topic, in request order */
    public Map<String, Result<Void>> deleteTopics(Collection<String> names) {
        requireItems("topic names", names);
        List<DeleteTopicResult> results = calls.anyBroker("deleting topics " + names, calls.deadline(),
                (ch, ms) -> AdminServiceGrpc.newBlockingStub(ch).withDeadlineAfter(ms, TimeUnit.MILLISECONDS)
                        .deleteTopics(DeleteTopicsRequest.newBuilder().addAllNames(names)
                                .setTimeoutMs(serverTimeout(ms)).build()).getTopicsList());
        Map<String, Result<Void>> out = new LinkedHashMap<>();
        for (DeleteTopicResult r : results) {
            out.put(r.getName(), voidResult(r.getError()));
        }
        return out;
    }

    /** Deletes one topic; throws its error (e.g. UnknownTopicOrPartitionException). */
    public void deleteTopic(String name) {
        single(deleteTopics(List.of(name)), name);
    }

    /** Every topic, by name; internal ones only with {@code includeInternal}. */
    public List<TopicListing> listTopics(boolean includeInternal) {
        return calls.anyBroker("listing topics", calls.deadline(), (ch, ms) ->
                AdminServiceGrpc.newBlockingStub(ch).withDeadlineAfter(ms, TimeUnit.MILLISECONDS)
                        .listTopics(ListTopicsRequest.newBuilder().setIncludeInternal(includeInternal).build())
                        .getTopicsList())
                .stream()
                .map(t -> new TopicListing(t.getName(), t.getTopicId(), t.getInternal(), t.getPartitionCount(),
                        t.getReplicationFactor()))
                .sorted(Comparator.comparing(TopicListing::name))
                .toList();
    }

    /**
     * Describes topics: per partition the leader, replicas, in-sync replicas, log start offset and
     * high watermark; with {@code includeConfigs} also the effective configuration.
     *
     * @return per topic, in request order
     */
    public Map<String, Result<TopicDescription>> describeTopics(Collection<String> names, boolean includeConfigs) {
        requireItems("topic names", names);
        List<io.tributary.proto.v1.TopicDescription> results = calls.anyBroker("describing topics " + names,
                calls.deadline(), (ch, ms) -> AdminServiceGrpc.newBlockingStub(ch)
                        .withDeadlineAfter(ms, TimeUnit.MILLISECONDS)
                        .describeTopics(DescribeTopicsRequest.newBuilder().addAllNames(names)
                                .setIncludeConfigs(includeConfigs).build()).getTopicsList());
        Map<String, Result<TopicDescription>> out = new LinkedHashMap<>();
        for (io.tributary.proto.v1.TopicDescription t : results) {
            if (ErrorMapper.isError(t.getError())) {
                out.put(t.getName(), Result.failure(ErrorMapper.fromDetail(t.getError())));
                continue;
            }
            List<PartitionDescription> parts = new ArrayList<>();
            for (io.tributary.proto.v1.PartitionDescription p : t.getPartitionsList()) {
                parts.add(new PartitionDescription(p.getPartition(), p.getLeaderId(), p.getLeaderEpoch(),
                        p.getReplicaIdsList(), p.getInSyncReplicaIdsList(), p.getLogStartOffset(), p.getHighWatermark(),
                        ErrorMapper.isError(p.getError()) ? ErrorMapper.fromDetail(p.getError()) : null));
            }
            List<ConfigEntry> configs = new ArrayList<>();
            for (io.tributary.proto.v1.ConfigEntry c : t.getConfigsList()) {
                configs.add(new ConfigEntry(c.getName(), c.getValue(), switch (c.getSource()) {
                    case CONFIG_SOURCE_DEFAULT -> ConfigEntry.Source.DEFAULT;
                    case CONFIG_SOURCE_TOPIC -> ConfigEntry.Source.TOPIC;
                    default -> ConfigEntry.Source.UNKNOWN;
                }));
            }
            configs.sort(Comparator.comparing(ConfigEntry::name));
            out.put(t.getName(), Result.success(new TopicDescription(t.getName(), t.getTopicId(), t.getInternal(),
                    parts, configs)));
        }
        return out;
    }

    /** Describes one topic (with its configuration); throws UnknownTopicOrPartitionException when it does not exist. */
    public TopicDescription describeTopic(String name) {
        return single(describeTopics(List.of(name), true), name);
    }

    /** The effective configuration of a topic, by key. */
    public List<ConfigEntry> describeConfigs(String topic) {
        return describeTopic(topic).configs();
    }

    /**
     * Changes a topic's configuration overrides, all together or none: sets the keys of
     * {@code set}, removes the overrides named in {@code remove} (back to the cluster default).
     * Keys named in neither are left as they are. Throws the topic's error
     * (InvalidConfigurationException names the key and value).
     */
    public void alterConfigs(String topic, Map<String, String> set, Collection<String> remove, boolean validateOnly) {
        Objects.requireNonNull(topic, "topic");
        if (set.isEmpty() && remove.isEmpty()) {
            throw new InvalidRequestException("no configuration change given for topic " + topic);
        }
        Set<String> both = new HashSet<>(set.keySet());
        both.retainAll(remove);
        if (!both.isEmpty()) {
            throw new InvalidRequestException("configuration keys both set and removed for topic " + topic + ": " + both);
        }
        TopicConfigAlteration.Builder alt = TopicConfigAlteration.newBuilder().setTopic(topic);
        new TreeMap<>(set).forEach((k, v) -> alt.addAlterations(ConfigAlteration.newBuilder().setName(k)
                .setOperation(ConfigOperation.CONFIG_OPERATION_SET).setValue(v)));
        remove.forEach(k -> alt.addAlterations(ConfigAlteration.newBuilder().setName(k)
                .setOperation(ConfigOperation.CONFIG_OPERATION_DELETE)));
        AlterTopicConfigsResult r = calls.anyBroker("altering the configuration of topic " + topic, calls.deadline(),
                (ch, ms) -> AdminServiceGrpc.newBlockingStub(ch).withDeadlineAfter(ms, TimeUnit.MILLISECONDS)
                        .alterTopicConfigs(AlterTopicConfigsRequest.newBuilder().addTopics(alt)
                                .setValidateOnly(validateOnly).build()).getTopics(0));
        voidResult(r.getError()).value();
    }

    /**
     * Grows topics to the given partition counts (topic to new total). Keyed records' new records
     * may then go to other partitions.
     *
     * @return per topic, in request order
     */
    public Map<String, Result<Void>> createPartitions(Map<String, Integer> totalCounts, boolean validateOnly) {
        requireItems("topics", totalCounts.keySet());
        CreatePartitionsRequest.Builder req = CreatePartitionsRequest.newBuilder().setValidateOnly(validateOnly);
        totalCounts.forEach((t, n) -> req.addTopics(NewPartitions.newBuilder().setTopic(t).setTotalCount(n)));
        List<CreatePartitionsResult> results = calls.anyBroker("adding partitions to " + totalCounts.keySet(),
                calls.deadline(), (ch, ms) -> AdminServiceGrpc.newBlockingStub(ch)
                        .withDeadlineAfter(ms, TimeUnit.MILLISECONDS)
                        .createPartitions(req.setTimeoutMs(serverTimeout(ms)).build()).getTopicsList());
        Map<String, Result<Void>> out = new LinkedHashMap<>();
        for (CreatePartitionsResult r : results) {
            out.put(r.getTopic(), voidResult(r.getError()));
        }
        return out;
    }

    /** Grows one topic to {@code totalCount} partitions; throws its error (e.g. InvalidPartitionsException). */
    public void createPartitions(String topic, int totalCount) {
        single(createPartitions(Map.of(topic, totalCount), false), topic);
    }

    // ---------------------------------------------------------------- cluster

    /** The cluster: id, controller, every registered broker with liveness and load, health counts. */
    public ClusterDescription describeCluster() {
        DescribeClusterResponse r = calls.anyBroker("describing the cluster", calls.deadline(), (ch, ms) ->
                MetadataServiceGrpc.newBlockingStub(ch).withDeadlineAfter(ms, TimeUnit.MILLISECONDS)
                        .describeCluster(DescribeClusterRequest.getDefaultInstance()));
        List<BrokerDescription> brokers = new ArrayList<>();
        for (BrokerStatus b : r.getBrokersList()) {
            brokers.add(new BrokerDescription(b.getBroker().getBrokerId(), b.getBroker().getHost(),
                    b.getBroker().getPort(), b.getBroker().getRack(), b.getAlive(), b.getLeaderCount(),
                    b.getReplicaCount()));
        }
        brokers.sort(Comparator.comparingInt(BrokerDescription::id));
        return new ClusterDescription(r.getClusterId(), r.getControllerId(), r.getControllerVoterIdsList(), brokers,
                r.getUnderReplicatedPartitions(), r.getOfflinePartitions());
    }

    // ---------------------------------------------------------------- groups

    /**
     * Every consumer group, by id: asks every live broker for the groups it coordinates and merges
     * the answers (a group seen on two brokers while its coordinator moves is listed once: the
     * listing with more members, i.e. the newer view when it gained members). Fails when a live broker
     * cannot be asked within the timeout, rather than return an incomplete list.
     */
    public List<GroupListing> listGroups() {
        long deadline = calls.deadline();
        ClusterDescription cluster = describeCluster();
        Map<String, GroupListing> merged = new TreeMap<>();
        for (BrokerDescription b : cluster.brokers()) {
            if (!b.alive()) {
                continue;
            }
            BrokerNode node = new BrokerNode(b.id(), b.host(), b.port(), b.rack());
            List<io.tributary.proto.v1.GroupListing> groups = calls.onBroker("listing the groups of " + node,
                    node, deadline, (ch, ms) -> GroupServiceGrpc.newBlockingStub(ch)
                            .withDeadlineAfter(ms, TimeUnit.MILLISECONDS)
                            .listGroups(ListGroupsRequest.getDefaultInstance()).getGroupsList());
            for (io.tributary.proto.v1.GroupListing g : groups) {
                // A group listed twice (its coordinator moving): keep the one with members, the newer view.
                GroupListing l = new GroupListing(g.getGroupId(), state(g.getState()), g.getMemberCount());
                merged.merge(g.getGroupId(), l, (a, c) -> a.memberCount() >= c.memberCount() ? a : c);
            }
        }
        return List.copyOf(merged.values());
    }

    /**
     * Describes groups: state, members and their assignments, and per partition the committed
     * offset, the end offset, the lag and the owner. Each group is asked of its coordinator.
     *
     * @return per group, in request order (GroupIdNotFoundException for a group that does not exist)
     */
    public Map<String, Result<GroupDescription>> describeGroups(Collection<String> groupIds) {
        requireItems("group ids", groupIds);
        long deadline = calls.deadline();
        Map<String, Result<GroupDescription>> out = new LinkedHashMap<>();
        for (String id : groupIds) {
            try {
                io.tributary.proto.v1.GroupDescription g = calls.coordinator(id, "describing group " + id, deadline,
                        (ch, ms) -> {
                            io.tributary.proto.v1.GroupDescription d = GroupServiceGrpc.newBlockingStub(ch)
                                    .withDeadlineAfter(ms, TimeUnit.MILLISECONDS)
                                    .describeGroups(DescribeGroupsRequest.newBuilder().addGroupIds(id).build())
                                    .getGroups(0);
                            retryIfRetriable(d.getError());
                            return d;
                        });
                out.put(id, ErrorMapper.isError(g.getError()) ? Result.failure(ErrorMapper.fromDetail(g.getError()))
                        : Result.success(toDescription(g)));
            } catch (TributaryException e) {
                out.put(id, Result.failure(e));
            }
        }
        return out;
    }

    /** Describes one group; throws GroupIdNotFoundException when it does not exist. */
    public GroupDescription describeGroup(String groupId) {
        return single(describeGroups(List.of(groupId)), groupId);
    }

    /** Deletes groups and their committed offsets; only groups without members. @return per group, in request order */
    public Map<String, Result<Void>> deleteGroups(Collection<String> groupIds) {
        requireItems("group ids", groupIds);
        long deadline = calls.deadline();
        Map<String, Result<Void>> out = new LinkedHashMap<>();
        for (String id : groupIds) {
            try {
                DeleteGroupResult r = calls.coordinator(id, "deleting group " + id, deadline, (ch, ms) -> {
                    DeleteGroupResult d = GroupServiceGrpc.newBlockingStub(ch).withDeadlineAfter(ms, TimeUnit.MILLISECONDS)
                            .deleteGroups(DeleteGroupsRequest.newBuilder().addGroupIds(id).build()).getGroups(0);
                    retryIfRetriable(d.getError());
                    return d;
                });
                out.put(id, voidResult(r.getError()));
            } catch (TributaryException e) {
                out.put(id, Result.failure(e));
            }
        }
        return out;
    }

    /** Deletes one group; throws its error (GroupNotEmptyException, GroupIdNotFoundException). */
    public void deleteGroup(String groupId) {
        single(deleteGroups(List.of(groupId)), groupId);
    }

    /**
     * Moves a group's committed offsets for every partition of {@code topics} and for the single
     * {@code partitions}, to {@code target}. The group must have no members
     * (GroupNotEmptyException otherwise). With {@code dryRun}, computes and returns the new
     * offsets and commits nothing.
     *
     * @return per partition, by topic and partition
     */
    public List<OffsetReset> resetOffsets(String groupId, Collection<String> topics,
                                          Collection<TopicPartition> partitions, OffsetResetTarget target,
                                          boolean dryRun) {
        Objects.requireNonNull(groupId, "groupId");
        Objects.requireNonNull(target, "target");
        if (topics.isEmpty() && partitions.isEmpty()) {
            throw new InvalidRequestException("no topic or partition given to reset the offsets of group " + groupId);
        }
        ResetOffsetsRequest.Builder req = ResetOffsetsRequest.newBuilder().setGroupId(groupId).addAllTopics(topics)
                .setDryRun(dryRun);
        for (TopicPartition tp : partitions) {
            req.addPartitions(io.tributary.proto.v1.TopicPartition.newBuilder().setTopic(tp.topic())
                    .setPartition(tp.partition()));
        }
        if (target instanceof OffsetResetTarget.Earliest) {
            req.setPosition(ResetPosition.RESET_POSITION_EARLIEST);
        } else if (target instanceof OffsetResetTarget.Latest) {
            req.setPosition(ResetPosition.RESET_POSITION_LATEST);
        } else if (target instanceof OffsetResetTarget.ToOffset o) {
            if (o.offset() < 0) {
                throw new InvalidRequestException("offset " + o.offset() + " to reset group " + groupId
                        + " to: expected >= 0");
            }
            req.setOffset(o.offset());
        } else if (target instanceof OffsetResetTarget.ToTime t) {
            req.setTimestampMs(t.timestampMs());
        }
        List<ResetOffsetResult> results = calls.coordinator(groupId, "resetting the offsets of group " + groupId,
                calls.deadline(), (ch, ms) -> GroupServiceGrpc.newBlockingStub(ch)
                        .withDeadlineAfter(ms, TimeUnit.MILLISECONDS).resetOffsets(req.build()).getPartitionsList());
        List<OffsetReset> out = new ArrayList<>();
        for (ResetOffsetResult r : results) {
            out.add(new OffsetReset(new TopicPartition(r.getTopic(), r.getPartition()), r.getPreviousOffset(),
                    r.getNewOffset(), ErrorMapper.isError(r.getError()) ? ErrorMapper.fromDetail(r.getError()) : null));
        }
        out.sort(Comparator.comparing(OffsetReset::partition));
        return out;
    }

    /** Closes the connections. Calls in progress fail. */
    @Override
    public void close() {
        context.close();
    }

    /** The routing, for tests in this package. */
    AdminCalls calls() {
        return calls;
    }

    /** The settings this client runs with. */
    public AdminConfig config() {
        return config;
    }

    // ---------------------------------------------------------------- helpers

    private static GroupDescription toDescription(io.tributary.proto.v1.GroupDescription g) {
        List<MemberDescription> members = new ArrayList<>();
        for (io.tributary.proto.v1.MemberDescription m : g.getMembersList()) {
            members.add(new MemberDescription(m.getMemberId(), m.getClientId(), m.getClientHost(), m.getGeneration(),
                    m.getTopicsList(), partitions(m.getAssignment().getAssignedList()),
                    partitions(m.getAssignment().getToRevokeList())));
        }
        List<PartitionLag> offsets = new ArrayList<>();
        for (io.tributary.proto.v1.PartitionLag p : g.getOffsetsList()) {
            offsets.add(new PartitionLag(new TopicPartition(p.getTopic(), p.getPartition()), p.getCommittedOffset(),
                    p.getEndOffset(), p.getLag(), p.getOwnerMemberId(),
                    ErrorMapper.isError(p.getError()) ? ErrorMapper.fromDetail(p.getError()) : null));
        }
        offsets.sort(Comparator.comparing(PartitionLag::partition));
        return new GroupDescription(g.getGroupId(), state(g.getState()), g.getGroupEpoch(), g.getAssignor(), members,
                offsets);
    }

    private static List<TopicPartition> partitions(List<io.tributary.proto.v1.TopicPartition> list) {
        List<TopicPartition> out = new ArrayList<>(list.size());
        for (io.tributary.proto.v1.TopicPartition tp : list) {
            out.add(new TopicPartition(tp.getTopic(), tp.getPartition()));
        }
        out.sort(Comparator.naturalOrder());
        return out;
    }

    private static GroupState state(io.tributary.proto.v1.GroupState s) {
        return switch (s) {
            case GROUP_STATE_EMPTY -> GroupState.EMPTY;
            case GROUP_STATE_STABLE -> GroupState.STABLE;
            case GROUP_STATE_RECONCILING -> GroupState.RECONCILING;
            default -> GroupState.UNKNOWN;
        };
    }

    /** A retriable per-group error (NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE ...) is retried by the routing. */
    private static void retryIfRetriable(ErrorDetail error) {
        if (ErrorMapper.isError(error) && (error.getRetriable() || error.getCode() == ErrorCode.NOT_COORDINATOR)) {
            throw new AdminCalls.ItemError(error);
        }
    }

    private static Result<Void> voidResult(ErrorDetail error) {
        return ErrorMapper.isError(error) ? Result.failure(ErrorMapper.fromDetail(error)) : Result.success(null);
    }

    private static <T> T single(Map<String, Result<T>> results, String name) {
        Result<T> r = results.get(name);
        if (r == null) {
            if (results.size() == 1) {
                return results.values().iterator().next().value();
            }
            throw new TributaryException(ErrorCode.UNKNOWN, "the broker's answer did not name " + name, false);
        }
        return r.value();
    }

    private static void requireItems(String what, Collection<?> items) {
        if (items == null || items.isEmpty()) {
            throw new InvalidRequestException("no " + what + " given");
        }
    }

    /** The broker-side timeout_ms for a request with this deadline: a little below it. */
    private static int serverTimeout(long requestMs) {
        long ms = requestMs > 2_000 ? requestMs - 1_000 : Math.max(1, requestMs / 2);
        return (int) Math.min(Integer.MAX_VALUE, ms);
    }

    private static String names(Collection<NewTopic> topics) {
        return topics.stream().map(NewTopic::name).toList().toString();
    }
}
