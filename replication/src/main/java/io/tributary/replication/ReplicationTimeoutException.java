package io.tributary.replication;

/** Replication did not complete in time; the append may or may not become committed. */
public final class ReplicationTimeoutException extends ReplicationException {
    private static final long serialVersionUID = 1L;

    public ReplicationTimeoutException(String message) {
        super(message, true);
    }
}
