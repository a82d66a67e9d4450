package io.tributary.replication;

/** This replica is not the leader; {@link #leaderId()} names the leader when known (-1 otherwise). */
public final class NotLeaderException extends ReplicationException {
    private static final long serialVersionUID = 1L;

    private final int leaderId;

    public NotLeaderException(String what, int leaderId) {
        super(what + (leaderId >= 0 ? ": the leader is broker " + leaderId : ": no leader is known yet"), true);
        this.leaderId = leaderId;
    }

    public int leaderId() {
        return leaderId;
    }
}
