package io.tributary.client.consumer;

import io.tributary.client.TopicPartition;
import java.util.Map;

/**
 * Told the outcome of {@link Consumer#commitAsync}. Runs on the thread that calls the consumer
 * (inside a later {@code poll}, {@code commitSync} or {@code close}), never on a network thread.
 */
@FunctionalInterface
public interface OffsetCommitCallback {

    /**
     * @param offsets   the offsets that were to be committed
     * @param exception null on success; otherwise why the commit failed (a
     *                  {@link io.tributary.client.errors.TributaryException}: for a partition the
     *                  member no longer owns, {@code PartitionNotOwnedException})
     */
    void onComplete(Map<TopicPartition, OffsetAndMetadata> offsets, Exception exception);
}
