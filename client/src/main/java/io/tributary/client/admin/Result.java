package io.tributary.client.admin;

import io.tributary.client.errors.TributaryException;
import java.util.Objects;

/**
 * The outcome of one item of a batch {@link Admin} call (one topic, one group): a value, or the
 * typed exception the broker answered for this item alone. Other items of the same call may have
 * succeeded (errors.proto, "per item").
 *
 * <p>Thread-safety: immutable.
 *
 * @param <T> the value's type ({@link Void} when there is none)
 */
public final class Result<T> {

    private final T value;
    private final TributaryException error;

    private Result(T value, TributaryException error) {
        this.value = value;
        this.error = error;
    }

    static <T> Result<T> success(T value) {
        return new Result<>(value, null);
    }

    static <T> Result<T> failure(TributaryException error) {
        return new Result<>(null, Objects.requireNonNull(error, "error"));
    }

    /** True when this item succeeded. */
    public boolean succeeded() {
        return error == null;
    }

    /** The value; throws this item's error when it failed. */
    public T value() {
        if (error != null) {
            throw error;
        }
        return value;
    }

    /** This item's error, null when it succeeded. */
    public TributaryException error() {
        return error;
    }

    @Override
    public String toString() {
        return error == null ? "success(" + value + ")" : "failure(" + error.code() + ": " + error.getMessage() + ")";
    }
}
