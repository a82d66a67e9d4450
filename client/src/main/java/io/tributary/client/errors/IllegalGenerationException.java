package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;

/**
 * The member's generation is not one the coordinator accepts; it drops its partitions without committing and joins again. Not retriable ({@link ErrorCode#ILLEGAL_GENERATION}).
 *
 * <p>Thread-safety: immutable.
 */
public class IllegalGenerationException extends TributaryException {

    private static final long serialVersionUID = 1L;

    public IllegalGenerationException(String message) {
        super(ErrorCode.ILLEGAL_GENERATION, message, false);
    }

    public IllegalGenerationException(String message, Throwable cause) {
        super(ErrorCode.ILLEGAL_GENERATION, message, false, cause);
    }
}
