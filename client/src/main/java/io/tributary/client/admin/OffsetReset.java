package io.tributary.client.admin;

import io.tributary.client.TopicPartition;
import io.tributary.client.errors.TributaryException;

/**
 * The reset of one partition's committed offset.
 *
 * <p>Thread-safety: immutable.
 *
 * @param partition      the partition
 * @param previousOffset the committed offset before, -1 when none
 * @param newOffset      the committed offset after (or that would be, for a dry run)
 * @param error          why this partition was not reset, null on success
 */
public record OffsetReset(TopicPartition partition, long previousOffset, long newOffset, TributaryException error) {
}
