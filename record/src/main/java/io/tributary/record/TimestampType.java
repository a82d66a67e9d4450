package io.tributary.record;

/**
 * What the timestamps of a batch mean, stored in bit 3 of the batch attributes
 * ({@link RecordBatchFormat#TIMESTAMP_TYPE_MASK}).
 *
 * <p>Thread-safety: immutable enum, safe for any use.
 */
public enum TimestampType {
    /** Each record carries the time its producer created it (attribute bit 3 = 0). */
    CREATE_TIME,
    /**
     * The broker stamped the batch when it appended it (attribute bit 3 = 1): the batch's
     * max timestamp is the append time and every record reads back with that timestamp.
     */
    LOG_APPEND_TIME
}
