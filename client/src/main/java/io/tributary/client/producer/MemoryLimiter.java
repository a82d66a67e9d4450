package io.tributary.client.producer;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Bounds the bytes of records a producer holds ({@code buffer.memory}): {@code send} reserves a
 * record's bytes before buffering it and blocks while the budget is spent; the bytes come back when
 * the record's batch is acknowledged or fails. Waiters are served in arrival order (fair), so a
 * large record is not starved by small ones.
 *
 * <p>Thread-safety: thread-safe.
 */
final class MemoryLimiter {

    private final long capacity;
    private final ReentrantLock lock = new ReentrantLock(true);
    private final Condition released = lock.newCondition();
    private long available;
    private int waiters;

    MemoryLimiter(long capacity) {
        this.capacity = capacity;
        this.available = capacity;
    }

    long capacity() {
        return capacity;
    }

    /**
     * Reserves {@code bytes} (at most the capacity), waiting up to {@code timeoutNanos}.
     *
     * @return false if the time ran out (nothing reserved)
     */
    boolean reserve(long bytes, long timeoutNanos) throws InterruptedException {
        if (bytes > capacity) {
            throw new IllegalArgumentException(bytes + " bytes exceed the capacity of " + capacity);
        }
        lock.lock();
        try {
            if (available >= bytes && waiters == 0) {
                available -= bytes;
                return true;
            }
            long left = timeoutNanos;
            waiters++;
            try {
                while (available < bytes) {
                    if (left <= 0) {
                        return false;
                    }
                    left = released.awaitNanos(left);
                }
                available -= bytes;
                return true;
            } finally {
                waiters--;
                if (available > 0) {
                    released.signalAll();
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
            released.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** True when a sender waits for memory: buffered batches should go out without lingering. */
    boolean hasWaiters() {
        lock.lock();
        try {
            return waiters > 0;
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

    static long toNanos(long ms) {
        return TimeUnit.MILLISECONDS.toNanos(ms);
    }
}
