package io.tributary.record;

import static io.tributary.record.RecordBatchFormat.*;

import io.tributary.record.InvalidRecordBatchException.Reason;
import io.tributary.record.internal.Checksums;
import io.tributary.record.internal.CompressionCodecs;
import io.tributary.record.internal.Varints;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * A view of one magic-2 record batch ({@link RecordBatchFormat}) over a byte buffer. Header
 * fields are read in place with absolute gets; nothing is decoded or copied until
 * {@link #records()} is called, and for an uncompressed batch not even then: record keys and
 * values are slices of this batch's buffer.
 *
 * <p>{@link #wrap} does not validate: call {@link #validate()} (or {@link #isValid()}) before
 * trusting the header fields of bytes that came from a disk or a network.
 *
 * <p>Thread-safety: a batch holds its own slice of the buffer and never moves its position, so
 * any number of threads may read the same batch concurrently. The setters write into the shared
 * bytes: they must not run concurrently with anything else on the same bytes.
 */
public final class RecordBatch {

    private final ByteBuffer buffer;

    /** {@code buffer}: position 0, limit = the batch's bytes (fewer if the batch is truncated). */
    RecordBatch(ByteBuffer buffer) {
        this.buffer = buffer;
    }

    /**
     * A view of the batch starting at {@code buffer.position()}, over {@code sizeInBytes} bytes
     * (or over the bytes up to the limit if fewer remain; {@link #validate()} then reports
     * {@link Reason#TRUNCATED}). No copy, no validation; the caller's position, limit and mark
     * are left alone. The view shares the bytes, so later changes to them show through.
     *
     * @throws InvalidRecordBatchException TRUNCATED if fewer than {@link RecordBatchFormat#LOG_OVERHEAD}
     *         bytes remain, BAD_LENGTH if the length field is negative
     */
    public static RecordBatch wrap(ByteBuffer buffer) {
        int position = buffer.position();
        int declared = sizeInBytes(buffer, position);
        int length = Math.min(declared, buffer.limit() - position);
        return new RecordBatch(buffer.slice(position, length));
    }

    /**
     * The size of the batch starting at absolute index {@code position} of {@code buffer}, as its
     * length field declares it: {@code batchLength + LOG_OVERHEAD}. Reads only the length field.
     *
     * @throws InvalidRecordBatchException TRUNCATED if fewer than {@link RecordBatchFormat#LOG_OVERHEAD}
     *         bytes remain before the limit, BAD_LENGTH if batchLength is negative or the size would
     *         overflow an int
     */
    public static int sizeInBytes(ByteBuffer buffer, int position) {
        int remaining = buffer.limit() - position;
        if (position < 0 || remaining < LOG_OVERHEAD) {
            throw new InvalidRecordBatchException(Reason.TRUNCATED, "Truncated batch at position " + position
                    + ": need " + LOG_OVERHEAD + " bytes to read baseOffset and batchLength, only "
                    + Math.max(remaining, 0) + " remain");
        }
        int batchLength = buffer.getInt(position + LENGTH_OFFSET);
        if (batchLength < 0 || batchLength > Integer.MAX_VALUE - LOG_OVERHEAD) {
            throw new InvalidRecordBatchException(Reason.BAD_LENGTH, "Invalid batchLength " + batchLength
                    + " at position " + position + ": expected 0.." + (Integer.MAX_VALUE - LOG_OVERHEAD));
        }
        return batchLength + LOG_OVERHEAD;
    }

    /** A duplicate of exactly this batch's bytes, positioned at 0; the caller may move it freely. */
    public ByteBuffer buffer() {
        return buffer.duplicate();
    }

    /** The size the length field declares: {@code batchLength() + LOG_OVERHEAD}. */
    public int sizeInBytes() {
        return batchLength() + LOG_OVERHEAD;
    }

    public long baseOffset() {
        return buffer.getLong(BASE_OFFSET_OFFSET);
    }

    /** Bytes of the batch after the length field. */
    public int batchLength() {
        return buffer.getInt(LENGTH_OFFSET);
    }

    public int partitionLeaderEpoch() {
        return buffer.getInt(PARTITION_LEADER_EPOCH_OFFSET);
    }

    public byte magic() {
        return buffer.get(MAGIC_OFFSET);
    }

    /** The stored CRC32C, unsigned. */
    public long checksum() {
        return Integer.toUnsignedLong(buffer.getInt(CRC_OFFSET));
    }

    /** CRC32C of the bytes from {@link RecordBatchFormat#ATTRIBUTES_OFFSET} to the end of the batch. */
    public long computeChecksum() {
        return Checksums.crc32c(buffer, ATTRIBUTES_OFFSET, buffer.limit());
    }

    public short attributes() {
        return buffer.getShort(ATTRIBUTES_OFFSET);
    }

    /**
     * The codec in attribute bits 0-2.
     *
     * @throws InvalidRecordBatchException BAD_RECORDS for the unused ids 5-7
     */
    public Compression compression() {
        int id = attributes() & COMPRESSION_CODEC_MASK;
        if (id > Compression.ZSTD.id()) {
            throw new InvalidRecordBatchException(Reason.BAD_RECORDS, "Invalid compression codec id " + id
                    + " in attributes 0x" + Integer.toHexString(attributes() & 0xFFFF) + ": expected 0..4");
        }
        return Compression.forId(id);
    }

    public TimestampType timestampType() {
        return (attributes() & TIMESTAMP_TYPE_MASK) == 0 ? TimestampType.CREATE_TIME : TimestampType.LOG_APPEND_TIME;
    }

    public boolean isTransactional() {
        return (attributes() & TRANSACTIONAL_FLAG_MASK) != 0;
    }

    public boolean isControl() {
        return (attributes() & CONTROL_FLAG_MASK) != 0;
    }

    /** Attribute bit 6: the base timestamp holds the compaction delete horizon. */
    public boolean hasDeleteHorizonMs() {
        return (attributes() & DELETE_HORIZON_FLAG_MASK) != 0;
    }

    /** The compaction delete horizon (the baseTimestamp) if attribute bit 6 is set, else -1. */
    public long deleteHorizonMs() {
        return hasDeleteHorizonMs() ? baseTimestamp() : NO_TIMESTAMP;
    }

    public int lastOffsetDelta() {
        return buffer.getInt(LAST_OFFSET_DELTA_OFFSET);
    }

    /** {@code baseOffset() + lastOffsetDelta()}. */
    public long lastOffset() {
        return baseOffset() + lastOffsetDelta();
    }

    /** {@code lastOffset() + 1}: where the next batch of the log starts. */
    public long nextOffset() {
        return lastOffset() + 1;
    }

    public long baseTimestamp() {
        return buffer.getLong(BASE_TIMESTAMP_OFFSET);
    }

    public long maxTimestamp() {
        return buffer.getLong(MAX_TIMESTAMP_OFFSET);
    }

    public long producerId() {
        return buffer.getLong(PRODUCER_ID_OFFSET);
    }

    public short producerEpoch() {
        return buffer.getShort(PRODUCER_EPOCH_OFFSET);
    }

    public int baseSequence() {
        return buffer.getInt(BASE_SEQUENCE_OFFSET);
    }

    /** Sequence of the last offset of the batch (wrapping past Integer.MAX_VALUE), or -1. */
    public int lastSequence() {
        int baseSequence = baseSequence();
        return baseSequence == NO_SEQUENCE ? NO_SEQUENCE : incrementSequence(baseSequence, lastOffsetDelta());
    }

    public int recordCount() {
        return buffer.getInt(RECORDS_COUNT_OFFSET);
    }

    /** True if {@link #validate()} would pass. */
    public boolean isValid() {
        return problem() == null;
    }

    /**
     * Checks, in order: batchLength at least {@link RecordBatchFormat#MIN_BATCH_LENGTH}
     * (BAD_LENGTH); the buffer holds all the declared bytes (TRUNCATED); magic is 2 (BAD_MAGIC);
     * the CRC matches (CRC_MISMATCH); the codec id is known, recordCount &gt;= 0,
     * lastOffsetDelta &gt;= recordCount - 1, and an uncompressed records section can hold
     * recordCount records (BAD_RECORDS). Records themselves are checked by {@link #records()} and
     * {@link #validateRecords()}.
     *
     * @throws InvalidRecordBatchException naming the field with expected and actual values
     */
    public void validate() {
        InvalidRecordBatchException problem = problem();
        if (problem != null) {
            throw problem;
        }
    }

    /**
     * {@link #validate()}, then reads every record: framing, exactly recordCount records, offset
     * deltas strictly increasing within 0..lastOffsetDelta, no bytes after the last record.
     * Decompresses a compressed batch.
     *
     * @throws InvalidRecordBatchException as {@link #validate()}, or BAD_RECORDS
     */
    public void validateRecords() {
        validate();
        long baseOffset = baseOffset();
        long previous = -1;
        int lastOffsetDelta = lastOffsetDelta();
        Iterator<Record> records = records();
        while (records.hasNext()) {
            long delta = records.next().offset() - baseOffset;
            if (delta <= previous || delta > lastOffsetDelta) {
                throw new InvalidRecordBatchException(Reason.BAD_RECORDS, "Record offset delta " + delta
                        + " out of order: expected greater than " + previous + " and at most lastOffsetDelta "
                        + lastOffsetDelta);
            }
            previous = delta;
        }
    }

    private InvalidRecordBatchException problem() {
        int batchLength = batchLength();
        if (batchLength < MIN_BATCH_LENGTH) {
            return new InvalidRecordBatchException(Reason.BAD_LENGTH, "Invalid batchLength " + batchLength
                    + ": expected at least " + MIN_BATCH_LENGTH + " (a " + RECORD_BATCH_OVERHEAD
                    + "-byte header minus the " + LOG_OVERHEAD + "-byte log overhead)");
        }
        long declared = (long) batchLength + LOG_OVERHEAD;
        if (declared > buffer.limit()) {
            return new InvalidRecordBatchException(Reason.TRUNCATED, "Truncated batch: batchLength " + batchLength
                    + " declares " + declared + " bytes, only " + buffer.limit() + " available");
        }
        byte magic = magic();
        if (magic != MAGIC) {
            return new InvalidRecordBatchException(Reason.BAD_MAGIC, "Unsupported magic " + magic + " at offset "
                    + MAGIC_OFFSET + ": expected " + MAGIC + " (record batch v2)");
        }
        long stored = checksum();
        long computed = computeChecksum();
        if (stored != computed) {
            return new InvalidRecordBatchException(Reason.CRC_MISMATCH, String.format(
                    "CRC32C mismatch: stored 0x%08x, computed 0x%08x over bytes %d..%d (batch at base offset %d)",
                    stored, computed, ATTRIBUTES_OFFSET, buffer.limit(), baseOffset()));
        }
        int codecId = attributes() & COMPRESSION_CODEC_MASK;
        if (codecId > Compression.ZSTD.id()) {
            return new InvalidRecordBatchException(Reason.BAD_RECORDS, "Invalid compression codec id " + codecId
                    + " in attributes: expected 0..4");
        }
        int recordCount = recordCount();
        if (recordCount < 0) {
            return new InvalidRecordBatchException(Reason.BAD_RECORDS, "Invalid recordCount " + recordCount
                    + ": expected at least 0");
        }
        int lastOffsetDelta = lastOffsetDelta();
        if ((long) lastOffsetDelta < (long) recordCount - 1) {
            return new InvalidRecordBatchException(Reason.BAD_RECORDS, "Invalid lastOffsetDelta " + lastOffsetDelta
                    + ": expected at least recordCount - 1 = " + ((long) recordCount - 1));
        }
        int recordsBytes = buffer.limit() - RECORDS_OFFSET;
        if (codecId == Compression.NONE.id() && (long) recordCount * MIN_RECORD_SIZE > recordsBytes) {
            return new InvalidRecordBatchException(Reason.BAD_RECORDS, "recordCount " + recordCount
                    + " cannot fit in " + recordsBytes + " bytes of uncompressed records: expected at most "
                    + recordsBytes / MIN_RECORD_SIZE);
        }
        return null;
    }

    /** Sets the base offset in place. Not covered by the CRC, so the CRC is not touched. */
    public void setBaseOffset(long baseOffset) {
        buffer.putLong(BASE_OFFSET_OFFSET, baseOffset);
    }

    /** Sets the partition leader epoch in place. Not covered by the CRC, so the CRC is not touched. */
    public void setPartitionLeaderEpoch(int epoch) {
        buffer.putInt(PARTITION_LEADER_EPOCH_OFFSET, epoch);
    }

    /**
     * Stamps the batch with the broker's append time (Kafka semantics): sets the log-append-time
     * attribute bit and maxTimestamp, then recomputes the CRC. Records then read back with
     * {@code timestampMs} as their timestamp.
     */
    public void setLogAppendTime(long timestampMs) {
        setMaxTimestamp(TimestampType.LOG_APPEND_TIME, timestampMs);
    }

    /**
     * Sets the timestamp type bit and maxTimestamp, recomputing the CRC if either changed (Kafka's
     * {@code DefaultRecordBatch.setMaxTimestamp}).
     */
    public void setMaxTimestamp(TimestampType timestampType, long maxTimestamp) {
        if (timestampType() == timestampType && maxTimestamp() == maxTimestamp) {
            return;
        }
        short attributes = attributes();
        attributes = timestampType == TimestampType.LOG_APPEND_TIME
                ? (short) (attributes | TIMESTAMP_TYPE_MASK)
                : (short) (attributes & ~TIMESTAMP_TYPE_MASK);
        buffer.putShort(ATTRIBUTES_OFFSET, attributes);
        buffer.putLong(MAX_TIMESTAMP_OFFSET, maxTimestamp);
        buffer.putInt(CRC_OFFSET, (int) computeChecksum());
    }

    /**
     * Iterates the records, decompressing the whole records section first (into a fresh buffer)
     * when the batch is compressed. Each record's framing is checked as it is read. The CRC is
     * not checked here: call {@link #validate()} first for untrusted bytes.
     *
     * @throws InvalidRecordBatchException TRUNCATED/BAD_LENGTH/BAD_MAGIC if the batch cannot be
     *         read at all; BAD_RECORDS from this call or from the iterator for a codec id 5-7,
     *         a stream that does not decompress, malformed records, or a record count that
     *         disagrees with the records present
     */
    public Iterator<Record> records() {
        int batchLength = batchLength();
        if (batchLength < MIN_BATCH_LENGTH) {
            throw new InvalidRecordBatchException(Reason.BAD_LENGTH, "Invalid batchLength " + batchLength
                    + ": expected at least " + MIN_BATCH_LENGTH);
        }
        if ((long) batchLength + LOG_OVERHEAD > buffer.limit()) {
            throw new InvalidRecordBatchException(Reason.TRUNCATED, "Truncated batch: declares "
                    + ((long) batchLength + LOG_OVERHEAD) + " bytes, only " + buffer.limit() + " available");
        }
        if (magic() != MAGIC) {
            throw new InvalidRecordBatchException(Reason.BAD_MAGIC, "Unsupported magic " + magic()
                    + ": expected " + MAGIC);
        }
        int count = recordCount();
        if (count < 0) {
            throw new InvalidRecordBatchException(Reason.BAD_RECORDS, "Invalid recordCount " + count
                    + ": expected at least 0");
        }
        Compression compression = compression();
        ByteBuffer section = buffer.duplicate();
        section.position(RECORDS_OFFSET);
        ByteBuffer records;
        if (compression == Compression.NONE) {
            records = section.slice();
        } else if (count == 0 && !section.hasRemaining()) {
            records = ByteBuffer.allocate(0);
        } else {
            try {
                records = CompressionCodecs.decompress(compression, section);
            } catch (IOException | RuntimeException e) {
                throw new InvalidRecordBatchException(Reason.BAD_RECORDS, "Cannot decompress " + compression
                        + " records of batch at base offset " + baseOffset() + ": " + e, e);
            }
        }
        long logAppendTime = timestampType() == TimestampType.LOG_APPEND_TIME ? maxTimestamp() : NO_TIMESTAMP;
        return new RecordIterator(records.asReadOnlyBuffer(), count, baseOffset(), baseTimestamp(),
                timestampType() == TimestampType.LOG_APPEND_TIME, logAppendTime, baseSequence());
    }

    /** All records in a list; see {@link #records()}. */
    public List<Record> recordList() {
        List<Record> list = new ArrayList<>(Math.max(0, Math.min(recordCount(), 1 << 16)));
        records().forEachRemaining(list::add);
        return list;
    }

    @Override
    public String toString() {
        if (buffer.limit() < RECORD_BATCH_OVERHEAD) {
            return "RecordBatch(" + buffer.limit() + " bytes, truncated header)";
        }
        return "RecordBatch(baseOffset=" + baseOffset() + ", lastOffset=" + lastOffset() + ", count=" + recordCount()
                + ", size=" + sizeInBytes() + ", magic=" + magic() + ", attributes=0x"
                + Integer.toHexString(attributes() & 0xFFFF) + ", crc=" + checksum() + ", epoch="
                + partitionLeaderEpoch() + ", producerId=" + producerId() + ")";
    }

    /** Kafka's {@code DefaultRecordBatch.incrementSequence}: sequences wrap to 0 after Integer.MAX_VALUE. */
    static int incrementSequence(int sequence, int increment) {
        if (sequence > Integer.MAX_VALUE - increment) {
            return increment - (Integer.MAX_VALUE - sequence) - 1;
        }
        return sequence + increment;
    }

    /**
     * Walks a records section. {@code base} is never repositioned (record views slice it);
     * {@code in} is this iterator's cursor.
     */
    private static final class RecordIterator implements Iterator<Record> {

        private final ByteBuffer base;
        private final ByteBuffer in;
        private final int count;
        private final long baseOffset;
        private final long baseTimestamp;
        private final boolean logAppendTime;
        private final long logAppendTimestamp;
        private final int baseSequence;
        private int index;
        private boolean failed;

        RecordIterator(ByteBuffer base, int count, long baseOffset, long baseTimestamp, boolean logAppendTime,
                       long logAppendTimestamp, int baseSequence) {
            this.base = base;
            this.in = base.duplicate();
            this.count = count;
            this.baseOffset = baseOffset;
            this.baseTimestamp = baseTimestamp;
            this.logAppendTime = logAppendTime;
            this.logAppendTimestamp = logAppendTimestamp;
            this.baseSequence = baseSequence;
        }

        @Override
        public boolean hasNext() {
            if (failed) {
                return false;
            }
            if (index < count) {
                return true;
            }
            if (in.hasRemaining()) {
                throw new InvalidRecordBatchException(Reason.BAD_RECORDS, in.remaining()
                        + " bytes remain after the last of recordCount " + count + " records (batch at base offset "
                        + baseOffset + ")");
            }
            return false;
        }

        @Override
        public Record next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            int start = in.position();
            int limit = in.limit();
            try {
                int length = Varints.readVarint(in);
                int bodyStart = in.position();
                if (length < 0 || length > limit - bodyStart) {
                    throw bad(start, "length " + length + " but " + (limit - bodyStart) + " bytes remain");
                }
                int bodyEnd = bodyStart + length;
                in.limit(bodyEnd);
                in.get(); // attributes: unused
                long timestampDelta = Varints.readVarlong(in);
                int offsetDelta = Varints.readVarint(in);
                int keySize = Varints.readVarint(in);
                int keyPosition = in.position();
                skipBytes(keySize, start, "key");
                int valueSize = Varints.readVarint(in);
                int valuePosition = in.position();
                skipBytes(valueSize, start, "value");
                int headerCount = Varints.readVarint(in);
                if (headerCount < 0) {
                    throw bad(start, "headerCount " + headerCount + ": expected at least 0");
                }
                int headersPosition = in.position();
                for (int i = 0; i < headerCount; i++) {
                    int headerKeySize = Varints.readVarint(in);
                    if (headerKeySize < 0) {
                        throw bad(start, "header " + i + " key length " + headerKeySize + ": expected at least 0");
                    }
                    skipBytes(headerKeySize, start, "header key");
                    skipBytes(Varints.readVarint(in), start, "header value");
                }
                if (in.position() != bodyEnd) {
                    throw bad(start, "length says " + length + " bytes but its fields take "
                            + (in.position() - bodyStart));
                }
                in.limit(limit);
                index++;
                long timestamp = logAppendTime ? logAppendTimestamp : baseTimestamp + timestampDelta;
                int sequence = baseSequence == NO_SEQUENCE ? NO_SEQUENCE : incrementSequence(baseSequence, offsetDelta);
                return new RecordView(base, baseOffset + offsetDelta, timestamp, sequence, keyPosition, keySize,
                        valuePosition, valueSize, headersPosition, headerCount, bodyEnd - start);
            } catch (BufferUnderflowException | IllegalArgumentException e) {
                failed = true;
                throw bad(start, "runs past its length or the records section (" + e + ")");
            } catch (InvalidRecordBatchException e) {
                failed = true; // the section is unreadable from here on
                throw e;
            }
        }

        private void skipBytes(int size, int recordStart, String field) {
            if (size < -1) {
                throw bad(recordStart, field + " length " + size + ": expected -1 (null) or more");
            }
            if (size > in.remaining()) {
                throw bad(recordStart, field + " length " + size + " but only " + in.remaining()
                        + " bytes remain in the record");
            }
            if (size > 0) {
                in.position(in.position() + size);
            }
        }

        private InvalidRecordBatchException bad(int recordStart, String what) {
            return new InvalidRecordBatchException(Reason.BAD_RECORDS, "Malformed record " + index + " of " + count
                    + " at byte " + recordStart + " of the records section (batch at base offset " + baseOffset
                    + "): " + what);
        }
    }
}
