package io.tributary.replication;

/**
 * The partition holds no state for an idempotent producer id (never seen here, or expired after
 * {@code producer.id.expiration.ms} without an append) and its unit does not start at sequence 0.
 * Nothing was written. Not retriable as is: the producer bumps its epoch (InitProducerId) and
 * restarts its sequences at 0.
 */
public final class UnknownProducerIdException extends ReplicationException {
    private static final long serialVersionUID = 1L;

    private final long producerId;
    private final int receivedSequence;

    public UnknownProducerIdException(TopicPartition tp, long producerId, int producerEpoch, int receivedSequence) {
        super("partition " + tp + " has no state for producer " + producerId + " (epoch " + producerEpoch
                + "; never seen, or expired after producer.id.expiration.ms without an append) and its batch starts"
                + " at sequence " + receivedSequence + ", not 0; nothing was written", false);
        this.producerId = producerId;
        this.receivedSequence = receivedSequence;
    }

    public long producerId() {
        return producerId;
    }

    public int receivedSequence() {
        return receivedSequence;
    }
}
