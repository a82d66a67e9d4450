package io.tributary.client.consumer;

import io.tributary.client.TopicPartition;
import io.tributary.client.errors.TributaryException;
import io.tributary.proto.v1.ErrorCode;
import java.util.Set;

/**
 * A partition has no committed offset and {@code auto.offset.reset} is {@code none}: the
 * application must {@code seek} it first. Not retriable.
 *
 * <p>Thread-safety: immutable.
 */
public class NoOffsetForPartitionException extends TributaryException {

    private static final long serialVersionUID = 1L;

    private final Set<TopicPartition> partitions;

    public NoOffsetForPartitionException(Set<TopicPartition> partitions) {
        super(ErrorCode.OFFSET_OUT_OF_RANGE, "no committed offset for " + partitions
                + " and auto.offset.reset is none: seek these partitions before polling", false);
        this.partitions = Set.copyOf(partitions);
    }

    /** The partitions without a position. */
    public Set<TopicPartition> partitions() {
        return partitions;
    }
}
