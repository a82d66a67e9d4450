package io.tributary.it;

import io.tributary.record.RecordBatch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A producer on its own thread that writes batches to the given partitions in turn, each with
 * retries across leader changes, and records what was acknowledged. {@link #close()} stops it
 * and rethrows what made it fail, if anything.
 */
public final class ProducerLoop implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ProducerLoop.class);

    private final TestClient client;
    private final List<TopicPartition> partitions;
    private final String tag;
    private final Duration perBatchTimeout;
    private final List<Acked> acked = new CopyOnWriteArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Thread thread;

    public ProducerLoop(TestClient client, List<TopicPartition> partitions, String tag, Duration perBatchTimeout) {
        this.client = client;
        this.partitions = List.copyOf(partitions);
        this.tag = tag;
        this.perBatchTimeout = perBatchTimeout;
        this.thread = new Thread(this::run, "producer-loop-" + tag);
        this.thread.setDaemon(true);
        this.thread.start();
    }

    private void run() {
        long seq = 0;
        try {
            while (running.get()) {
                TopicPartition tp = partitions.get((int) (seq % partitions.size()));
                RecordBatch batch = Batches.batch(tag + "-" + tp, seq, 1 + (int) (seq % 5), 200);
                long offset = client.produce(tp, batch, perBatchTimeout);
                acked.add(new Acked(tp, offset, batch));
                seq++;
            }
        } catch (Throwable t) {
            if (running.get()) {
                LOG.error("producer loop {} failed after {} acknowledged batches", tag, acked.size(), t);
                failure.set(t);
            }
        }
    }

    /** How many batches were acknowledged so far. */
    public int ackedCount() {
        return acked.size();
    }

    /** Fails the caller if the loop failed. */
    public void checkHealthy() {
        Throwable t = failure.get();
        if (t != null) {
            throw new AssertionError("the producer loop failed", t);
        }
    }

    /** The acknowledged batches so far, in acknowledgement order. */
    public List<Acked> acked() {
        return new ArrayList<>(acked);
    }

    /** Stops the loop (waiting for the batch in flight) and fails if the loop had failed. */
    @Override
    public void close() throws InterruptedException {
        running.set(false);
        thread.join(perBatchTimeout.toMillis() + 10_000);
        checkHealthy();
    }
}
