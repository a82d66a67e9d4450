package io.tributary.client.consumer.internal;

import io.tributary.client.TopicPartition;
import io.tributary.client.errors.CorruptRecordException;
import io.tributary.record.InvalidRecordBatchException;
import io.tributary.record.Record;
import io.tributary.record.RecordBatch;
import io.tributary.record.RecordBatches;
import java.nio.ByteBuffer;
import java.util.Iterator;

/**
 * The records of one partition from one Subscribe message, decoded lazily as {@code poll} takes
 * them: batch by batch, each batch's CRC checked before its records are read, compressed batches
 * decompressed whole (any codec of io.tributary.record). Records below the consumer's position
 * are skipped (a message may begin with a batch that starts before the offset asked for). Batches
 * may have offset gaps (compaction) or no records at all; the position then advances past the
 * batch's last offset once the whole message is consumed ({@link #nextOffset()}). Control
 * batches are skipped.
 *
 * <p>Thread-safety: created by a network thread, then used by the polling thread only.
 */
public final class CompletedFetch {

    private final TopicPartition partition;
    private final int fetchEpoch;
    private final int sizeInBytes;
    private final long highWatermark;
    private final long logStartOffset;
    private final long nextOffset;
    private final Iterator<RecordBatch> batches;
    private RecordBatch batch;
    private Iterator<Record> records;
    private Record pending;
    private boolean exhausted;

    CompletedFetch(TopicPartition partition, int fetchEpoch, ByteBuffer bytes, long highWatermark,
                   long logStartOffset, long nextOffset) {
        this.partition = partition;
        this.fetchEpoch = fetchEpoch;
        this.sizeInBytes = bytes.remaining();
        this.highWatermark = highWatermark;
        this.logStartOffset = logStartOffset;
        this.nextOffset = nextOffset;
        this.batches = RecordBatches.iterate(bytes).iterator();
    }

    /**
     * The offset after the last batch of this message (-1 when its headers could not be read), as
     * computed on arrival: the offset to subscribe from next.
     */
    static long scanNextOffset(ByteBuffer bytes) {
        long next = -1;
        try {
            for (RecordBatch b : RecordBatches.iterate(bytes)) {
                next = b.nextOffset();
            }
        } catch (InvalidRecordBatchException e) {
            return -1;
        }
        return next;
    }

    public TopicPartition partition() {
        return partition;
    }

    int fetchEpoch() {
        return fetchEpoch;
    }

    int sizeInBytes() {
        return sizeInBytes;
    }

    public long highWatermark() {
        return highWatermark;
    }

    public long logStartOffset() {
        return logStartOffset;
    }

    /** The offset after the message's last batch: where the position goes once all is consumed. */
    public long nextOffset() {
        return nextOffset;
    }

    /**
     * The next record at or after {@code position}, without consuming it (the same record until
     * {@link #consume()}), or null when the message has no more.
     *
     * @throws CorruptRecordException for a batch that fails its CRC or cannot be decoded; the
     *         message names the partition and offset
     */
    public Record peek(long position) {
        if (pending != null) {
            return pending;
        }
        while (!exhausted) {
            if (records != null) {
                try {
                    while (records.hasNext()) {
                        Record r = records.next();
                        if (r.offset() >= position) {
                            pending = r;
                            return r;
                        }
                    }
                } catch (InvalidRecordBatchException e) {
                    throw corrupt(e);
                }
                records = null;
                batch = null;
            }
            try {
                if (!batches.hasNext()) {
                    exhausted = true;
                    return null;
                }
                batch = batches.next();
                if (batch.nextOffset() <= position) {
                    continue; // wholly below the position: no need to check or decode it
                }
                batch.validate();
                if (batch.isControl() || batch.recordCount() == 0) {
                    continue;
                }
                records = batch.records();
            } catch (InvalidRecordBatchException e) {
                throw corrupt(e);
            }
        }
        return null;
    }

    /** The batch of the record {@link #peek} returned (its timestamp type and leader epoch). */
    public RecordBatch currentBatch() {
        return batch;
    }

    /** Consumes the record {@link #peek} returned. */
    public void consume() {
        pending = null;
    }

    private CorruptRecordException corrupt(InvalidRecordBatchException e) {
        exhausted = true;
        pending = null;
        String where = batch != null ? " in the batch at offset " + safeBaseOffset() : "";
        return new CorruptRecordException("corrupt record batch from partition " + partition + where + ": "
                + e.getMessage(), e);
    }

    private String safeBaseOffset() {
        try {
            return Long.toString(batch.baseOffset());
        } catch (RuntimeException e) {
            return "?";
        }
    }
}
