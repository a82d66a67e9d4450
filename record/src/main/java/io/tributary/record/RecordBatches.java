package io.tributary.record;

import static io.tributary.record.RecordBatchFormat.LOG_OVERHEAD;
import static io.tributary.record.RecordBatchFormat.RECORD_BATCH_OVERHEAD;

import io.tributary.record.InvalidRecordBatchException.Reason;
import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Batches stored back to back in one buffer, as a log read or a produce request holds them.
 *
 * <p>Thread-safety: stateless. Each iterator works on its own duplicate of the buffer, so the
 * caller's position and limit are never moved and several iterations may run concurrently.
 */
public final class RecordBatches {

    private RecordBatches() {
    }

    /**
     * The batches from {@code buffer.position()} to {@code buffer.limit()}, read lazily (each
     * {@code iterator()} starts over). Batches are {@link RecordBatch#wrap wrapped}, not validated.
     * The iterator ends cleanly exactly at the limit. Its {@code hasNext()} throws
     * {@link InvalidRecordBatchException} with {@link Reason#TRUNCATED} when the bytes left are a
     * partial batch (fewer than 12, or fewer than the batch declares), and {@link Reason#BAD_LENGTH}
     * when a length field is smaller than a batch header (iteration cannot go on past it).
     */
    public static Iterable<RecordBatch> iterate(ByteBuffer buffer) {
        ByteBuffer view = buffer.duplicate();
        return () -> new BatchIterator(view);
    }

    /**
     * {@link RecordBatch#validate() Validates} every batch in the buffer.
     *
     * @return the number of batches
     * @throws InvalidRecordBatchException for the first invalid batch or a partial tail; the message
     *         gives the batch's index and buffer position
     */
    public static int validateAll(ByteBuffer buffer) {
        int count = 0;
        int position = buffer.position();
        for (RecordBatch batch : iterate(buffer)) {
            try {
                batch.validate();
            } catch (InvalidRecordBatchException e) {
                throw new InvalidRecordBatchException(e.reason(), "Batch " + count + " at position " + position
                        + ": " + e.getMessage(), e);
            }
            position += batch.sizeInBytes();
            count++;
        }
        return count;
    }

    private static final class BatchIterator implements Iterator<RecordBatch> {

        private final ByteBuffer buffer;
        private int position;
        private RecordBatch next;

        BatchIterator(ByteBuffer buffer) {
            this.buffer = buffer;
            this.position = buffer.position();
        }

        @Override
        public boolean hasNext() {
            if (next != null) {
                return true;
            }
            int remaining = buffer.limit() - position;
            if (remaining == 0) {
                return false;
            }
            if (remaining < LOG_OVERHEAD) {
                throw new InvalidRecordBatchException(Reason.TRUNCATED, "Partial batch at position " + position
                        + ": " + remaining + " bytes remain, a batch needs " + LOG_OVERHEAD + " to declare its length");
            }
            int size = RecordBatch.sizeInBytes(buffer, position);
            if (size < RECORD_BATCH_OVERHEAD) {
                throw new InvalidRecordBatchException(Reason.BAD_LENGTH, "Batch at position " + position
                        + " declares " + size + " bytes: expected at least " + RECORD_BATCH_OVERHEAD);
            }
            if (size > remaining) {
                throw new InvalidRecordBatchException(Reason.TRUNCATED, "Partial batch at position " + position
                        + ": declares " + size + " bytes, only " + remaining + " remain");
            }
            next = new RecordBatch(buffer.slice(position, size));
            position += size;
            return true;
        }

        @Override
        public RecordBatch next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            RecordBatch batch = next;
            next = null;
            return batch;
        }
    }
}
