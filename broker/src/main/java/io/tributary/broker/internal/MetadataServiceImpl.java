package io.tributary.broker.internal;

import io.grpc.stub.StreamObserver;
import io.tributary.broker.internal.group.GroupCoordinator;
import io.tributary.proto.v1.BrokerStatus;
import io.tributary.proto.v1.DescribeClusterRequest;
import io.tributary.proto.v1.DescribeClusterResponse;
import io.tributary.proto.v1.ErrorCode;
import io.tributary.proto.v1.FindCoordinatorRequest;
import io.tributary.proto.v1.FindCoordinatorResponse;
import io.tributary.proto.v1.MetadataRequest;
import io.tributary.proto.v1.MetadataResponse;
import io.tributary.proto.v1.MetadataServiceGrpc;
import io.tributary.proto.v1.PartitionMetadata;
import io.tributary.proto.v1.TopicMetadata;
import io.tributary.replication.BrokerInfo;
import io.tributary.replication.ClusterMetadata;
import io.tributary.replication.PartitionInfo;
import io.tributary.replication.PartitionReplica;
import io.tributary.replication.TopicInfo;
import io.tributary.replication.TopicPartition;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * MetadataService, answered from this broker's cluster view (which may trail the controller by
 * a moment); for partitions hosted here the local replica's leadership, which is fresher, wins.
 * FindCoordinator names the leader of each group's __consumer_offsets partition (creating that
 * topic on first use).
 *
 * <p>Thread-safety: thread-safe.
 */
public final class MetadataServiceImpl extends MetadataServiceGrpc.MetadataServiceImplBase {

    private final BrokerContext ctx;
    private final List<Integer> voterIds;
    private final GroupCoordinator coordinator;

    public MetadataServiceImpl(BrokerContext ctx, List<Integer> voterIds, GroupCoordinator coordinator) {
        this.ctx = ctx;
        this.voterIds = List.copyOf(voterIds);
        this.coordinator = coordinator;
    }

    @Override
    public void metadata(MetadataRequest request, StreamObserver<MetadataResponse> out) {
        long start = System.nanoTime();
        ClusterMetadata md = ctx.metadata();
        MetadataResponse.Builder b = MetadataResponse.newBuilder().setClusterId(md.clusterId())
                .setControllerId(md.controllerId().orElse(-1));
        md.brokers().values().stream().filter(BrokerInfo::alive).sorted((x, y) -> Integer.compare(x.id(), y.id()))
                .forEach(bi -> b.addBrokers(ErrorMapper.toProto(bi)));
        if (request.getTopicsCount() == 0) {
            new TreeMap<>(md.topics()).values().forEach(t -> b.addTopics(describe(t)));
        } else {
            for (String name : request.getTopicsList()) {
                TopicMetadata.Builder t = TopicMetadata.newBuilder().setName(name);
                try {
                    TopicNames.validate(name);
                    Optional<TopicInfo> info = md.topic(name);
                    if (info.isEmpty()) {
                        throw BrokerContext.unknownTopic(name);
                    }
                    b.addTopics(describe(info.get()));
                    continue;
                } catch (RequestException e) {
                    t.setError(e.detail());
                }
                b.addTopics(t);
            }
        }
        out.onNext(b.build());
        out.onCompleted();
        ctx.metrics().request("Metadata", start);
    }

    private TopicMetadata describe(TopicInfo t) {
        TopicMetadata.Builder b = TopicMetadata.newBuilder().setName(t.name()).setTopicId(t.topicId())
                .setInternal(TopicNames.isInternal(t.name()));
        for (PartitionInfo p : t.partitions()) {
            PartitionMetadata.Builder pm = PartitionMetadata.newBuilder().setPartition(p.partition())
                    .addAllReplicaIds(p.replicas());
            int leader = p.leaderId();
            long epoch = p.leaderEpoch();
            Optional<PartitionReplica> local = ctx.node().replica(new TopicPartition(t.name(), p.partition()));
            if (local.isPresent()) {
                try {
                    PartitionReplica r = local.get();
                    if (r.leaderEpoch() >= epoch && r.leaderId() >= 0) {
                        leader = r.leaderId();
                        epoch = r.leaderEpoch();
                    }
                } catch (RuntimeException e) {
                    // Replica closing: keep the cluster view's answer.
                }
            }
            pm.setLeaderId(leader).setLeaderEpoch((int) Math.max(0, Math.min(Integer.MAX_VALUE, epoch)));
            if (leader < 0) {
                pm.setError(ErrorMapper.detail(ErrorCode.LEADER_NOT_AVAILABLE, "partition " + p.partition() + " of '"
                        + t.name() + "' has no leader right now; retry after a short backoff"));
            }
            b.addPartitions(pm);
        }
        return b.build();
    }

    @Override
    public void describeCluster(DescribeClusterRequest request, StreamObserver<DescribeClusterResponse> out) {
        long start = System.nanoTime();
        ClusterMetadata md = ctx.metadata();
        Map<Integer, int[]> load = new HashMap<>();
        int under = 0;
        int offline = 0;
        for (TopicInfo t : md.topics().values()) {
            for (PartitionInfo p : t.partitions()) {
                for (int r : p.replicas()) {
                    load.computeIfAbsent(r, k -> new int[2])[1]++;
                }
                if (p.hasLeader()) {
                    load.computeIfAbsent(p.leaderId(), k -> new int[2])[0]++;
                } else {
                    offline++;
                }
                if (p.isUnderReplicated()) {
                    under++;
                }
            }
        }
        DescribeClusterResponse.Builder b = DescribeClusterResponse.newBuilder().setClusterId(md.clusterId())
                .setControllerId(md.controllerId().orElse(-1)).addAllControllerVoterIds(voterIds)
                .setUnderReplicatedPartitions(under).setOfflinePartitions(offline);
        new TreeMap<>(md.brokers()).values().forEach(bi -> {
            int[] l = load.getOrDefault(bi.id(), new int[2]);
            b.addBrokers(BrokerStatus.newBuilder().setBroker(ErrorMapper.toProto(bi)).setAlive(bi.alive())
                    .setLeaderCount(l[0]).setReplicaCount(l[1]));
        });
        out.onNext(b.build());
        out.onCompleted();
        ctx.metrics().request("DescribeCluster", start);
    }

    @Override
    public void findCoordinator(FindCoordinatorRequest request, StreamObserver<FindCoordinatorResponse> out) {
        long start = System.nanoTime();
        if (request.getGroupIdsCount() == 0) {
            out.onError(ErrorMapper.toStatus(RequestException.invalidRequest("group_ids is empty: name at least one"
                    + " group").detail()));
            ctx.metrics().request("FindCoordinator", start);
            return;
        }
        FindCoordinatorResponse.Builder b = FindCoordinatorResponse.newBuilder();
        for (String groupId : request.getGroupIdsList()) {
            io.tributary.proto.v1.GroupCoordinator.Builder g = io.tributary.proto.v1.GroupCoordinator.newBuilder()
                    .setGroupId(groupId);
            try {
                GroupCoordinator.validateGroupId(groupId, "a group id in group_ids");
                g.setCoordinator(coordinator.findCoordinator(groupId));
            } catch (RequestException e) {
                g.setError(e.detail());
            } catch (RuntimeException e) {
                g.setError(ctx.errors().toDetail(e, null));
            }
            b.addCoordinators(g);
        }
        out.onNext(b.build());
        out.onCompleted();
        ctx.metrics().request("FindCoordinator", start);
    }

    static List<Integer> ids(Map<Integer, ?> m) {
        return new ArrayList<>(m.keySet());
    }
}
