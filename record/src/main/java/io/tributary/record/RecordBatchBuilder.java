package io.tributary.record;

import static io.tributary.record.RecordBatchFormat.*;

import io.tributary.record.internal.ByteBufferOutputStream;
import io.tributary.record.internal.Checksums;
import io.tributary.record.internal.CompressionCodecs;
import io.tributary.record.internal.Varints;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Builds one magic-2 record batch ({@link RecordBatchFormat}), byte-identical to what Kafka's
 * {@code MemoryRecordsBuilder} writes for the same uncompressed input.
 *
 * <p>Records are encoded straight into a growable heap buffer behind a reserved 61-byte header;
 * {@link #build()} then compresses that section once (if a codec is set), fills in the header and
 * computes the CRC last. The size limit is checked against the uncompressed size
 * ({@link #estimatedSizeInBytes()}), so a compressed batch comes out smaller than the limit.
 *
 * <p>Defaults: baseOffset 0, {@link TimestampType#CREATE_TIME}, partitionLeaderEpoch -1,
 * producerId -1, producerEpoch -1, baseSequence -1, not transactional, not control. The
 * batch-level setters must be called before the first append. baseTimestamp is the first
 * record's timestamp; maxTimestamp the largest record timestamp (or the log-append time, see
 * {@link #logAppendTime(long)}).
 *
 * <p>A builder makes one batch: after {@link #build()} appends throw and {@code build()} returns
 * the same batch again.
 *
 * <p>Thread-safety: not thread-safe; confine a builder to one thread.
 */
public final class RecordBatchBuilder {

    private static final Header[] NO_HEADERS = new Header[0];
    private static final int MAX_INITIAL_CAPACITY = 64 * 1024;
    private static final int MIN_INITIAL_CAPACITY = 256;

    private final Compression compression;
    private final int sizeLimitBytes;

    private long baseOffset = 0L;
    private TimestampType timestampType = TimestampType.CREATE_TIME;
    private long logAppendTime = NO_TIMESTAMP;
    private long deleteHorizonMs = NO_TIMESTAMP;
    private int partitionLeaderEpoch = NO_PARTITION_LEADER_EPOCH;
    private long producerId = NO_PRODUCER_ID;
    private short producerEpoch = NO_PRODUCER_EPOCH;
    private int baseSequence = NO_SEQUENCE;
    private boolean transactional;
    private boolean control;

    /** Records are written from RECORDS_OFFSET; the header is filled in by build(). */
    private ByteBuffer buffer;
    private int recordCount;
    private long lastOffset = -1L;
    private long baseTimestamp;
    private long maxTimestamp = NO_TIMESTAMP;
    private int overrideLastOffsetDelta = -1;
    private boolean lastOffsetDeltaOverridden;
    private RecordBatch built;

    /**
     * @param compression    codec for the records section
     * @param sizeLimitBytes soft limit on the batch size, enforced by {@link #hasRoomFor} and
     *                       {@link #tryAppend} on the uncompressed size; {@link #append} ignores it
     */
    public RecordBatchBuilder(Compression compression, int sizeLimitBytes) {
        this.compression = Objects.requireNonNull(compression, "compression");
        if (sizeLimitBytes < 0) {
            throw new IllegalArgumentException("sizeLimitBytes " + sizeLimitBytes + ": expected at least 0");
        }
        this.sizeLimitBytes = sizeLimitBytes;
        int capacity = Math.max(MIN_INITIAL_CAPACITY, Math.min(sizeLimitBytes, MAX_INITIAL_CAPACITY));
        this.buffer = ByteBuffer.allocate(capacity);
        this.buffer.position(RECORDS_OFFSET);
    }

    /** Offset of the first record, and what later offsets are relative to. Before the first append. */
    public RecordBatchBuilder baseOffset(long baseOffset) {
        checkNoRecords("baseOffset");
        this.baseOffset = baseOffset;
        return this;
    }

    /**
     * Timestamp type bit. With {@link TimestampType#LOG_APPEND_TIME} and no
     * {@link #logAppendTime(long)}, maxTimestamp is still the largest record timestamp.
     */
    public RecordBatchBuilder timestampType(TimestampType timestampType) {
        checkNotBuilt();
        this.timestampType = Objects.requireNonNull(timestampType, "timestampType");
        return this;
    }

    /**
     * Sets {@link TimestampType#LOG_APPEND_TIME} with {@code logAppendTimeMs} as the batch's
     * maxTimestamp, as a broker's builder does (Kafka semantics: records then read back with it).
     */
    public RecordBatchBuilder logAppendTime(long logAppendTimeMs) {
        checkNotBuilt();
        this.timestampType = TimestampType.LOG_APPEND_TIME;
        this.logAppendTime = logAppendTimeMs;
        return this;
    }

    /**
     * For compaction (Kafka KIP-534): marks the batch with a delete horizon, after which its
     * tombstones and transaction markers may be removed. Sets attribute bit 6 and stores the
     * horizon as baseTimestamp, which record timestamp deltas are then relative to. Before the
     * first append; must not be -1.
     */
    public RecordBatchBuilder deleteHorizonMs(long deleteHorizonMs) {
        checkNoRecords("deleteHorizonMs");
        if (deleteHorizonMs == NO_TIMESTAMP) {
            throw new IllegalArgumentException("deleteHorizonMs must not be " + NO_TIMESTAMP);
        }
        this.deleteHorizonMs = deleteHorizonMs;
        this.baseTimestamp = deleteHorizonMs;
        return this;
    }

    public RecordBatchBuilder partitionLeaderEpoch(int partitionLeaderEpoch) {
        checkNotBuilt();
        this.partitionLeaderEpoch = partitionLeaderEpoch;
        return this;
    }

    /**
     * Idempotent producer state; the first record gets {@code baseSequence}. As in Kafka, a
     * producerId other than -1 needs producerEpoch &gt;= 0 and baseSequence &gt;= 0 (not checked for
     * control batches), and a transactional batch needs a producerId; {@link #build()} enforces it.
     */
    public RecordBatchBuilder producer(long producerId, short producerEpoch, int baseSequence) {
        checkNotBuilt();
        this.producerId = producerId;
        this.producerEpoch = producerEpoch;
        this.baseSequence = baseSequence;
        return this;
    }

    public RecordBatchBuilder transactional(boolean transactional) {
        checkNotBuilt();
        this.transactional = transactional;
        return this;
    }

    public RecordBatchBuilder control(boolean control) {
        checkNotBuilt();
        this.control = control;
        return this;
    }

    /**
     * For compaction: the batch keeps the original lastOffsetDelta even when its last records were
     * removed. Must be at least the delta of the last appended record (checked now and at build).
     */
    public RecordBatchBuilder lastOffsetDelta(int delta) {
        checkNotBuilt();
        if (recordCount > 0 && delta < lastOffset - baseOffset) {
            throw new IllegalArgumentException("lastOffsetDelta " + delta
                    + " is below the last appended record's delta " + (lastOffset - baseOffset));
        }
        if (delta < 0) {
            throw new IllegalArgumentException("lastOffsetDelta " + delta + ": expected at least 0");
        }
        this.overrideLastOffsetDelta = delta;
        this.lastOffsetDeltaOverridden = true;
        return this;
    }

    /**
     * Whether a record with these fields fits under the size limit, measured on the uncompressed
     * size. An empty builder always has room for one record, however large.
     */
    public boolean hasRoomFor(long timestamp, ByteBuffer key, ByteBuffer value, Header... headers) {
        if (built != null) {
            return false;
        }
        if (recordCount == 0) {
            return true;
        }
        long size = recordSize(nextOffset() - baseOffset, timestamp - baseTimestamp,
                key == null ? -1 : key.remaining(), value == null ? -1 : value.remaining(),
                headers == null ? NO_HEADERS : headers, null);
        return estimatedSizeInBytes() + size <= sizeLimitBytes;
    }

    /** Appends at the next offset if {@link #hasRoomFor} says it fits; false (and nothing appended) if not. */
    public boolean tryAppend(long timestamp, byte[] key, byte[] value, Header... headers) {
        ByteBuffer keyBuffer = key == null ? null : ByteBuffer.wrap(key);
        ByteBuffer valueBuffer = value == null ? null : ByteBuffer.wrap(value);
        if (!hasRoomFor(timestamp, keyBuffer, valueBuffer, headers)) {
            return false;
        }
        append(timestamp, keyBuffer, valueBuffer, headers);
        return true;
    }

    /**
     * Appends at the next offset (baseOffset for the first record, then last offset + 1),
     * regardless of the size limit. Key and value are the bytes between position and limit; their
     * positions are not moved. Null means a null key or value.
     */
    public void append(long timestamp, ByteBuffer key, ByteBuffer value, Header... headers) {
        appendWithOffset(nextOffset(), timestamp, key, value, headers);
    }

    /**
     * For compaction: appends with an explicit offset, strictly greater than the last appended
     * one and at least baseOffset; gaps are allowed. Ignores the size limit.
     *
     * @throws IllegalArgumentException for an offset out of order or more than Integer.MAX_VALUE
     *         past baseOffset
     */
    public void appendWithOffset(long offset, long timestamp, ByteBuffer key, ByteBuffer value, Header... headers) {
        checkNotBuilt();
        if (offset < baseOffset) {
            throw new IllegalArgumentException("offset " + offset + " is below baseOffset " + baseOffset);
        }
        if (recordCount > 0 && offset <= lastOffset) {
            throw new IllegalArgumentException("offset " + offset + " is not greater than the last appended offset "
                    + lastOffset);
        }
        long offsetDelta = offset - baseOffset;
        if (offsetDelta > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("offset " + offset + " is more than Integer.MAX_VALUE past baseOffset "
                    + baseOffset);
        }
        if (recordCount == Integer.MAX_VALUE) {
            throw new IllegalStateException("batch already holds Integer.MAX_VALUE records");
        }
        Header[] hs = headers == null ? NO_HEADERS : headers;
        if (recordCount == 0) {
            if (deleteHorizonMs == NO_TIMESTAMP) {
                baseTimestamp = timestamp;
            }
            maxTimestamp = timestamp;
        } else if (timestamp > maxTimestamp) {
            maxTimestamp = timestamp;
        }
        // Two's complement: a delta that overflows still reads back as the right timestamp.
        long timestampDelta = timestamp - baseTimestamp;
        int keySize = key == null ? -1 : key.remaining();
        int valueSize = value == null ? -1 : value.remaining();
        byte[][] headerKeys = new byte[hs.length][];
        long bodySize = bodySize((int) offsetDelta, timestampDelta, keySize, valueSize, hs, headerKeys);
        if (bodySize > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("record of " + bodySize + " bytes is too large");
        }
        int body = (int) bodySize;
        buffer = ByteBufferOutputStream.ensureRemaining(buffer, Varints.sizeOfVarint(body) + body);

        ByteBuffer out = buffer;
        Varints.writeVarint(body, out);
        out.put((byte) 0); // record attributes: unused
        Varints.writeVarlong(timestampDelta, out);
        Varints.writeVarint((int) offsetDelta, out);
        Varints.writeVarint(keySize, out);
        if (key != null) {
            out.put(key.duplicate());
        }
        Varints.writeVarint(valueSize, out);
        if (value != null) {
            out.put(value.duplicate());
        }
        Varints.writeVarint(hs.length, out);
        for (int i = 0; i < hs.length; i++) {
            Varints.writeVarint(headerKeys[i].length, out);
            out.put(headerKeys[i]);
            byte[] headerValue = hs[i].value();
            if (headerValue == null) {
                Varints.writeVarint(-1, out);
            } else {
                Varints.writeVarint(headerValue.length, out);
                out.put(headerValue);
            }
        }
        recordCount++;
        lastOffset = offset;
    }

    public int recordCount() {
        return recordCount;
    }

    public boolean isEmpty() {
        return recordCount == 0;
    }

    /**
     * The batch size so far without compression: header plus encoded records. After
     * {@link #build()}, the built batch's actual size.
     */
    public int estimatedSizeInBytes() {
        return built != null ? built.sizeInBytes() : buffer.position();
    }

    /**
     * Finishes the batch: compresses the records section once, writes the header and computes the
     * CRC last. The result {@link RecordBatch#validate() validates}. Calling it again returns the
     * same batch.
     *
     * @throws IllegalStateException when no record was appended, or when
     *         {@link #lastOffsetDelta(int)} is below the last appended record's delta
     */
    public RecordBatch build() {
        if (built != null) {
            return built;
        }
        if (recordCount == 0) {
            throw new IllegalStateException("cannot build an empty batch: append at least one record first");
        }
        checkProducerState();
        int appendedLastDelta = (int) (lastOffset - baseOffset);
        int lastOffsetDelta = appendedLastDelta;
        if (lastOffsetDeltaOverridden) {
            if (overrideLastOffsetDelta < appendedLastDelta) {
                throw new IllegalStateException("lastOffsetDelta " + overrideLastOffsetDelta
                        + " is below the last appended record's delta " + appendedLastDelta);
            }
            lastOffsetDelta = overrideLastOffsetDelta;
        }

        ByteBuffer out;
        if (compression == Compression.NONE) {
            out = buffer;
        } else {
            ByteBuffer records = buffer.duplicate();
            records.flip().position(RECORDS_OFFSET);
            int uncompressed = records.remaining();
            ByteBuffer initial = ByteBuffer.allocate(RECORDS_OFFSET + Math.max(64, uncompressed / 2 + 64));
            initial.position(RECORDS_OFFSET);
            ByteBufferOutputStream stream = new ByteBufferOutputStream(initial);
            try {
                CompressionCodecs.compress(compression, records, stream);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot compress records with " + compression, e);
            }
            out = stream.buffer();
        }
        int size = out.position();

        long maxTs = timestampType == TimestampType.LOG_APPEND_TIME && logAppendTime != NO_TIMESTAMP
                ? logAppendTime : maxTimestamp;
        out.putLong(BASE_OFFSET_OFFSET, baseOffset);
        out.putInt(LENGTH_OFFSET, size - LOG_OVERHEAD);
        out.putInt(PARTITION_LEADER_EPOCH_OFFSET, partitionLeaderEpoch);
        out.put(MAGIC_OFFSET, MAGIC);
        out.putShort(ATTRIBUTES_OFFSET, attributes());
        out.putInt(LAST_OFFSET_DELTA_OFFSET, lastOffsetDelta);
        out.putLong(BASE_TIMESTAMP_OFFSET, baseTimestamp);
        out.putLong(MAX_TIMESTAMP_OFFSET, maxTs);
        out.putLong(PRODUCER_ID_OFFSET, producerId);
        out.putShort(PRODUCER_EPOCH_OFFSET, producerEpoch);
        out.putInt(BASE_SEQUENCE_OFFSET, baseSequence);
        out.putInt(RECORDS_COUNT_OFFSET, recordCount);
        out.putInt(CRC_OFFSET, (int) Checksums.crc32c(out, ATTRIBUTES_OFFSET, size));

        built = new RecordBatch(out.slice(0, size));
        buffer = null;
        return built;
    }

    /** The producer-state rules of Kafka's {@code MemoryRecordsBuilder}, so a broker never sees worse. */
    private void checkProducerState() {
        if (producerId != NO_PRODUCER_ID) {
            if (producerEpoch < 0) {
                throw new IllegalStateException("producerEpoch " + producerEpoch + " with producerId " + producerId
                        + ": expected at least 0");
            }
            if (baseSequence < 0 && !control) {
                throw new IllegalStateException("baseSequence " + baseSequence + " with producerId " + producerId
                        + ": expected at least 0");
            }
        } else if (transactional) {
            throw new IllegalStateException("a transactional batch needs a producerId, got " + producerId);
        }
    }

    private short attributes() {
        int attributes = compression.id();
        if (timestampType == TimestampType.LOG_APPEND_TIME) {
            attributes |= TIMESTAMP_TYPE_MASK;
        }
        if (transactional) {
            attributes |= TRANSACTIONAL_FLAG_MASK;
        }
        if (control) {
            attributes |= CONTROL_FLAG_MASK;
        }
        if (deleteHorizonMs != NO_TIMESTAMP) {
            attributes |= DELETE_HORIZON_FLAG_MASK;
        }
        return (short) attributes;
    }

    private long nextOffset() {
        return recordCount == 0 ? baseOffset : lastOffset + 1;
    }

    /** Size of a record including its length prefix. */
    private static long recordSize(long offsetDelta, long timestampDelta, int keySize, int valueSize,
                                   Header[] headers, byte[][] headerKeysOut) {
        long body = bodySize((int) Math.min(offsetDelta, Integer.MAX_VALUE), timestampDelta, keySize, valueSize,
                headers, headerKeysOut);
        return Varints.sizeOfVarint((int) Math.min(body, Integer.MAX_VALUE)) + body;
    }

    /**
     * Size of a record after its length field (Kafka's {@code DefaultRecord.sizeOfBodyInBytes}).
     * Fills {@code headerKeysOut}, when given, with the UTF-8 header keys.
     */
    private static long bodySize(int offsetDelta, long timestampDelta, int keySize, int valueSize,
                                 Header[] headers, byte[][] headerKeysOut) {
        long size = 1 // attributes
                + Varints.sizeOfVarlong(timestampDelta)
                + Varints.sizeOfVarint(offsetDelta)
                + Varints.sizeOfVarint(keySize) + Math.max(keySize, 0)
                + Varints.sizeOfVarint(valueSize) + Math.max(valueSize, 0)
                + Varints.sizeOfVarint(headers.length);
        for (int i = 0; i < headers.length; i++) {
            Header header = Objects.requireNonNull(headers[i], "header");
            int keyLength;
            if (headerKeysOut != null) {
                headerKeysOut[i] = header.key().getBytes(StandardCharsets.UTF_8);
                keyLength = headerKeysOut[i].length;
            } else {
                keyLength = utf8Length(header.key());
            }
            int headerValueSize = header.value() == null ? -1 : header.value().length;
            size += Varints.sizeOfVarint(keyLength) + keyLength
                    + Varints.sizeOfVarint(headerValueSize) + Math.max(headerValueSize, 0);
        }
        return size;
    }

    /** UTF-8 length of {@code s} as {@link String#getBytes} encodes it (a lone surrogate becomes '?'). */
    static int utf8Length(String s) {
        int length = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                length += 1;
            } else if (c < 0x800) {
                length += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                length += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                length += 1; // unpaired: encoded as '?'
            } else {
                length += 3;
            }
        }
        return length;
    }

    private void checkNotBuilt() {
        if (built != null) {
            throw new IllegalStateException("batch already built; use a new builder");
        }
    }

    private void checkNoRecords(String what) {
        checkNotBuilt();
        if (recordCount > 0) {
            throw new IllegalStateException(what + " must be set before the first append");
        }
    }
}
