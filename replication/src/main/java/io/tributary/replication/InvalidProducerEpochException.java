package io.tributary.replication;

/**
 * An idempotent producer's unit carries an epoch older than the producer id's current epoch on
 * this partition: the producer was fenced (the id was taken over, or its epoch bumped). Nothing
 * was written. Not retriable.
 */
public final class InvalidProducerEpochException extends ReplicationException {
    private static final long serialVersionUID = 1L;

    private final long producerId;
    private final int receivedEpoch;
    private final int currentEpoch;

    public InvalidProducerEpochException(TopicPartition tp, long producerId, int receivedEpoch, int currentEpoch) {
        super("producer " + producerId + " sent epoch " + receivedEpoch + " to " + tp + " but its current epoch there"
                + " is " + currentEpoch + ": the producer is fenced; nothing was written", false);
        this.producerId = producerId;
        this.receivedEpoch = receivedEpoch;
        this.currentEpoch = currentEpoch;
    }

    public long producerId() {
        return producerId;
    }

    public int receivedEpoch() {
        return receivedEpoch;
    }

    public int currentEpoch() {
        return currentEpoch;
    }
}
