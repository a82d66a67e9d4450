package io.tributary.replication.metadata;

import io.tributary.replication.partition.RaftIds;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The identity of the metadata Raft group and the broker-to-peer naming every Raft group of a
 * broker shares. Stateless; thread-safe.
 *
 * <p>Design note: the group id is a fixed UUID, so every broker derives the same group from its
 * configured voters without any bootstrap exchange; a broker's Raft peer id is the one every
 * group uses ({@link RaftIds#peerId}).
 */
public final class MetadataGroup {

    /** The metadata group's id: the same in every Tributary cluster ("tributary-metadata" in spirit). */
    public static final RaftGroupId GROUP_ID =
            RaftGroupId.valueOf(UUID.fromString("74726962-7574-6172-792d-6d6574610001"));

    private MetadataGroup() {
    }

    /** The metadata group over the controller voters (node id to {@code host:raftPort}). */
    public static RaftGroup group(Map<Integer, String> voters) {
        List<RaftPeer> peers = new ArrayList<>();
        new TreeMap<>(voters).forEach((id, address) ->
                peers.add(RaftIds.peer(id, address)));
        return RaftGroup.valueOf(GROUP_ID, peers);
    }
}
