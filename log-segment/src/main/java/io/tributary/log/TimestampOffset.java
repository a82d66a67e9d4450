package io.tributary.log;

/**
 * The first record at or after a searched-for timestamp.
 *
 * @param timestamp that record's timestamp
 * @param offset that record's offset
 */
public record TimestampOffset(long timestamp, long offset) {
}
