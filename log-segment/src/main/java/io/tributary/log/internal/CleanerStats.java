package io.tributary.log.internal;

/**
 * Counters of one cleaning pass, for its log line and for tests.
 *
 * <p>Thread-safety: not thread-safe; filled by the one thread running the pass.
 */
public final class CleanerStats {
    long mapBatches;
    long mapRecords;
    long batchesRead;
    long recordsRead;
    long bytesRead;
    long bytesWritten;
    long recordsDropped;
    long tombstonesDropped;
    long batchesDropped;
    long batchesEmptied;
    long batchesReencoded;
    int segmentsRewritten;
    long earliestTombstoneMs = Long.MAX_VALUE;

    /** Batches read to build the offset map. */
    public long mapBatches() {
        return mapBatches;
    }

    /** Keyed records put into the offset map. */
    public long mapRecords() {
        return mapRecords;
    }

    /** Batches read while rewriting segments. */
    public long batchesRead() {
        return batchesRead;
    }

    /** Records decoded while rewriting segments (batches copied without decoding are not counted). */
    public long recordsRead() {
        return recordsRead;
    }

    /** Bytes of the segments rewritten (or found unchanged). */
    public long bytesRead() {
        return bytesRead;
    }

    /** Bytes of the cleaned segments written. */
    public long bytesWritten() {
        return bytesWritten;
    }

    /** Records dropped: superseded by a newer record of their key, or expired tombstones. */
    public long recordsDropped() {
        return recordsDropped;
    }

    /** Tombstones dropped because they were older than {@code delete.retention.ms}. */
    public long tombstonesDropped() {
        return tombstonesDropped;
    }

    /** Batches left without records and dropped. */
    public long batchesDropped() {
        return batchesDropped;
    }

    /** Last batches of a segment that lost every record and were kept as a header without records. */
    public long batchesEmptied() {
        return batchesEmptied;
    }

    /** Batches that lost some records and were encoded again. */
    public long batchesReencoded() {
        return batchesReencoded;
    }

    /** Segments replaced by a cleaned copy. */
    public int segmentsRewritten() {
        return segmentsRewritten;
    }

    /** Timestamp of the oldest tombstone the pass saw and kept, or {@link Long#MAX_VALUE}. */
    public long earliestTombstoneMs() {
        return earliestTombstoneMs;
    }

    /** Counts a segment the log swapped for its cleaned copy. */
    public void recordSwap() {
        segmentsRewritten++;
    }

    void sawTombstone(long timestampMs) {
        earliestTombstoneMs = Math.min(earliestTombstoneMs, timestampMs);
    }

    @Override
    public String toString() {
        return "mapped " + mapRecords + " records in " + mapBatches + " batches; read " + bytesRead + " bytes in "
                + batchesRead + " batches, wrote " + bytesWritten + " bytes; dropped " + recordsDropped + " records ("
                + tombstonesDropped + " tombstones) and " + batchesDropped + " batches; emptied " + batchesEmptied
                + " and re-encoded " + batchesReencoded + " batches; " + segmentsRewritten + " segments rewritten";
    }
}
