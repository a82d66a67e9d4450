package io.tributary.client.admin;

import io.tributary.client.TopicPartition;
import io.tributary.client.errors.TributaryException;

/**
 * A group's position on one partition.
 *
 * <p>Thread-safety: immutable.
 *
 * @param partition       the partition
 * @param committedOffset the committed next offset to consume, -1 when none
 * @param endOffset       the partition's high watermark, -1 when unknown
 * @param lag             end - committed (end - log start when nothing is committed), -1 when unknown
 * @param ownerMemberId   the member that owns the partition, empty when none
 * @param error           why the end offset is unknown, null when it is known
 */
public record PartitionLag(TopicPartition partition, long committedOffset, long endOffset, long lag,
                           String ownerMemberId, TributaryException error) {
}
