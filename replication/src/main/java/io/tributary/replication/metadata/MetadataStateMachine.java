package io.tributary.replication.metadata;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tributary.proto.internal.v1.BrokerHeartbeat;
import io.tributary.proto.internal.v1.BrokerRegistrationRecord;
import io.tributary.proto.internal.v1.HeartbeatReply;
import io.tributary.proto.internal.v1.MetadataCommand;
import io.tributary.proto.internal.v1.MetadataCommandResult;
import io.tributary.proto.internal.v1.MetadataErrorCode;
import io.tributary.proto.internal.v1.MetadataQuery;
import io.tributary.proto.internal.v1.MetadataQueryReply;
import io.tributary.proto.internal.v1.PartitionAssignmentRecord;
import io.tributary.proto.internal.v1.PlanPartitions;
import io.tributary.proto.internal.v1.PlanTopic;
import io.tributary.proto.internal.v1.TopicRecord;
import io.tributary.replication.controller.ReplicaPlacer;
import org.apache.ratis.proto.RaftProtos;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.MD5FileUtil;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.io.MD5Hash;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The state machine of the metadata Raft group (no {@code DataApi}: entries are small commands).
 *
 * <ul>
 * <li>Writes ({@link MetadataCommand}) are applied by {@link CommandApplier}; a refused command
 *     completes normally with a {@link MetadataCommandResult} carrying the error (the apply future
 *     is never failed and nothing is thrown: that would take the Ratis server down).</li>
 * <li>Read-only queries ({@link MetadataQuery}) are answered by the leader only (clients send
 *     them non-linearizable, so Ratis routes them to the ready leader, which calls
 *     {@link #query}): a broker heartbeat is recorded in {@link BrokerLiveness} and answered with
 *     the committed state (when the broker's copy is older), the live brokers and the partition
 *     leaders; a topic or partitions plan is validated and placed by {@link ReplicaPlacer} without
 *     changing anything.</li>
 * <li>Snapshots write the whole image ({@link MetadataSnapshotFormat}) so the Raft log can be
 *     purged; a restart or an installed snapshot reloads it.</li>
 * </ul>
 *
 * <p>Thread-safety: Ratis applies entries on one thread; queries arrive on server threads. The
 * state is an immutable {@link MetadataImage} published through a volatile field, so readers
 * never lock.
 */
public final class MetadataStateMachine extends BaseStateMachine {

    private static final Logger LOG = LoggerFactory.getLogger(MetadataStateMachine.class);

    private final int nodeId;
    private final BrokerLiveness liveness;
    private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
    private final List<Consumer<MetadataImage>> applyListeners = new CopyOnWriteArrayList<>();
    private volatile MetadataImage image = MetadataImage.EMPTY;

    /**
     * @param nodeId this broker's id (the controller id it reports when leader)
     * @param brokerSessionTimeoutMs a broker silent this long is not alive
     * @param nanoClock monotonic clock ({@code System::nanoTime} outside tests)
     */
    public MetadataStateMachine(int nodeId, long brokerSessionTimeoutMs, LongSupplier nanoClock) {
        this.nodeId = nodeId;
        this.liveness = new BrokerLiveness(brokerSessionTimeoutMs, nanoClock);
    }

    /** The committed state this voter has applied. */
    public MetadataImage image() {
        return image;
    }

    /** Heartbeats as this voter has received them (meaningful while it leads). */
    public BrokerLiveness liveness() {
        return liveness;
    }

    /** Called on the apply thread after each applied command with the new image; must not block. */
    public void addApplyListener(Consumer<MetadataImage> listener) {
        applyListeners.add(listener);
    }

    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
        super.initialize(server, groupId, raftStorage);
        storage.init(raftStorage);
        loadLatestSnapshot();
    }

    @Override
    public void reinitialize() throws IOException {
        // After a snapshot was installed from the leader.
        loadLatestSnapshot();
    }

    @Override
    public SimpleStateMachineStorage getStateMachineStorage() {
        return storage;
    }

    private void loadLatestSnapshot() throws IOException {
        SingleFileSnapshotInfo snapshot = storage.loadLatestSnapshot();
        if (snapshot == null) {
            return;
        }
        File file = snapshot.getFile().getPath().toFile();
        MD5Hash md5 = snapshot.getFile().getFileDigest();
        if (md5 != null) {
            MD5FileUtil.verifySavedMD5(file, md5);
        }
        MetadataImage loaded = MetadataImage.fromProto(MetadataSnapshotFormat.read(file.toPath()));
        TermIndex ti = snapshot.getTermIndex();
        image = loaded.at(ti.getTerm(), ti.getIndex());
        setLastAppliedTermIndex(ti);
        LOG.info("metadata state loaded from snapshot {}: {}", file, image);
        applyListeners.forEach(l -> l.accept(image));
    }

    @Override
    public long takeSnapshot() throws IOException {
        // The image carries its own Raft coordinates (they move together on the apply thread).
        MetadataImage snap = image;
        if (snap.appliedIndex() <= 0) {
            return RaftLog.INVALID_LOG_INDEX;
        }
        File file = storage.getSnapshotFile(snap.appliedTerm(), snap.appliedIndex());
        MetadataSnapshotFormat.write(file.toPath(), snap.toProto());
        MD5Hash md5 = MD5FileUtil.computeAndSaveMd5ForFile(file);
        storage.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(file.toPath(), md5),
                TermIndex.valueOf(snap.appliedTerm(), snap.appliedIndex())));
        LOG.info("metadata snapshot taken at {}:{} ({})", snap.appliedTerm(), snap.appliedIndex(), file);
        return snap.appliedIndex();
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        RaftProtos.LogEntryProto entry = trx.getLogEntry();
        long term = entry.getTerm();
        long index = entry.getIndex();
        MetadataCommandResult result;
        try {
            MetadataCommand cmd = MetadataCommand.parseFrom(
                    entry.getStateMachineLogEntry().getLogData().asReadOnlyByteBuffer());
            CommandApplier.Applied applied = CommandApplier.apply(image, cmd, term, index);
            image = applied.image();
            result = applied.result();
            if (!applied.ok()) {
                LOG.info("metadata command at {} refused: {} {}", index, result.getError(), result.getMessage());
            }
        } catch (InvalidProtocolBufferException e) {
            image = image.at(term, index);
            result = MetadataCommandResult.newBuilder().setError(MetadataErrorCode.METADATA_ERROR_CODE_INVALID_REQUEST)
                    .setMessage("the metadata command does not parse: " + e.getMessage()).setAppliedIndex(index)
                    .build();
        } catch (RuntimeException e) {
            // A bug in the rules: keep the server up, keep the state, report the failure.
            LOG.error("metadata command at {} failed to apply; state unchanged", index, e);
            image = image.at(term, index);
            result = MetadataCommandResult.newBuilder().setError(MetadataErrorCode.METADATA_ERROR_CODE_INVALID_REQUEST)
                    .setMessage("the metadata command failed: " + e).setAppliedIndex(index).build();
        }
        updateLastAppliedTermIndex(term, index);
        MetadataImage published = image;
        for (Consumer<MetadataImage> l : applyListeners) {
            try {
                l.accept(published);
            } catch (RuntimeException e) {
                LOG.warn("metadata apply listener failed", e);
            }
        }
        return CompletableFuture.completedFuture(Message.valueOf(ByteString.copyFrom(result.toByteArray())));
    }

    @Override
    public void notifyTermIndexUpdated(long term, long index) {
        // Entries without a command (the leader's first entry of a term, configuration changes):
        // the state is unchanged but its coordinates move, so snapshots cover them.
        image = image.at(term, index);
        super.notifyTermIndexUpdated(term, index);
    }

    @Override
    public void notifyLeaderChanged(RaftGroupMemberId groupMemberId, RaftPeerId newLeaderId) {
        if (groupMemberId.getPeerId().equals(newLeaderId)) {
            LOG.info("broker {} is now the controller (metadata leader); brokers get one session timeout of grace",
                    nodeId);
            liveness.onElected();
        } else if (liveness.isLeader()) {
            LOG.info("broker {} is no longer the controller; the leader is {}", nodeId, newLeaderId);
            liveness.onDemoted();
        }
    }

    @Override
    public CompletableFuture<Message> query(Message request) {
        MetadataQueryReply reply;
        try {
            MetadataQuery q = MetadataQuery.parseFrom(request.getContent().asReadOnlyByteBuffer());
            if (!liveness.isLeader()) {
                // Ratis calls query() for non-linearizable reads on the ready leader only; the
                // leader-changed event may still be on its way.
                liveness.onElected();
            }
            reply = switch (q.getQueryCase()) {
                case HEARTBEAT -> MetadataQueryReply.newBuilder().setHeartbeat(heartbeat(q.getHeartbeat())).build();
                case PLAN_TOPIC -> MetadataQueryReply.newBuilder().setPlan(planTopic(q.getPlanTopic())).build();
                case PLAN_PARTITIONS ->
                        MetadataQueryReply.newBuilder().setPlan(planPartitions(q.getPlanPartitions())).build();
                case QUERY_NOT_SET -> MetadataQueryReply.newBuilder().setPlan(refusal(
                        MetadataErrorCode.METADATA_ERROR_CODE_INVALID_REQUEST, "empty metadata query")).build();
            };
        } catch (InvalidProtocolBufferException e) {
            reply = MetadataQueryReply.newBuilder().setPlan(refusal(MetadataErrorCode.METADATA_ERROR_CODE_INVALID_REQUEST,
                    "the metadata query does not parse: " + e.getMessage())).build();
        } catch (RuntimeException e) {
            LOG.error("metadata query failed", e);
            return CompletableFuture.failedFuture(e);
        }
        return CompletableFuture.completedFuture(Message.valueOf(ByteString.copyFrom(reply.toByteArray())));
    }

    @Override
    public CompletableFuture<Message> queryStale(Message request, long minIndex) {
        // BaseStateMachine.queryStale never completes for an index not yet applied (DEPENDENCIES.md).
        return query(request);
    }

    HeartbeatReply heartbeat(BrokerHeartbeat hb) {
        MetadataImage img = image;
        BrokerRegistrationRecord registered = img.brokers().get(hb.getBrokerId());
        liveness.record(hb.getBrokerId(), hb.getIncarnation(), hb.getPartitionsList());
        HeartbeatReply.Builder b = HeartbeatReply.newBuilder()
                .setControllerId(nodeId)
                .setAppliedIndex(img.appliedIndex())
                .setRegistrationRequired(registered == null || registered.getIncarnation() != hb.getIncarnation())
                .addAllAliveBrokers(liveness.alive(img.brokers().keySet()))
                .addAllPartitions(liveness.leadership(img));
        if (hb.getKnownAppliedIndex() != img.appliedIndex()) {
            b.setState(img.toProto());
        }
        return b.build();
    }

    MetadataCommandResult planTopic(PlanTopic plan) {
        MetadataImage img = image;
        var bad = CommandApplier.validateNewTopic(img, plan.getName(), plan.getConfigsMap());
        if (bad.isPresent()) {
            return refusal(bad.get().code(), bad.get().message());
        }
        if (plan.getPartitions() < 1 || plan.getPartitions() > TopicValidation.MAX_PARTITIONS) {
            return refusal(MetadataErrorCode.METADATA_ERROR_CODE_INVALID_PARTITIONS, "a topic needs 1 to "
                    + TopicValidation.MAX_PARTITIONS + " partitions, not " + plan.getPartitions());
        }
        ReplicaPlacer placer = placer(img);
        if (plan.getReplicationFactor() < 1 || plan.getReplicationFactor() > placer.candidateCount()) {
            return refusal(MetadataErrorCode.METADATA_ERROR_CODE_INVALID_REPLICATION_FACTOR, "replication factor "
                    + plan.getReplicationFactor() + " is not possible with " + placer.candidateCount()
                    + " live brokers (registered: " + img.brokers().size() + ")");
        }
        List<List<Integer>> replicas = placer.place(plan.getPartitions(), plan.getReplicationFactor());
        TopicRecord.Builder t = TopicRecord.newBuilder().setName(plan.getName())
                .setTopicId(UUID.randomUUID().toString()).putAllConfigs(plan.getConfigsMap());
        for (int p = 0; p < replicas.size(); p++) {
            t.addPartitions(PartitionAssignmentRecord.newBuilder().setPartition(p).addAllReplicas(replicas.get(p)));
        }
        return MetadataCommandResult.newBuilder().setTopic(t).setAppliedIndex(img.appliedIndex()).build();
    }

    MetadataCommandResult planPartitions(PlanPartitions plan) {
        MetadataImage img = image;
        TopicRecord t = img.topics().get(plan.getName());
        if (t == null) {
            return refusal(MetadataErrorCode.METADATA_ERROR_CODE_UNKNOWN_TOPIC,
                    "topic '" + plan.getName() + "' does not exist");
        }
        int current = t.getPartitionsCount();
        if (plan.getTotalPartitions() <= current || plan.getTotalPartitions() > TopicValidation.MAX_PARTITIONS) {
            return refusal(MetadataErrorCode.METADATA_ERROR_CODE_INVALID_PARTITIONS, "topic '" + t.getName() + "' has "
                    + current + " partitions; the new count " + plan.getTotalPartitions()
                    + " must be larger and at most " + TopicValidation.MAX_PARTITIONS);
        }
        int rf = current == 0 ? 1 : t.getPartitions(0).getReplicasCount();
        ReplicaPlacer placer = placer(img);
        if (rf > placer.candidateCount()) {
            return refusal(MetadataErrorCode.METADATA_ERROR_CODE_INVALID_REPLICATION_FACTOR, "topic '" + t.getName()
                    + "' has replication factor " + rf + " but only " + placer.candidateCount()
                    + " brokers are alive");
        }
        List<List<Integer>> replicas = placer.place(plan.getTotalPartitions() - current, rf);
        TopicRecord.Builder out = TopicRecord.newBuilder().setName(t.getName()).setTopicId(t.getTopicId());
        for (int i = 0; i < replicas.size(); i++) {
            out.addPartitions(PartitionAssignmentRecord.newBuilder().setPartition(current + i)
                    .addAllReplicas(replicas.get(i)));
        }
        return MetadataCommandResult.newBuilder().setTopic(out).setAppliedIndex(img.appliedIndex()).build();
    }

    /** A placer over the live registered brokers, loaded with every existing assignment. */
    public ReplicaPlacer placer(MetadataImage img) {
        Set<Integer> alive = liveness.alive(img.brokers().keySet());
        List<ReplicaPlacer.Candidate> candidates = new ArrayList<>();
        for (int id : alive) {
            candidates.add(new ReplicaPlacer.Candidate(id, img.brokers().get(id).getRack()));
        }
        List<List<Integer>> existing = new ArrayList<>();
        for (TopicRecord t : img.topics().values()) {
            for (PartitionAssignmentRecord p : t.getPartitionsList()) {
                existing.add(p.getReplicasList());
            }
        }
        return ReplicaPlacer.forAssignments(candidates, existing);
    }

    private static MetadataCommandResult refusal(MetadataErrorCode code, String message) {
        return MetadataCommandResult.newBuilder().setError(code).setMessage(message).build();
    }
}
