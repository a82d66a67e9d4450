package io.tributary.replication;

/**
 * An idempotent producer's unit was written before, too long ago for the partition to still know
 * its offsets (only the producer's last 5 units are remembered; a recent duplicate succeeds with
 * its original offsets instead, see {@link AppendResult#duplicate()}). The data is in the log
 * once; nothing was written now. Not retriable.
 */
public final class DuplicateSequenceException extends ReplicationException {
    private static final long serialVersionUID = 1L;

    private final long producerId;
    private final int receivedSequence;
    private final int lastSequence;

    public DuplicateSequenceException(TopicPartition tp, long producerId, int producerEpoch, int receivedSequence,
                                      int lastSequence) {
        super("producer " + producerId + " (epoch " + producerEpoch + ") sent sequence " + receivedSequence + " to "
                + tp + ", already written long ago (its last sequence there is " + lastSequence
                + "); nothing was written again", false);
        this.producerId = producerId;
        this.receivedSequence = receivedSequence;
        this.lastSequence = lastSequence;
    }

    public long producerId() {
        return producerId;
    }

    public int receivedSequence() {
        return receivedSequence;
    }

    public int lastSequence() {
        return lastSequence;
    }
}
