package io.tributary.client.consumer;

/**
 * The answer of {@link Consumer#offsetsForTimes}: the first offset whose record timestamp is at or
 * after the time asked for, and that record's timestamp.
 *
 * <p>Thread-safety: immutable.
 *
 * @param offset    the offset found
 * @param timestamp the timestamp of the record at {@code offset}, in ms since the epoch
 */
public record OffsetAndTimestamp(long offset, long timestamp) {
}
