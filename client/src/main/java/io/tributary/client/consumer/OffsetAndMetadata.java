package io.tributary.client.consumer;

/**
 * A committed position: the offset of the next record to consume (the last processed offset + 1)
 * and free text stored with it.
 *
 * <p>Thread-safety: immutable.
 *
 * @param offset   the next offset to consume, &gt;= 0
 * @param metadata text stored with the commit, never null ("" for none)
 */
public record OffsetAndMetadata(long offset, String metadata) {

    public OffsetAndMetadata {
        if (offset < 0) {
            throw new IllegalArgumentException("offset " + offset + " to commit: expected >= 0");
        }
        metadata = metadata == null ? "" : metadata;
    }

    public OffsetAndMetadata(long offset) {
        this(offset, "");
    }
}
