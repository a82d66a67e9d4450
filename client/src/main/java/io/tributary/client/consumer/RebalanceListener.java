package io.tributary.client.consumer;

import io.tributary.client.TopicPartition;
import java.util.Collection;

/**
 * Told when the group moves partitions to or from this consumer. Every method runs on the thread
 * that calls {@link Consumer#poll} (or {@link Consumer#close}), never on a background thread, so
 * it may use the consumer (e.g. {@code commitSync}, {@code seek}). An exception thrown by a
 * callback is logged and then thrown from the {@code poll} that ran it, after the consumer's own
 * bookkeeping is done.
 *
 * <p>The protocol is incremental: each call names only the partitions that move. Partitions that
 * stay are never revoked and re-assigned.
 */
public interface RebalanceListener {

    /** A listener that does nothing. */
    RebalanceListener NOOP = new RebalanceListener() {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        }
    };

    /**
     * The consumer gives up these partitions: no more of their records will be returned. Called
     * before their positions are committed (with auto-commit), so the application may commit its
     * own progress here. The partitions are handed to another member once this returns and the
     * commit is done; it must finish within the group's rebalance timeout.
     */
    void onPartitionsRevoked(Collection<TopicPartition> partitions);

    /**
     * The consumer now owns these partitions too. Their positions start at the group's committed
     * offsets (or by {@code auto.offset.reset}); a {@code seek} here overrides that.
     */
    void onPartitionsAssigned(Collection<TopicPartition> partitions);

    /**
     * The consumer was fenced (its membership expired or was superseded): these partitions may
     * already belong to another member, so nothing was committed for them. The default calls
     * {@link #onPartitionsRevoked}.
     */
    default void onPartitionsLost(Collection<TopicPartition> partitions) {
        onPartitionsRevoked(partitions);
    }
}
