package io.tributary.client.producer;

/**
 * The expectation of a conditional append ({@link Producer#send(io.tributary.client.ProducerRecord,
 * Condition)}): the record is written only if it holds when the partition's state machine applies
 * it, so two writers expecting the same offset cannot both succeed, across leader changes too. On
 * a mismatch nothing is written and the send's future fails with an
 * {@link io.tributary.client.errors.ExpectedOffsetMismatchException} carrying the actual offset.
 *
 * <p>Thread-safety: immutable.
 */
public sealed interface Condition {

    /**
     * Append only if the partition's end offset (the offset this record would get) is
     * {@code expectedEndOffset}.
     */
    static Condition partitionEndOffset(long expectedEndOffset) {
        return new PartitionEndOffset(expectedEndOffset);
    }

    /**
     * Append only if the last record with this record's key is at {@code expectedLastOffset}, or,
     * for -1, if the key has no record yet (never written, or its last record is a tombstone). The
     * record must have a non-null key.
     */
    static Condition keyLastOffset(long expectedLastOffset) {
        return new KeyLastOffset(expectedLastOffset);
    }

    /** @param expectedEndOffset the partition's expected end offset, &gt;= 0 */
    record PartitionEndOffset(long expectedEndOffset) implements Condition {
        public PartitionEndOffset {
            if (expectedEndOffset < 0) {
                throw new IllegalArgumentException("expectedEndOffset " + expectedEndOffset + ": expected >= 0");
            }
        }
    }

    /** @param expectedLastOffset the key's expected last offset, or -1 for "no record yet" */
    record KeyLastOffset(long expectedLastOffset) implements Condition {
        public KeyLastOffset {
            if (expectedLastOffset < -1) {
                throw new IllegalArgumentException("expectedLastOffset " + expectedLastOffset
                        + ": expected >= -1 (-1: the key has no record yet)");
            }
        }
    }
}
