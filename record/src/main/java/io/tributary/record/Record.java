package io.tributary.record;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * One record of a batch, as a view. {@link #key()} and {@link #value()} are read-only views over
 * the batch buffer (or, for a compressed batch, over the buffer it was decompressed into): they
 * copy nothing and stay valid only while those bytes do.
 *
 * <p>Thread-safety: a record is immutable; each call to {@link #key()}/{@link #value()} returns
 * a fresh view with its own position, so records may be read from several threads as long as
 * nobody mutates the underlying bytes.
 */
public interface Record {

    /** Absolute offset: the batch's base offset plus this record's offset delta. */
    long offset();

    /**
     * Timestamp in ms: the batch's base timestamp plus this record's delta, or, in a
     * {@link TimestampType#LOG_APPEND_TIME} batch, the batch's max timestamp (Kafka semantics).
     */
    long timestamp();

    /** Producer sequence: base sequence plus offset delta (wrapping past Integer.MAX_VALUE), or -1. */
    int sequence();

    /** Read-only view of the key bytes, or {@code null} for a null key. */
    ByteBuffer key();

    /** Read-only view of the value bytes, or {@code null} for a null value (a tombstone). */
    ByteBuffer value();

    boolean hasKey();

    boolean hasValue();

    /** Key length in bytes, or -1 for a null key. */
    int keySize();

    /** Value length in bytes, or -1 for a null value. */
    int valueSize();

    /** Headers in stored order; decoded (and copied) on each call. */
    List<Header> headers();

    /** Bytes this record occupies in the (uncompressed) records section, length prefix included. */
    int sizeInBytes();
}
