package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;

/**
 * The connection to a broker failed or was closed under a call (a gRPC status that carries no
 * Tributary ErrorDetail: UNAVAILABLE, UNKNOWN, CANCELLED ...). The request's outcome is unknown.
 * Retriable, after a backoff and a metadata refresh; code {@link ErrorCode#UNKNOWN}.
 *
 * <p>Thread-safety: immutable.
 */
public class NetworkException extends RetriableException {

    private static final long serialVersionUID = 1L;

    public NetworkException(String message, Throwable cause) {
        super(ErrorCode.UNKNOWN, message, cause);
    }
}
