package io.tributary.replication;

/**
 * Where an append landed.
 *
 * @param baseOffset offset of its first record
 * @param lastOffset offset of its last record
 * @param logAppendTimeMs broker time stamped into the batches for LogAppendTime topics, else -1
 * @param logStartOffset the partition's log start offset after the append
 */
public record AppendResult(long baseOffset, long lastOffset, long logAppendTimeMs, long logStartOffset) {
}
