package io.tributary.replication;

/** Base of the replication layer's failures; the subclass says which, and whether a retry can help. */
public class ReplicationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final boolean retriable;

    public ReplicationException(String message, boolean retriable) {
        this(message, retriable, null);
    }

    public ReplicationException(String message, boolean retriable, Throwable cause) {
        super(message, cause);
        this.retriable = retriable;
    }

    /** Whether the same request may succeed later (leader moved, quorum busy, timeout). */
    public boolean isRetriable() {
        return retriable;
    }
}
