package io.tributary.replication;

/**
 * A conditional append whose expected offset did not match; nothing was written. Either the
 * partition condition (the end offset) or a key condition (the key's last offset; -1 when the
 * key has no record or its last record is a tombstone) failed: {@link #key()} says which.
 */
public final class ExpectedOffsetMismatchException extends ReplicationException {
    private static final long serialVersionUID = 1L;

    private final long expectedOffset;
    private final long actualOffset;
    private final byte[] key;

    /** The partition condition failed. */
    public ExpectedOffsetMismatchException(TopicPartition tp, long expectedOffset, long actualOffset) {
        super("conditional append to " + tp + " expected end offset " + expectedOffset + " but it is "
                + actualOffset, false);
        this.expectedOffset = expectedOffset;
        this.actualOffset = actualOffset;
        this.key = null;
    }

    /** A key condition failed. */
    public ExpectedOffsetMismatchException(TopicPartition tp, byte[] key, long expectedOffset, long actualOffset) {
        super("conditional append to " + tp + " expected the last record of key " + describe(key) + " at "
                + expectedOffset + " but it is " + (actualOffset < 0 ? "-1 (the key has no record)"
                : Long.toString(actualOffset)), false);
        this.expectedOffset = expectedOffset;
        this.actualOffset = actualOffset;
        this.key = key.clone();
    }

    public long expectedOffset() {
        return expectedOffset;
    }

    /** The partition's end offset, or the key's last offset (-1: none). */
    public long actualOffset() {
        return actualOffset;
    }

    /** The key whose condition failed, or null when the partition condition failed. */
    public byte[] key() {
        return key == null ? null : key.clone();
    }

    public boolean isKeyCondition() {
        return key != null;
    }

    static String describe(byte[] key) {
        StringBuilder b = new StringBuilder();
        boolean printable = true;
        for (byte x : key) {
            printable &= x >= 0x20 && x < 0x7f;
        }
        if (printable && key.length <= 64) {
            return b.append('"').append(new String(key, java.nio.charset.StandardCharsets.US_ASCII)).append('"')
                    .toString();
        }
        b.append("0x");
        for (int i = 0; i < Math.min(key.length, 32); i++) {
            b.append(String.format("%02x", key[i]));
        }
        return b.append(key.length > 32 ? "... (" + key.length + " bytes)" : "").toString();
    }
}
