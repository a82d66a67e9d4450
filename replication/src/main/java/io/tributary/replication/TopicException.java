package io.tributary.replication;

/** A topic administration request was refused; {@link #reason()} says why. */
public final class TopicException extends ReplicationException {
    private static final long serialVersionUID = 1L;

    /** Why a topic request was refused. */
    public enum Reason {
        UNKNOWN_TOPIC, TOPIC_ALREADY_EXISTS, INVALID_TOPIC_NAME, INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR,
        INVALID_CONFIG, CONTROLLER_NOT_AVAILABLE
    }

    private final Reason reason;

    public TopicException(Reason reason, String message) {
        super(message, reason == Reason.CONTROLLER_NOT_AVAILABLE);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
