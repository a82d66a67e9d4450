package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;

/**
 * The requested offset is outside the partition's readable range. {@link #logStartOffset()} and
 * {@link #highWatermark()} give the range that may be read now (-1 when the broker did not say).
 * Not retriable as is: the consumer resets its position ({@link ErrorCode#OFFSET_OUT_OF_RANGE}).
 *
 * <p>Thread-safety: immutable.
 */
public class OffsetOutOfRangeException extends TributaryException {

    private static final long serialVersionUID = 1L;

    private final long logStartOffset;
    private final long highWatermark;

    public OffsetOutOfRangeException(String message, long logStartOffset, long highWatermark) {
        super(ErrorCode.OFFSET_OUT_OF_RANGE, message, false);
        this.logStartOffset = logStartOffset;
        this.highWatermark = highWatermark;
    }

    public long logStartOffset() {
        return logStartOffset;
    }

    public long highWatermark() {
        return highWatermark;
    }
}
