package io.tributary.client.internal;

import io.tributary.proto.v1.Broker;

/**
 * A broker as the metadata names it: id and client address.
 *
 * <p>Thread-safety: immutable.
 *
 * @param id   the broker's node id
 * @param host host of its client listener
 * @param port port of its client listener
 * @param rack its rack, empty when not set
 */
public record BrokerNode(int id, String host, int port, String rack) {

    public static BrokerNode of(Broker b) {
        return new BrokerNode(b.getBrokerId(), b.getHost(), b.getPort(), b.getRack());
    }

    /** {@code host:port}, the key of its channel. */
    public String address() {
        return ChannelPool.address(host, port);
    }

    @Override
    public String toString() {
        return "broker " + id + " at " + address();
    }
}
