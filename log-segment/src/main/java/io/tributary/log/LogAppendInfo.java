package io.tributary.log;

/**
 * What one append wrote.
 *
 * @param firstOffset offset of the first record written (the first batch's base offset)
 * @param lastOffset offset of the last record written
 * @param maxTimestamp largest record timestamp among the written batches
 * @param logAppendTimeMs the broker time stamped into the batches, or -1 for CreateTime logs
 * @param batchCount number of batches written
 * @param recordCount number of records written
 * @param sizeInBytes bytes written to the segment
 */
public record LogAppendInfo(long firstOffset, long lastOffset, long maxTimestamp, long logAppendTimeMs,
                            int batchCount, int recordCount, int sizeInBytes) {

    /** The offset the next append will start at. */
    public long nextOffset() {
        return lastOffset + 1;
    }
}
