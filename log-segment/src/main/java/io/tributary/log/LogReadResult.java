package io.tributary.log;

import java.nio.ByteBuffer;

/**
 * Whole record batches read from one segment, as stored: the bytes are not re-encoded, so the
 * broker hands them to the network as they are.
 *
 * @param records the batches back to back, positioned at 0; empty when nothing is readable yet
 * @param firstOffset base offset of the first batch returned (may be below the requested
 *     offset: batches are never split, so a reader skips the records before the one it asked for),
 *     or the requested offset when nothing was returned
 * @param nextOffset the offset to read from next (the end of the last batch returned), or the
 *     requested offset when nothing was returned; or, when compaction left no record between the
 *     requested offset and the read's upper bound, that bound (nothing is returned, but the reader
 *     may move on)
 * @param logStartOffset the log start offset when the read was made
 * @param logEndOffset the log end offset when the read was made
 */
public record LogReadResult(ByteBuffer records, long firstOffset, long nextOffset, long logStartOffset,
                            long logEndOffset) {

    public int sizeInBytes() {
        return records.remaining();
    }

    public boolean isEmpty() {
        return !records.hasRemaining();
    }
}
