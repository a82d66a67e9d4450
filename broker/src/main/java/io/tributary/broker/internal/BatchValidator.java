package io.tributary.broker.internal;

import io.tributary.proto.v1.ErrorCode;
import io.tributary.record.InvalidRecordBatchException;
import io.tributary.record.RecordBatch;
import io.tributary.record.RecordBatchFormat;
import io.tributary.replication.TopicPartition;

import java.nio.ByteBuffer;

/**
 * Checks the record batches of a produce request before anything is written: each is a whole
 * magic-2 batch whose length agrees with the bytes, whose CRC32C matches, whose record count and
 * offset deltas agree with its records (compressed batches are decompressed to check this), which
 * holds at least one record, and which is at most the topic's {@code max.message.bytes}; the
 * batches of one entry belong to one producer (id and epoch) with consecutive sequences when it is
 * idempotent (the partition checks them as one unit). The
 * bytes are only read: nothing is decoded into objects that are kept, nothing is re-encoded.
 *
 * <p>Thread-safety: stateless.
 */
public final class BatchValidator {

    private BatchValidator() {
    }

    /** What was validated. */
    public record Summary(int batches, long records, int bytes) {
    }

    /**
     * @param records the batches, back to back, from position to limit (not moved)
     * @throws RequestException INVALID_REQUEST (empty, mixed producers, non-consecutive sequences), CORRUPT_BATCH,
     *     BATCH_TOO_LARGE
     */
    public static Summary validate(ByteBuffer records, int maxMessageBytes, TopicPartition tp) {
        int start = records.position();
        int limit = records.limit();
        if (start == limit) {
            throw RequestException.invalidRequest("records for " + tp + " are empty: send one or more record"
                    + " batches (v2)");
        }
        int position = start;
        int batches = 0;
        long count = 0;
        long producerId = -1;
        int producerEpoch = -1;
        int nextSequence = -1;
        while (position < limit) {
            int at = position - start;
            int remaining = limit - position;
            if (remaining < RecordBatchFormat.LOG_OVERHEAD) {
                throw corrupt(tp, at, remaining + " trailing bytes are not a whole batch header");
            }
            int size;
            try {
                size = RecordBatch.sizeInBytes(records, position);
            } catch (InvalidRecordBatchException e) {
                throw corrupt(tp, at, e.getMessage());
            }
            if (size > remaining) {
                throw corrupt(tp, at, "its length field declares " + size + " bytes but only " + remaining
                        + " remain in the request (truncated or corrupt)");
            }
            if (size > maxMessageBytes) {
                throw new RequestException(ErrorCode.BATCH_TOO_LARGE, "record batch at byte " + at + " for " + tp
                        + " is " + size + " bytes, more than the topic's max.message.bytes (" + maxMessageBytes
                        + "); split it into smaller batches. Nothing was written");
            }
            RecordBatch batch = RecordBatch.wrap(records.duplicate().position(position));
            try {
                batch.validateRecords();
            } catch (InvalidRecordBatchException e) {
                throw corrupt(tp, at, e.getMessage());
            } catch (RuntimeException e) {
                // A codec fails on garbage with its own exceptions.
                throw corrupt(tp, at, "its records cannot be decompressed (" + e.getClass().getSimpleName() + ")");
            }
            if (batch.recordCount() == 0) {
                throw corrupt(tp, at, "it holds no records");
            }
            if (batch.isControl() || batch.isTransactional()) {
                throw RequestException.invalidRequest("record batch at byte " + at + " for " + tp
                        + " is transactional or a control batch: transactions are not supported. Nothing was written");
            }
            if (batches == 0) {
                producerId = batch.producerId();
                producerEpoch = batch.producerEpoch();
                if (producerId >= 0 && (producerEpoch < 0 || batch.baseSequence() < 0)) {
                    throw RequestException.invalidRequest("record batch at byte " + at + " for " + tp
                            + " has producer id " + producerId + " but epoch " + producerEpoch + " and base sequence "
                            + batch.baseSequence() + ": an idempotent batch needs both >= 0. Nothing was written");
                }
                if (producerId < -1) {
                    throw RequestException.invalidRequest("record batch at byte " + at + " for " + tp
                            + " has producer id " + producerId + ": use -1 (not idempotent) or an id from"
                            + " InitProducerId. Nothing was written");
                }
            } else if (batch.producerId() != producerId || (producerId >= 0 && batch.producerEpoch() != producerEpoch)) {
                throw RequestException.invalidRequest("record batch at byte " + at + " for " + tp + " has producer id "
                        + batch.producerId() + " epoch " + batch.producerEpoch() + " but the first batch has "
                        + producerId + " epoch " + producerEpoch + ": the batches of one partition's entry belong to"
                        + " one producer. Nothing was written");
            } else if (producerId >= 0 && batch.baseSequence() != nextSequence) {
                throw RequestException.invalidRequest("record batch at byte " + at + " for " + tp + " starts at"
                        + " sequence " + batch.baseSequence() + " but the batches before it end just before "
                        + nextSequence + ": the batches of one entry have consecutive sequences. Nothing was written");
            }
            if (producerId >= 0) {
                int last = batch.lastSequence();
                nextSequence = last == Integer.MAX_VALUE ? 0 : last + 1;
            }
            batches++;
            count += batch.recordCount();
            position += size;
        }
        return new Summary(batches, count, limit - start);
    }

    private static RequestException corrupt(TopicPartition tp, int at, String why) {
        return new RequestException(ErrorCode.CORRUPT_BATCH, "record batch at byte " + at + " for " + tp
                + " is corrupt: " + why + ". Nothing was written");
    }
}
