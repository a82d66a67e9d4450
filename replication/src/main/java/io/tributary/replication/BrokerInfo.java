package io.tributary.replication;

/**
 * A registered broker as the metadata quorum knows it.
 *
 * @param id node id, unique in the cluster
 * @param host host clients and peers reach it at
 * @param clientPort the client gRPC port
 * @param raftAddress {@code host:port} of its Ratis server
 * @param rack rack or zone, or empty
 * @param alive whether the controller has heard from it within the session timeout
 * @param controllerVoter whether it is a voter of the metadata quorum
 */
public record BrokerInfo(int id, String host, int clientPort, String raftAddress, String rack, boolean alive,
                         boolean controllerVoter) {

    /** {@code host:clientPort}. */
    public String clientAddress() {
        return host + ":" + clientPort;
    }
}
