package io.tributary.record;

/**
 * A record batch, or the bytes that should hold one, is not a valid magic-2 batch. The message
 * names the field and gives the expected and actual values; {@link #reason()} lets callers tell
 * a torn tail ({@link Reason#TRUNCATED}) from corruption.
 *
 * <p>Thread-safety: immutable after construction.
 */
public final class InvalidRecordBatchException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Why a batch is invalid. */
    public enum Reason {
        /** Fewer bytes are available than the batch (or its length field) needs: a torn tail. */
        TRUNCATED,
        /** The length field is impossible: smaller than the batch header or overflowing. */
        BAD_LENGTH,
        /** The magic byte is not {@link RecordBatchFormat#MAGIC}. */
        BAD_MAGIC,
        /** The stored CRC32C does not match the bytes it covers. */
        CRC_MISMATCH,
        /** Header fields disagree with each other or the records are malformed. */
        BAD_RECORDS
    }

    private final Reason reason;

    public InvalidRecordBatchException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public InvalidRecordBatchException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    /** Why the batch is invalid. */
    public Reason reason() {
        return reason;
    }
}
