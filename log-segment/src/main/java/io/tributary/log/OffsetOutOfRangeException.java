package io.tributary.log;

/** A read asked for an offset outside [log start offset, upper bound]. Carries the valid range. */
public final class OffsetOutOfRangeException extends LogException {
    private static final long serialVersionUID = 1L;

    private final long requestedOffset;
    private final long logStartOffset;
    private final long logEndOffset;

    public OffsetOutOfRangeException(long requestedOffset, long logStartOffset, long logEndOffset) {
        super("offset " + requestedOffset + " is out of range: valid offsets are [" + logStartOffset
                + ", " + logEndOffset + "]");
        this.requestedOffset = requestedOffset;
        this.logStartOffset = logStartOffset;
        this.logEndOffset = logEndOffset;
    }

    public long requestedOffset() {
        return requestedOffset;
    }

    public long logStartOffset() {
        return logStartOffset;
    }

    /** The largest offset a read may start at (the log end offset or the caller's bound). */
    public long logEndOffset() {
        return logEndOffset;
    }
}
