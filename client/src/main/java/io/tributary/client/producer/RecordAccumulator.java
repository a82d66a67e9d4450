package io.tributary.client.producer;

import io.tributary.client.RecordMetadata;
import io.tributary.client.TopicPartition;
import io.tributary.client.errors.ClientClosedException;
import io.tributary.record.Compression;
import io.tributary.record.Header;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The producer's buffered batches, one queue per partition: {@code send} appends to the last
 * (open) batch of its partition, the sender takes closed or lingered batches from the front and
 * puts batches to retry back at the front, in sequence order.
 *
 * <p>Thread-safety: thread-safe; each partition's queue is guarded by its own lock, held only for
 * an append or a take.
 */
final class RecordAccumulator {

    /** What {@link #append} did. */
    record AppendResult(CompletableFuture<RecordMetadata> future, boolean newBatch, boolean batchFull,
                        boolean abortedForNewBatch) {
    }

    static final AppendResult ABORTED = new AppendResult(null, false, false, true);

    /** One partition's batches, oldest first. */
    static final class PartitionQueue {
        final TopicPartition tp;
        final ArrayDeque<ProducerBatch> deque = new ArrayDeque<>();

        PartitionQueue(TopicPartition tp) {
            this.tp = tp;
        }
    }

    private final ConcurrentMap<TopicPartition, PartitionQueue> queues = new ConcurrentHashMap<>();
    private final Set<ProducerBatch> incomplete = ConcurrentHashMap.newKeySet();
    private final Compression compression;
    private final int batchBytes;
    private volatile boolean closed;

    RecordAccumulator(Compression compression, int batchBytes) {
        this.compression = compression;
        this.batchBytes = batchBytes;
    }

    /**
     * Appends a record to the partition's open batch, or to a new batch when it is full. With
     * {@code abortOnNewBatch} a record that would need a new batch is not appended (the sticky
     * partitioner then picks another partition).
     *
     * @throws ClientClosedException when the accumulator was closed
     */
    AppendResult append(TopicPartition tp, long timestamp, byte[] key, byte[] value, Header[] headers, long reserved,
                        boolean abortOnNewBatch, long nowNanos) {
        PartitionQueue q = queues.computeIfAbsent(tp, PartitionQueue::new);
        synchronized (q) {
            checkOpen();
            ProducerBatch last = q.deque.peekLast();
            if (last != null) {
                CompletableFuture<RecordMetadata> f = last.tryAppend(timestamp, key, value, headers, reserved);
                if (f != null) {
                    boolean full = last.estimatedSizeInBytes() >= batchBytes;
                    if (full) {
                        last.close();
                    }
                    return new AppendResult(f, false, full, false);
                }
                last.close();
            }
            if (abortOnNewBatch) {
                return ABORTED;
            }
            ProducerBatch batch = new ProducerBatch(tp, compression, batchBytes, nowNanos, null, null);
            CompletableFuture<RecordMetadata> f = batch.tryAppend(timestamp, key, value, headers, reserved);
            boolean full = batch.estimatedSizeInBytes() >= batchBytes;
            if (full) {
                batch.close();
            }
            q.deque.addLast(batch);
            incomplete.add(batch);
            return new AppendResult(f, true, full || last != null, false);
        }
    }

    /** Appends a conditional record alone in its own, closed batch. */
    CompletableFuture<RecordMetadata> appendConditional(TopicPartition tp, long timestamp, byte[] key, byte[] value,
                                                        Header[] headers, long reserved, Condition condition,
                                                        long nowNanos) {
        PartitionQueue q = queues.computeIfAbsent(tp, PartitionQueue::new);
        synchronized (q) {
            checkOpen();
            ProducerBatch last = q.deque.peekLast();
            if (last != null) {
                last.close();
            }
            // Sized for its one record (an empty batch takes a record of any size).
            int sizeLimit = (int) Math.min(Integer.MAX_VALUE - 1024, reserved + 128);
            ProducerBatch batch = new ProducerBatch(tp, compression, sizeLimit, nowNanos, condition, key);
            CompletableFuture<RecordMetadata> f = batch.tryAppend(timestamp, key, value, headers, reserved);
            batch.close();
            q.deque.addLast(batch);
            incomplete.add(batch);
            return f;
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new ClientClosedException("the producer is closed");
        }
    }

    /** A snapshot of the partition queues. */
    List<PartitionQueue> queues() {
        return new ArrayList<>(queues.values());
    }

    PartitionQueue queue(TopicPartition tp) {
        return queues.computeIfAbsent(tp, PartitionQueue::new);
    }

    /** The first batch of a queue, or null. */
    ProducerBatch peekFirst(PartitionQueue q) {
        synchronized (q) {
            return q.deque.peekFirst();
        }
    }

    /** True when the queue holds more than one batch (so the first is closed). */
    boolean hasMoreThanOne(PartitionQueue q) {
        synchronized (q) {
            return q.deque.size() > 1;
        }
    }

    /** Takes the first batch and closes it, or null. */
    ProducerBatch pollFirst(PartitionQueue q) {
        synchronized (q) {
            ProducerBatch b = q.deque.pollFirst();
            if (b != null) {
                b.close();
            }
            return b;
        }
    }

    /** Takes the already-built batches at the front (batches put back for a retry), in order. */
    List<ProducerBatch> pollBuiltPrefix(PartitionQueue q) {
        synchronized (q) {
            List<ProducerBatch> out = new ArrayList<>();
            while (!q.deque.isEmpty() && q.deque.peekFirst().isBuilt()) {
                out.add(q.deque.pollFirst());
            }
            return out;
        }
    }

    /** Puts batches back at the front, keeping their order. */
    void addFirst(PartitionQueue q, List<ProducerBatch> batches) {
        synchronized (q) {
            for (int i = batches.size() - 1; i >= 0; i--) {
                q.deque.addFirst(batches.get(i));
            }
        }
    }

    /** Called when a batch is acknowledged or failed. */
    void done(ProducerBatch batch) {
        incomplete.remove(batch);
    }

    /** The batches not yet acknowledged or failed (buffered, in flight, waiting to retry). */
    List<ProducerBatch> incomplete() {
        return new ArrayList<>(incomplete);
    }

    boolean hasIncomplete() {
        return !incomplete.isEmpty();
    }

    /** Refuses further appends and takes every buffered batch out. */
    List<ProducerBatch> closeAndDrain() {
        closed = true;
        List<ProducerBatch> out = new ArrayList<>();
        for (PartitionQueue q : queues.values()) {
            synchronized (q) {
                out.addAll(q.deque);
                q.deque.clear();
            }
        }
        return out;
    }

    boolean isClosed() {
        return closed;
    }
}
