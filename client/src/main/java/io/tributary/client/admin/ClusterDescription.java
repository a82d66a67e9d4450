package io.tributary.client.admin;

import java.util.List;

/**
 * The cluster as {@code DescribeCluster} reports it.
 *
 * <p>Thread-safety: immutable.
 *
 * @param clusterId                 the cluster's id
 * @param controllerId              the metadata quorum leader's broker id, -1 when there is none
 * @param controllerVoterIds        the metadata quorum's voters
 * @param brokers                   every registered broker, alive or not, by id
 * @param underReplicatedPartitions partitions with fewer in-sync replicas than replicas
 * @param offlinePartitions         partitions without a leader
 */
public record ClusterDescription(String clusterId, int controllerId, List<Integer> controllerVoterIds,
                                 List<BrokerDescription> brokers, int underReplicatedPartitions,
                                 int offlinePartitions) {

    public ClusterDescription {
        controllerVoterIds = List.copyOf(controllerVoterIds);
        brokers = List.copyOf(brokers);
    }

    /** True when every broker is alive, there is a controller, and no partition is offline or under-replicated. */
    public boolean healthy() {
        return controllerId >= 0 && offlinePartitions == 0 && underReplicatedPartitions == 0
                && brokers.stream().allMatch(BrokerDescription::alive);
    }
}
