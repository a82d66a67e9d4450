package io.tributary.replication;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One append to a partition (a "unit"): whole record batches (Kafka batch v2) back to back,
 * validated by the broker, appended atomically at consecutive offsets, or not at all.
 *
 * <p><b>Idempotence</b> is read from the batches themselves: when their producer id is not -1,
 * all batches of the unit must carry the same producer id and epoch and consecutive sequences,
 * and the partition's state machine checks the unit's sequences against the producer's state
 * (see {@link DuplicateSequenceException}, {@link OutOfOrderSequenceException},
 * {@link InvalidProducerEpochException}, {@link UnknownProducerIdException}). A recent duplicate
 * is not an error: the append completes with the original offsets and
 * {@link AppendResult#duplicate()} set.
 *
 * <p><b>Conditions</b> (checked after the duplicate check, before anything is written; a failure
 * is an {@link ExpectedOffsetMismatchException} and writes nothing).
 *
 * @param batches the batches; not modified, not retained after the future completes
 * @param acksAll true: complete when a majority of replicas has the entry (committed); false:
 *     complete once the leader has accepted it into its Raft log
 * @param expectedEndOffset conditional append: append only if the partition's end offset equals
 *     this; -1 for none
 * @param timeoutMs how long the caller waits for replication before the future fails with a timeout
 * @param keyConditions key conditions: append only if every key's last record is at its expected
 *     offset (-1: the key has no record, or its last record is a tombstone); empty for none
 */
public record AppendRequest(ByteBuffer batches, boolean acksAll, long expectedEndOffset, long timeoutMs,
                            List<KeyCondition> keyConditions) {

    /** Most key conditions one append may carry (they travel in the Raft entry's header). */
    public static final int MAX_KEY_CONDITIONS = 1024;
    /** Most bytes of keys the key conditions of one append may carry. */
    public static final int MAX_KEY_CONDITION_BYTES = 64 * 1024;

    public AppendRequest {
        keyConditions = keyConditions == null ? List.of() : List.copyOf(keyConditions);
    }

    /** An append without key conditions. */
    public AppendRequest(ByteBuffer batches, boolean acksAll, long expectedEndOffset, long timeoutMs) {
        this(batches, acksAll, expectedEndOffset, timeoutMs, List.of());
    }

    public static AppendRequest of(ByteBuffer batches) {
        return new AppendRequest(batches, true, -1, 30_000);
    }

    /**
     * A condition on the last record of one key (compared byte for byte with record keys; records
     * with a null key are not tracked).
     *
     * @param key the key (copied)
     * @param expectedLastOffset the offset of the key's last record, or -1 to require that the key
     *     has no record (never written, or its last record is a tombstone: a null value)
     */
    public record KeyCondition(byte[] key, long expectedLastOffset) {
        public KeyCondition {
            Objects.requireNonNull(key, "key");
            key = key.clone();
            if (expectedLastOffset < -1) {
                throw new IllegalArgumentException("expected last offset " + expectedLastOffset + " is below -1");
            }
        }

        @Override
        public byte[] key() {
            return key.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof KeyCondition k && k.expectedLastOffset == expectedLastOffset
                    && Arrays.equals(k.key, key);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(key) * 31 + Long.hashCode(expectedLastOffset);
        }

        @Override
        public String toString() {
            return "KeyCondition(" + key.length + " bytes, expected " + expectedLastOffset + ")";
        }
    }
}
