package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;

/**
 * The topic or partition does not exist (clients refresh metadata once before giving up). Not retriable ({@link ErrorCode#UNKNOWN_TOPIC_OR_PARTITION}).
 *
 * <p>Thread-safety: immutable.
 */
public class UnknownTopicOrPartitionException extends TributaryException {

    private static final long serialVersionUID = 1L;

    public UnknownTopicOrPartitionException(String message) {
        super(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message, false);
    }

    public UnknownTopicOrPartitionException(String message, Throwable cause) {
        super(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message, false, cause);
    }
}
