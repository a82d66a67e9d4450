package io.tributary.client.producer;

import io.tributary.client.errors.ClientClosedException;
import java.util.ArrayDeque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Bounds the bytes of records a producer holds ({@code buffer.memory}): {@code send} reserves a
 * record's bytes before buffering it and blocks while the budget is spent; the bytes come back when
 * the record's batch is acknowledged or fails. Waiters are served in arrival order (a newcomer
 * queues behind them), so a large record is not starved by small ones.
 *
 * <p>Thread-safety: thread-safe.
 */
final class MemoryLimiter {

    private final long capacity;
    private final ReentrantLock lock = new ReentrantLock();
    /** Waiting reservations, oldest first; only the head may take memory. */
    private final ArrayDeque<Condition> waiters = new ArrayDeque<>();
    private long available;
    private boolean closed;

    MemoryLimiter(long capacity) {
        this.capacity = capacity;
        this.available = capacity;
    }

    long capacity() {
        return capacity;
    }

    /**
     * Reserves {@code bytes} (at most the capacity), waiting up to {@code timeoutNanos} behind
     * earlier waiters.
     *
     * @return false if the time ran out (nothing reserved)
     * @throws ClientClosedException when the limiter is closed, before or while waiting
     */
    boolean reserve(long bytes, long timeoutNanos) throws InterruptedException {
        if (bytes > capacity) {
            throw new IllegalArgumentException(bytes + " bytes exceed the capacity of " + capacity);
        }
        lock.lock();
        try {
            if (closed) {
                throw new ClientClosedException("the producer is closed");
            }
            if (waiters.isEmpty() && available >= bytes) {
                available -= bytes;
                return true;
            }
            Condition turn = lock.newCondition();
            waiters.addLast(turn);
            long left = timeoutNanos;
            try {
                while (waiters.peekFirst() != turn || available < bytes) {
                    if (closed) {
                        throw new ClientClosedException("the producer was closed while send waited for buffer memory");
                    }
                    if (left <= 0) {
                        return false;
                    }
                    left = turn.awaitNanos(left);
                }
                available -= bytes;
                return true;
            } finally {
                waiters.remove(turn);
                Condition next = waiters.peekFirst();
                if (next != null && available > 0) {
                    next.signal();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    void release(long bytes) {
        if (bytes <= 0) {
            return;
        }
        lock.lock();
        try {
            available = Math.min(capacity, available + bytes);
            Condition next = waiters.peekFirst();
            if (next != null) {
                next.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Wakes every waiting reservation, which then fails; later reservations fail at once. */
    void close() {
        lock.lock();
        try {
            closed = true;
            for (Condition c : waiters) {
                c.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /** True when a sender waits for memory: buffered batches should go out without lingering. */
    boolean hasWaiters() {
        lock.lock();
        try {
            return !waiters.isEmpty();
        } finally {
            lock.unlock();
        }
    }

    long available() {
        lock.lock();
        try {
            return available;
        } finally {
            lock.unlock();
        }
    }
}
