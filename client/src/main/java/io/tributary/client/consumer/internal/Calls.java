package io.tributary.client.consumer.internal;

import io.grpc.stub.StreamObserver;
import io.tributary.client.errors.ClientTimeoutException;
import io.tributary.client.errors.TributaryException;
import io.tributary.client.internal.ClientContext;
import io.tributary.client.internal.ErrorMapper;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Helpers for asynchronous unary gRPC calls: a call as a {@link CompletableFuture} whose failure is
 * always a {@link TributaryException}, and a retry loop with backoff up to a deadline.
 *
 * <p>Thread-safety: stateless.
 */
public final class Calls {

    private Calls() {
    }

    /** Starts {@code call(request, observer)} and returns its answer as a future. */
    public static <Q, R> CompletableFuture<R> unary(BiConsumer<Q, StreamObserver<R>> call, Q request) {
        CompletableFuture<R> f = new CompletableFuture<>();
        try {
            call.accept(request, new StreamObserver<>() {
                @Override
                public void onNext(R value) {
                    f.complete(value);
                }

                @Override
                public void onError(Throwable t) {
                    f.completeExceptionally(ErrorMapper.fromThrowable(t));
                }

                @Override
                public void onCompleted() {
                    if (!f.isDone()) {
                        f.completeExceptionally(ErrorMapper.fromThrowable(
                                new IllegalStateException("the broker completed a unary call without an answer")));
                    }
                }
            });
        } catch (RuntimeException e) {
            f.completeExceptionally(ErrorMapper.fromThrowable(e));
        }
        return f;
    }

    /**
     * Runs {@code attempt} until it succeeds, fails with a non-retriable error, or
     * {@code deadlineNanos} (System.nanoTime) passes; then fails with a
     * {@link ClientTimeoutException} naming {@code what} and the last error. Before each retry
     * {@code onRetriable} sees the error (to refresh metadata or forget a coordinator), then the
     * backoff ({@code retry.backoff.ms}, doubling) passes.
     */
    public static <T> CompletableFuture<T> retrying(ClientContext ctx, String what, long deadlineNanos,
                                                    Supplier<CompletableFuture<T>> attempt,
                                                    Consumer<TributaryException> onRetriable) {
        CompletableFuture<T> result = new CompletableFuture<>();
        run(ctx, what, deadlineNanos, attempt, onRetriable, result, 1, null);
        return result;
    }

    private static <T> void run(ClientContext ctx, String what, long deadlineNanos,
                                Supplier<CompletableFuture<T>> attempt, Consumer<TributaryException> onRetriable,
                                CompletableFuture<T> result, int n, TributaryException last) {
        if (result.isDone()) {
            return;
        }
        if (System.nanoTime() - deadlineNanos >= 0) {
            result.completeExceptionally(timeout(what, last));
            return;
        }
        CompletableFuture<T> f;
        try {
            f = attempt.get();
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        f.whenComplete((value, err) -> {
            if (err == null) {
                result.complete(value);
                return;
            }
            TributaryException e = ErrorMapper.fromThrowable(err);
            if (!e.isRetriable()) {
                result.completeExceptionally(e);
                return;
            }
            try {
                onRetriable.accept(e);
            } catch (RuntimeException ignored) {
                // best effort
            }
            long delayMs = ctx.config().retryBackoffMs(n);
            long left = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
            if (left <= 0) {
                result.completeExceptionally(timeout(what, e));
                return;
            }
            try {
                ctx.scheduler().schedule(() -> run(ctx, what, deadlineNanos, attempt, onRetriable, result, n + 1, e),
                        Math.min(delayMs, left), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException closed) {
                result.completeExceptionally(e);
            }
        });
    }

    private static ClientTimeoutException timeout(String what, TributaryException last) {
        return new ClientTimeoutException(what + " did not complete in time"
                + (last == null ? "" : " (last error: " + last.getMessage() + ")"), last);
    }
}
