package io.tributary.replication.partition;

import io.tributary.replication.BrokerInfo;
import io.tributary.replication.TopicPartition;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;

/**
 * How Tributary names things in Ratis. Every broker must derive the same ids: a broker's peer id
 * is its node id in decimal; a partition's group id is a name-based UUID of its topic id and
 * partition number (a topic deleted and created again under the same name gets new groups).
 * Thread-safe (stateless).
 */
public final class RaftIds {

    private RaftIds() {
    }

    public static RaftPeerId peerId(int brokerId) {
        return RaftPeerId.valueOf(Integer.toString(brokerId));
    }

    /** The broker id of a peer id made by {@link #peerId}, or -1. */
    public static int brokerId(RaftPeerId peerId) {
        if (peerId == null) {
            return -1;
        }
        try {
            return Integer.parseInt(peerId.toString());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    public static RaftPeer peer(int brokerId, String raftAddress) {
        return RaftPeer.newBuilder().setId(peerId(brokerId)).setAddress(raftAddress).build();
    }

    public static RaftPeer peer(BrokerInfo broker) {
        return peer(broker.id(), broker.raftAddress());
    }

    public static List<RaftPeer> peers(List<BrokerInfo> brokers) {
        return brokers.stream().map(RaftIds::peer).toList();
    }

    /** The Raft group of a partition: {@code UUID.nameUUIDFromBytes("partition:<topicId>:<partition>")}. */
    public static RaftGroupId partitionGroupId(String topicId, int partition) {
        return RaftGroupId.valueOf(UUID.nameUUIDFromBytes(("partition:" + topicId + ":" + partition)
                .getBytes(StandardCharsets.UTF_8)));
    }

    public static RaftGroupId partitionGroupId(String topicId, TopicPartition tp) {
        return partitionGroupId(topicId, tp.partition());
    }
}
