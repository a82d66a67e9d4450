package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;

/**
 * The request is valid but the cluster's policy forbids it. Not retriable ({@link ErrorCode#POLICY_VIOLATION}).
 *
 * <p>Thread-safety: immutable.
 */
public class PolicyViolationException extends TributaryException {

    private static final long serialVersionUID = 1L;

    public PolicyViolationException(String message) {
        super(ErrorCode.POLICY_VIOLATION, message, false);
    }

    public PolicyViolationException(String message, Throwable cause) {
        super(ErrorCode.POLICY_VIOLATION, message, false, cause);
    }
}
