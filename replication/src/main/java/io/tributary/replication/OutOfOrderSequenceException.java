package io.tributary.replication;

/**
 * An idempotent producer's unit does not continue its sequence on this partition (a gap, or a
 * new epoch that does not start at sequence 0): an earlier batch was lost or failed. Nothing was
 * written. Not retriable as is: the producer resends from the first unacknowledged batch, or
 * bumps its epoch.
 */
public final class OutOfOrderSequenceException extends ReplicationException {
    private static final long serialVersionUID = 1L;

    private final long producerId;
    private final int producerEpoch;
    private final int expectedSequence;
    private final int receivedSequence;

    public OutOfOrderSequenceException(TopicPartition tp, long producerId, int producerEpoch, int expectedSequence,
                                       int receivedSequence) {
        super("producer " + producerId + " (epoch " + producerEpoch + ") sent sequence " + receivedSequence + " to "
                + tp + " but the next expected sequence is " + expectedSequence + "; nothing was written", false);
        this.producerId = producerId;
        this.producerEpoch = producerEpoch;
        this.expectedSequence = expectedSequence;
        this.receivedSequence = receivedSequence;
    }

    public long producerId() {
        return producerId;
    }

    public int producerEpoch() {
        return producerEpoch;
    }

    public int expectedSequence() {
        return expectedSequence;
    }

    public int receivedSequence() {
        return receivedSequence;
    }
}
