package io.tributary.log;

/**
 * An append was refused because of its input; nothing was written and the log stays healthy.
 * The {@link Reason} lets the API layer pick the error code.
 */
public final class InvalidAppendException extends LogException {
    private static final long serialVersionUID = 1L;

    /** Why the append was refused. */
    public enum Reason {
        /** The bytes are not valid record batches (magic, length, CRC, offsets deltas). */
        CORRUPT_BATCH,
        /** A batch is larger than {@code max.message.bytes}. */
        BATCH_TOO_LARGE,
        /** No batch, or a batch without records. */
        EMPTY,
        /** A replica append whose offsets do not continue the log. */
        OFFSET_NOT_MONOTONIC
    }

    private final Reason reason;

    public InvalidAppendException(Reason reason, String message) {
        this(reason, message, null);
    }

    public InvalidAppendException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
