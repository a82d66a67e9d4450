package io.tributary.client.admin;

/**
 * One registered broker of the cluster.
 *
 * <p>Thread-safety: immutable.
 *
 * @param id           node id
 * @param host         host of its client listener
 * @param port         port of its client listener
 * @param rack         its rack, empty when not set
 * @param alive        true when it heartbeated to the controller within the liveness timeout
 * @param leaderCount  partitions it leads
 * @param replicaCount partition replicas it hosts, led ones included
 */
public record BrokerDescription(int id, String host, int port, String rack, boolean alive, int leaderCount,
                                int replicaCount) {
}
