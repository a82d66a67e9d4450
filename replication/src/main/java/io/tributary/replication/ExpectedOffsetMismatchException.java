package io.tributary.replication;

/** A conditional append whose expected offset did not match; nothing was written. */
public final class ExpectedOffsetMismatchException extends ReplicationException {
    private static final long serialVersionUID = 1L;

    private final long expectedOffset;
    private final long actualOffset;

    public ExpectedOffsetMismatchException(TopicPartition tp, long expectedOffset, long actualOffset) {
        super("conditional append to " + tp + " expected end offset " + expectedOffset + " but it is "
                + actualOffset, false);
        this.expectedOffset = expectedOffset;
        this.actualOffset = actualOffset;
    }

    public long expectedOffset() {
        return expectedOffset;
    }

    public long actualOffset() {
        return actualOffset;
    }
}
