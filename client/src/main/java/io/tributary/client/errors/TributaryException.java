package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;
import java.util.Objects;

/**
 * The root of every exception the Tributary client SDK raises: a broker's answer rebuilt as a
 * typed exception (see {@code io.tributary.client.internal.ErrorMapper}), or a failure found on
 * the client side (a timeout, a closed client, a bad setting, a serializer error).
 *
 * <p>{@link #isRetriable()} says whether sending the same request again (after a backoff and, for
 * routing errors, a metadata refresh) may succeed. It comes from the broker's
 * {@code ErrorDetail.retriable}, so a code this client does not know yet ({@link #code()} is then
 * {@link ErrorCode#UNRECOGNIZED} and {@link #codeValue()} gives the number) is still judged right.
 * Subclasses of {@link RetriableException} are always retriable; other subclasses never are.
 *
 * <p>{@link #code()} is the broker's {@link ErrorCode}; failures found on the client side carry the
 * closest code: {@link ErrorCode#REQUEST_TIMED_OUT} for timeouts, {@link ErrorCode#INVALID_CONFIG}
 * for settings, {@link ErrorCode#UNKNOWN} otherwise (connection failures, closed client,
 * serialization).
 *
 * <p>Thread-safety: immutable.
 */
public class TributaryException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final ErrorCode code;
    private final int codeValue;
    private final boolean retriable;

    public TributaryException(ErrorCode code, String message, boolean retriable) {
        this(code, message, retriable, null);
    }

    public TributaryException(ErrorCode code, String message, boolean retriable, Throwable cause) {
        super(message);
        if (cause != null) {
            initCause(cause);
        }
        this.code = Objects.requireNonNull(code, "code");
        this.codeValue = code == ErrorCode.UNRECOGNIZED ? -1 : code.getNumber();
        this.retriable = retriable;
    }

    /** For a code this client does not know: {@link #code()} is UNRECOGNIZED, the number is kept. */
    public TributaryException(int codeValue, String message, boolean retriable, Throwable cause) {
        super(message);
        if (cause != null) {
            initCause(cause);
        }
        ErrorCode known = ErrorCode.forNumber(codeValue);
        this.code = known == null ? ErrorCode.UNRECOGNIZED : known;
        this.codeValue = codeValue;
        this.retriable = retriable;
    }

    /** The error code; {@link ErrorCode#UNRECOGNIZED} for a number this client does not know. */
    public ErrorCode code() {
        return code;
    }

    /** The error code's number, also for a code this client does not know (-1 if none). */
    public int codeValue() {
        return codeValue;
    }

    /** True when the same request may succeed if sent again after a backoff. */
    public boolean isRetriable() {
        return retriable;
    }
}
