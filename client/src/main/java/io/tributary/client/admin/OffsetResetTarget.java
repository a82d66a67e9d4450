package io.tributary.client.admin;

/**
 * Where {@link Admin#resetOffsets} moves a group's committed offsets.
 *
 * <p>Thread-safety: immutable.
 */
public sealed interface OffsetResetTarget {

    /** Each partition's log start offset. */
    static OffsetResetTarget earliest() {
        return Earliest.INSTANCE;
    }

    /** Each partition's high watermark. */
    static OffsetResetTarget latest() {
        return Latest.INSTANCE;
    }

    /** One offset for every partition, clamped by the broker to each partition's readable range. */
    static OffsetResetTarget offset(long offset) {
        return new ToOffset(offset);
    }

    /** The first offset at or after this time (ms since the epoch); the end for a partition with no record that late. */
    static OffsetResetTarget time(long timestampMs) {
        return new ToTime(timestampMs);
    }

    /** See {@link #earliest()}. */
    enum Earliest implements OffsetResetTarget { INSTANCE }

    /** See {@link #latest()}. */
    enum Latest implements OffsetResetTarget { INSTANCE }

    /** See {@link #offset(long)}. @param offset the offset */
    record ToOffset(long offset) implements OffsetResetTarget {
    }

    /** See {@link #time(long)}. @param timestampMs ms since the epoch */
    record ToTime(long timestampMs) implements OffsetResetTarget {
    }
}
