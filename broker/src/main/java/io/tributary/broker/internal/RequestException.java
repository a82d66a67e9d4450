package io.tributary.broker.internal;

import io.tributary.proto.v1.ErrorCode;
import io.tributary.proto.v1.ErrorDetail;

/**
 * A request (or one item of it) refused by the broker's own checks, carrying the
 * {@link ErrorDetail} the client gets. Thrown by validation, turned into a status or an item's
 * error by {@link ErrorMapper}. No stack trace: it is an answer, not a fault.
 *
 * <p>Thread-safety: immutable.
 */
public final class RequestException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient ErrorDetail detail;

    public RequestException(ErrorDetail detail) {
        super(detail.getMessage(), null, false, false);
        this.detail = detail;
    }

    public RequestException(ErrorCode code, String message) {
        this(ErrorMapper.detail(code, message));
    }

    public ErrorDetail detail() {
        return detail;
    }

    public ErrorCode code() {
        return detail.getCode();
    }

    /** INVALID_REQUEST naming the field. */
    public static RequestException invalidRequest(String message) {
        return new RequestException(ErrorCode.INVALID_REQUEST, message);
    }
}
