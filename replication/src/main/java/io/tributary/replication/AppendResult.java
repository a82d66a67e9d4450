package io.tributary.replication;

/**
 * Where an append landed.
 *
 * @param baseOffset offset of its first record
 * @param lastOffset offset of its last record
 * @param logAppendTimeMs broker time stamped into the batches for LogAppendTime topics, else -1
 *     (also -1 for a duplicate: the original time is not kept)
 * @param logStartOffset the partition's log start offset after the append
 * @param duplicate true when the append was a recent duplicate of an idempotent producer's unit:
 *     nothing was written, the offsets are those of the original
 */
public record AppendResult(long baseOffset, long lastOffset, long logAppendTimeMs, long logStartOffset,
                           boolean duplicate) {

    public AppendResult(long baseOffset, long lastOffset, long logAppendTimeMs, long logStartOffset) {
        this(baseOffset, lastOffset, logAppendTimeMs, logStartOffset, false);
    }
}
