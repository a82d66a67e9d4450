package io.tributary.client.producer;

import io.tributary.client.ProducerRecord;
import io.tributary.client.RecordMetadata;
import io.tributary.client.TopicPartition;
import io.tributary.client.errors.ClientClosedException;
import io.tributary.client.errors.ClientTimeoutException;
import io.tributary.client.errors.InvalidRequestException;
import io.tributary.client.errors.RecordTooLargeException;
import io.tributary.client.errors.SerializationException;
import io.tributary.client.errors.TributaryException;
import io.tributary.client.errors.UnknownTopicOrPartitionException;
import io.tributary.client.internal.ClientContext;
import io.tributary.client.internal.Cluster;
import io.tributary.client.serde.Serializer;
import io.tributary.record.Header;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes records to Tributary topics, asynchronously and in batches.
 *
 * <pre>{@code
 * try (Producer<String, String> producer = new Producer<>(
 *         Map.of("bootstrap.servers", "127.0.0.1:7401", "linger.ms", "10"),
 *         Serdes.stringSerializer(), Serdes.stringSerializer())) {
 *     producer.send(new ProducerRecord<>("orders", "order-1", "created"))
 *             .thenAccept(md -> System.out.println("written at " + md.offset()));
 * }   // close() sends what is buffered
 * }</pre>
 *
 * <p>{@link #send} serializes the record, picks its partition ({@link ProducerRecord} explains
 * how), appends it to the partition's open batch and returns at once with a future of where the
 * record was written. A background thread sends batches when they are full ({@code batch.bytes}),
 * have waited {@code linger.ms}, or on {@link #flush()}/{@link #close()}, retries them across leader
 * changes without reordering a partition's records, and completes the futures. With idempotence
 * (the default) a retried batch is never written twice. {@link ProducerConfig} lists the settings.
 *
 * <p>Errors: {@code send} itself throws only for a null record; every other failure completes the
 * returned future exceptionally with a {@link TributaryException} whose
 * {@link TributaryException#isRetriable()} says whether sending again may help: a
 * {@link ClientTimeoutException} when {@code send} waited {@code max.block.ms} for buffer memory
 * or metadata (back-pressure) or the record was not acknowledged within
 * {@code delivery.timeout.ms}; {@link RecordTooLargeException}; {@link SerializationException};
 * {@link UnknownTopicOrPartitionException}; {@link ClientClosedException} after close; and the
 * broker's non-retriable errors.
 *
 * <p>Conditional append ({@link #send(ProducerRecord, Condition)}): the record goes alone in its
 * batch with the condition; it requires {@code acks=all}.
 *
 * <p>Thread-safety: thread-safe; share one producer between threads. Futures are completed on the
 * producer's I/O thread: work chained on them without an executor runs there and must not block
 * (in particular, must not call {@link #flush()} or a {@code send} that may block).
 */
public final class Producer<K, V> implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Producer.class);
    /** Bytes a record adds beyond its key, value and headers (length, attributes, deltas: varints). */
    private static final int RECORD_OVERHEAD_BYTES = 32;
    private static final Header[] NO_HEADERS = new Header[0];

    private final ProducerConfig config;
    private final ClientContext context;
    private final Serializer<K> keySerializer;
    private final Serializer<V> valueSerializer;
    private final Partitioner partitioner = new Partitioner();
    private final MemoryLimiter memory;
    private final RecordAccumulator accumulator;
    private final Sender sender;
    private final Thread senderThread;
    private final long maxBlockNanos;
    private final int maxRequestBytes;
    private final Object closeLock = new Object();
    private volatile boolean closed;

    /** A producer with the given settings ({@link ProducerConfig}) and serializers. */
    public Producer(ProducerConfig config, Serializer<K> keySerializer, Serializer<V> valueSerializer) {
        this.config = Objects.requireNonNull(config, "config");
        this.keySerializer = Objects.requireNonNull(keySerializer, "keySerializer");
        this.valueSerializer = Objects.requireNonNull(valueSerializer, "valueSerializer");
        this.context = new ClientContext(config, "producer");
        this.memory = new MemoryLimiter(config.getLong(ProducerConfig.BUFFER_MEMORY));
        this.accumulator = new RecordAccumulator(config.compression(), config.batchBytes());
        this.sender = new Sender(config, context, accumulator, memory);
        this.maxBlockNanos = TimeUnit.MILLISECONDS.toNanos(config.getLong(ProducerConfig.MAX_BLOCK_MS));
        this.maxRequestBytes = config.getInt(ProducerConfig.MAX_REQUEST_BYTES);
        this.senderThread = new Thread(sender, "tributary-" + context.name() + "-sender");
        this.senderThread.setDaemon(true);
        this.senderThread.start();
    }

    /** A producer with the given settings as string keys ({@link ProducerConfig}). */
    public Producer(Map<String, ?> config, Serializer<K> keySerializer, Serializer<V> valueSerializer) {
        this(new ProducerConfig(config), keySerializer, valueSerializer);
    }

    /** Sends a record; see the class comment. */
    public CompletableFuture<RecordMetadata> send(ProducerRecord<K, V> record) {
        return send(record, null);
    }

    /**
     * Sends a record only if {@code condition} holds when the partition appends it (null: no
     * condition). On a mismatch nothing is written and the future fails with
     * {@link io.tributary.client.errors.ExpectedOffsetMismatchException} carrying the actual offset.
     * The record goes alone in its batch. Requires {@code acks=all}; a key condition requires a
     * non-null key.
     */
    public CompletableFuture<RecordMetadata> send(ProducerRecord<K, V> record, Condition condition) {
        Objects.requireNonNull(record, "record");
        try {
            return doSend(record, condition);
        } catch (TributaryException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private CompletableFuture<RecordMetadata> doSend(ProducerRecord<K, V> record, Condition condition) {
        long start = System.nanoTime();
        checkOpen();
        if (condition != null && !config.acksAll()) {
            throw new InvalidRequestException("a conditional append needs acks=all (this producer has acks="
                    + config.getString(ProducerConfig.ACKS) + ")");
        }
        byte[] key = serialize(keySerializer, record.topic(), record.key(), "key");
        byte[] value = serialize(valueSerializer, record.topic(), record.value(), "value");
        if (condition instanceof Condition.KeyLastOffset && key == null) {
            throw new InvalidRequestException("a key condition needs a record with a non-null key");
        }
        Header[] headers = record.headers().isEmpty() ? NO_HEADERS : record.headers().toArray(new Header[0]);
        long size = estimatedSize(key, value, headers);
        if (size > maxRequestBytes || size > memory.capacity()) {
            throw new RecordTooLargeException("a record of about " + size + " bytes is larger than "
                    + (size > maxRequestBytes ? ProducerConfig.MAX_REQUEST_BYTES + "=" + maxRequestBytes
                    : ProducerConfig.BUFFER_MEMORY + "=" + memory.capacity()));
        }
        Cluster cluster = context.metadata().awaitTopic(record.topic(), Duration.ofNanos(remaining(start)));
        int partitionCount = cluster.partitionCount(record.topic());
        boolean sticky = false;
        int partition;
        if (record.partition() != null) {
            partition = record.partition();
            if (partition >= partitionCount) {
                throw new UnknownTopicOrPartitionException("partition " + partition + " of topic " + record.topic()
                        + " does not exist (the topic has " + partitionCount + " partitions)");
            }
        } else if (key != null) {
            partition = Partitioner.partitionForKey(key, partitionCount);
        } else {
            partition = partitioner.stickyPartition(record.topic(), cluster, partitionCount);
            sticky = condition == null;
        }
        long timestamp = record.timestamp() != null ? record.timestamp() : System.currentTimeMillis();
        try {
            if (!memory.reserve(size, remaining(start))) {
                throw new ClientTimeoutException("buffer.memory=" + memory.capacity() + " bytes is full: send waited "
                        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms (max.block.ms="
                        + TimeUnit.NANOSECONDS.toMillis(maxBlockNanos) + ") for " + size
                        + " bytes; records are produced faster than the brokers take them");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClientClosedException("interrupted while waiting for buffer memory");
        }
        try {
            TopicPartition tp = new TopicPartition(record.topic(), partition);
            long now = System.nanoTime();
            CompletableFuture<RecordMetadata> future;
            if (condition != null) {
                future = accumulator.appendConditional(tp, timestamp, key, value, headers, size, condition, now);
                sender.wakeup();
                return future;
            }
            RecordAccumulator.AppendResult r = accumulator.append(tp, timestamp, key, value, headers, size, sticky, now);
            if (r.abortedForNewBatch()) {
                int next = partitioner.onNewBatch(record.topic(), cluster, partitionCount, partition);
                tp = new TopicPartition(record.topic(), next);
                r = accumulator.append(tp, timestamp, key, value, headers, size, false, now);
            }
            if (r.newBatch() || r.batchFull()) {
                sender.wakeup();
            }
            return r.future();
        } catch (RuntimeException e) {
            memory.release(size);
            throw e;
        }
    }

    private long remaining(long start) {
        return Math.max(0, maxBlockNanos - (System.nanoTime() - start));
    }

    private void checkOpen() {
        TributaryException fatal = sender.fatalError();
        if (fatal != null) {
            throw fatal;
        }
        if (closed) {
            throw new ClientClosedException("the producer is closed");
        }
    }

    private static <T> byte[] serialize(Serializer<T> serializer, String topic, T data, String what) {
        try {
            return serializer.serialize(topic, data);
        } catch (TributaryException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new SerializationException("cannot serialize the " + what + " of a record for topic " + topic
                    + " with " + serializer.getClass().getName() + ": " + e, e);
        }
    }

    static long estimatedSize(byte[] key, byte[] value, Header[] headers) {
        long size = RECORD_OVERHEAD_BYTES + (key == null ? 0 : key.length) + (value == null ? 0 : value.length);
        for (Header h : headers) {
            size += 10 + h.key().getBytes(StandardCharsets.UTF_8).length + (h.value() == null ? 0 : h.value().length);
        }
        return size;
    }

    /**
     * Sends every record buffered so far at once (without waiting for {@code linger.ms}) and
     * blocks until each one is acknowledged or failed. Records sent meanwhile by other threads
     * may or may not be included.
     */
    public void flush() {
        sender.flushesInProgress.incrementAndGet();
        sender.wakeup();
        try {
            for (ProducerBatch b : accumulator.incomplete()) {
                b.done.join();
            }
        } finally {
            sender.flushesInProgress.decrementAndGet();
        }
    }

    /** The number of partitions of {@code topic}, waiting up to {@code max.block.ms} for metadata. */
    public int partitionCount(String topic) {
        checkOpen();
        return context.metadata().awaitTopic(topic, Duration.ofNanos(maxBlockNanos)).partitionCount(topic);
    }

    /**
     * The partition a record with this key goes to (when the record names no partition): Kafka's
     * murmur2 of the serialized key modulo the topic's partition count. An event-sourced reader
     * uses it to find the one partition that holds a key's history. Waits up to
     * {@code max.block.ms} for metadata.
     *
     * @throws IllegalArgumentException for a null key (null-key records have no fixed partition)
     */
    public int partitionFor(String topic, K key) {
        if (key == null) {
            throw new IllegalArgumentException("a null key has no fixed partition: records without a key are spread");
        }
        byte[] serialized = serialize(keySerializer, topic, key, "key");
        if (serialized == null) {
            throw new IllegalArgumentException("the key serializer turned " + key + " into null: it has no fixed partition");
        }
        return Partitioner.partitionForKey(serialized, partitionCount(topic));
    }

    /** Counters since creation. */
    public ProducerMetrics metrics() {
        return new ProducerMetrics(sender.recordsSent.sum(), sender.bytesSent.sum(), sender.recordErrors.sum(),
                sender.batchesSent.sum(), sender.retriesSent.sum(), sender.requestsSent.sum(),
                memory.capacity() - memory.available(), sender.epochBumps.sum());
    }

    /**
     * Sends everything buffered and waits for the answers (records still unacknowledged when
     * {@code delivery.timeout.ms} runs out fail), then releases the connections. Later sends fail
     * with {@link ClientClosedException}.
     */
    @Override
    public void close() {
        close(Duration.ofMillis(Long.MAX_VALUE));
    }

    /**
     * Like {@link #close()}, but waits at most {@code timeout} for buffered records; what is not
     * acknowledged by then fails with {@link ClientClosedException}. {@code Duration.ZERO} fails
     * buffered records at once.
     */
    public void close(Duration timeout) {
        synchronized (closeLock) {
            if (closed && !senderThread.isAlive()) {
                return;
            }
            closed = true;
            memory.close(); // a send blocked for memory returns now, failed
            if (Thread.currentThread() == senderThread) {
                // From a callback: cannot wait for our own thread.
                sender.forceClose();
                return;
            }
            sender.initiateClose();
            try {
                long ms = timeout.toMillis();
                if (ms > 0) {
                    senderThread.join(ms == Long.MAX_VALUE ? 0 : ms);
                }
                if (senderThread.isAlive()) {
                    LOG.info("{}: close timed out after {} ms; failing what is not acknowledged", context.name(), ms);
                    sender.forceClose();
                    senderThread.interrupt(); // ends a blocking InitProducerId call
                    senderThread.join();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                sender.forceClose();
            } finally {
                keySerializer.close();
                valueSerializer.close();
                context.close();
            }
        }
    }
}
