package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;
import java.util.Optional;

/**
 * A conditional append's expectation did not hold, and nothing was written. {@link #actualOffset()}
 * is what the expectation was compared with: for a partition condition the partition's end
 * offset (the offset the next record would get); for a key condition the offset of the key's last
 * record, or -1 when the key has none ({@link #mismatchedKey()} then names the key). Not retriable
 * as is: the writer re-reads its state and decides again ({@link ErrorCode#EXPECTED_OFFSET_MISMATCH}).
 *
 * <p>Thread-safety: immutable.
 */
public class ExpectedOffsetMismatchException extends TributaryException {

    private static final long serialVersionUID = 1L;

    private final long actualOffset;
    private final byte[] mismatchedKey;

    public ExpectedOffsetMismatchException(String message, long actualOffset, byte[] mismatchedKey) {
        super(ErrorCode.EXPECTED_OFFSET_MISMATCH, message, false);
        this.actualOffset = actualOffset;
        this.mismatchedKey = mismatchedKey == null || mismatchedKey.length == 0 ? null : mismatchedKey.clone();
    }

    /**
     * The actual offset: the partition's end offset (partition condition), or the key's last
     * offset, -1 when the key has no record (key condition). {@link Long#MIN_VALUE} if the broker
     * did not say.
     */
    public long actualOffset() {
        return actualOffset;
    }

    /** For a key condition: the (serialized) key whose condition failed; empty for a partition condition. */
    public Optional<byte[]> mismatchedKey() {
        return Optional.ofNullable(mismatchedKey).map(byte[]::clone);
    }
}
