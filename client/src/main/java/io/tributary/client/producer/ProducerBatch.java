package io.tributary.client.producer;

import io.tributary.client.RecordMetadata;
import io.tributary.client.TopicPartition;
import io.tributary.client.errors.TributaryException;
import io.tributary.record.Compression;
import io.tributary.record.Header;
import io.tributary.record.RecordBatch;
import io.tributary.record.RecordBatchBuilder;
import io.tributary.record.RecordBatchFormat;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.zip.CRC32C;

/**
 * The records of one partition sent together as one record batch, with the futures of their
 * sends.
 *
 * <p>Life: open (records are appended under the partition queue's lock) → closed (no more
 * appends: full, lingered, flushed, or a conditional append) → built when first drained (producer
 * id, epoch and base sequence stamped) → in flight → acknowledged, failed, or back in the queue
 * for a retry (keeping its sequence, or re-stamped after a sequence shift or an epoch bump).
 *
 * <p>Thread-safety: appends and {@link #close()} happen under the owning partition queue's lock;
 * everything from {@link #build} on happens on the sender thread only.
 */
final class ProducerBatch {

    /** One send waiting for the batch's answer. */
    record Thunk(CompletableFuture<RecordMetadata> future, long timestamp, int keySize, int valueSize) {
    }

    final TopicPartition tp;
    final long createdNanos;
    final Condition condition;
    /** The condition's key (serialized), for a key condition. */
    final byte[] conditionKey;
    private RecordBatchBuilder builder;
    private final List<Thunk> thunks = new ArrayList<>();
    private long reservedBytes;
    private volatile boolean closed;

    // Sender-thread state.
    private RecordBatch built;
    int attempts;
    long retryAtNanos;
    /** True once an attempt ended without knowing whether the batch was written. */
    boolean outcomeUnknown;
    boolean inFlight;
    /** The batch-done signal for flush(). */
    final CompletableFuture<Void> done = new CompletableFuture<>();

    ProducerBatch(TopicPartition tp, Compression compression, int sizeLimitBytes, long nowNanos,
                  Condition condition, byte[] conditionKey) {
        this.tp = tp;
        this.createdNanos = nowNanos;
        this.condition = condition;
        this.conditionKey = conditionKey;
        this.builder = new RecordBatchBuilder(compression, sizeLimitBytes);
    }

    /**
     * Appends a record if it fits (an empty batch always takes one).
     *
     * @return the send's future, or null if the batch is closed or full
     */
    CompletableFuture<RecordMetadata> tryAppend(long timestamp, byte[] key, byte[] value, Header[] headers,
                                                long reserved) {
        if (closed) {
            return null;
        }
        if (!builder.tryAppend(timestamp, key, value, headers)) {
            return null;
        }
        CompletableFuture<RecordMetadata> f = new CompletableFuture<>();
        thunks.add(new Thunk(f, timestamp, key == null ? -1 : key.length, value == null ? -1 : value.length));
        reservedBytes += reserved;
        return f;
    }

    void close() {
        closed = true;
    }

    boolean isClosed() {
        return closed;
    }

    int recordCount() {
        return thunks.size();
    }

    int estimatedSizeInBytes() {
        return built != null ? built.sizeInBytes() : builder.estimatedSizeInBytes();
    }

    long reservedBytes() {
        return reservedBytes;
    }

    boolean isBuilt() {
        return built != null;
    }

    /** Closes the batch and builds it with the producer state (once; later calls re-stamp). */
    RecordBatch build(long producerId, short producerEpoch, int baseSequence) {
        closed = true;
        if (built == null) {
            built = builder.producer(producerId, producerEpoch, baseSequence).build();
            builder = null;
        } else if (built.producerId() != producerId || built.producerEpoch() != producerEpoch
                || built.baseSequence() != baseSequence) {
            built = restamp(built, producerId, producerEpoch, baseSequence);
        }
        return built;
    }

    RecordBatch built() {
        return built;
    }

    int baseSequence() {
        return built == null ? -1 : built.baseSequence();
    }

    /**
     * A copy of {@code batch} with another producer id, epoch and base sequence, its CRC32C
     * recomputed (those fields are inside the checksummed range, from the attributes to the end).
     */
    static RecordBatch restamp(RecordBatch batch, long producerId, short producerEpoch, int baseSequence) {
        ByteBuffer src = batch.buffer().duplicate();
        ByteBuffer copy = ByteBuffer.allocate(src.remaining());
        copy.put(src).flip();
        copy.putLong(RecordBatchFormat.PRODUCER_ID_OFFSET, producerId);
        copy.putShort(RecordBatchFormat.PRODUCER_EPOCH_OFFSET, producerEpoch);
        copy.putInt(RecordBatchFormat.BASE_SEQUENCE_OFFSET, baseSequence);
        CRC32C crc = new CRC32C();
        crc.update(copy.duplicate().position(RecordBatchFormat.ATTRIBUTES_OFFSET));
        copy.putInt(RecordBatchFormat.CRC_OFFSET, (int) crc.getValue());
        return RecordBatch.wrap(copy);
    }

    /** Completes every send: offsets from {@code baseOffset} (-1 stays -1), timestamps as given. */
    void complete(long baseOffset, long logAppendTimeMs) {
        for (int i = 0; i < thunks.size(); i++) {
            Thunk t = thunks.get(i);
            long offset = baseOffset < 0 ? -1 : baseOffset + i;
            long ts = logAppendTimeMs >= 0 ? logAppendTimeMs : t.timestamp();
            t.future().complete(new RecordMetadata(tp.topic(), tp.partition(), offset, ts, t.keySize(),
                    t.valueSize()));
        }
        done.complete(null);
    }

    /** Fails every send with {@code e}. */
    void fail(TributaryException e) {
        for (Thunk t : thunks) {
            t.future().completeExceptionally(e);
        }
        done.complete(null);
    }

    @Override
    public String toString() {
        return "batch(" + tp + ", " + thunks.size() + " records" + (built == null ? "" : ", seq "
                + built.baseSequence()) + ")";
    }
}
