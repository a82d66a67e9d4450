package io.tributary.record;

/**
 * The record batch format, version 2 (magic 2): Kafka's {@code DefaultRecordBatch} layout, byte
 * for byte. This Javadoc is the specification; {@code record/FORMAT.md} is the overview.
 *
 * <h2>Batch</h2>
 * All integers are big-endian two's complement unless marked varint.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    baseOffset (int64) @0                      |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                   batchLength (int32) @8                      |  bytes after this field
 *  +---------------------------------------------------------------+
 *  |              partitionLeaderEpoch (int32) @12                 |
 *  +---------------+-----------------------------------------------+
 *  | magic (int8)  |           crc (uint32) @17 ...                |
 *  |     @16       |                                               |
 *  +---------------+---------------+-------------------------------+  ---- CRC32C covers
 *  | ... crc       |   attributes (int16) @21      |               |       from here
 *  +---------------+-------------------------------+               |
 *  |                 lastOffsetDelta (int32) @23                   |
 *  +---------------------------------------------------------------+
 *  |                 baseTimestamp (int64) @27                     |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                 maxTimestamp (int64) @35                      |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                 producerId (int64) @43                        |
 *  |                                                               |
 *  +-------------------------------+-------------------------------+
 *  |  producerEpoch (int16) @51    |  baseSequence (int32) @53 ... |
 *  +-------------------------------+-------------------------------+
 *  |  ... baseSequence             |  recordCount (int32) @57 ...  |
 *  +-------------------------------+-------------------------------+
 *  |  ... recordCount              |  records @61 ...              |
 *  +-------------------------------+                               |
 *  |      recordCount records, or, when compressed, one stream     |
 *  |      of the codec holding them                                |  ---- to the end
 *  +---------------------------------------------------------------+       of the batch
 * </pre>
 * The batch occupies {@code batchLength + LOG_OVERHEAD} bytes; {@code LOG_OVERHEAD} (12) is the
 * baseOffset and batchLength fields, which log readers need to find the next batch.
 *
 * <h2>CRC coverage</h2>
 * {@code crc} is the CRC32C (Castagnoli, {@link java.util.zip.CRC32C}) of the bytes from
 * {@link #ATTRIBUTES_OFFSET} (21) up to and excluding {@code batchLength + LOG_OVERHEAD}, the end
 * of the batch: attributes, all header fields after them, and the (possibly compressed) records.
 * It is stored as an unsigned 32-bit value. Not covered: baseOffset, batchLength,
 * partitionLeaderEpoch, magic and the crc itself; so a broker may stamp the base offset and leader
 * epoch without recomputing it. Changing the timestamp type or max timestamp does require it.
 *
 * <h2>Attributes (int16)</h2>
 * <pre>
 *  bits 0-2  compression codec: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd (5-7 invalid)
 *  bit  3    timestamp type: 0 create time, 1 log-append time
 *  bit  4    isTransactional
 *  bit  5    isControl (the batch holds control records, e.g. transaction markers)
 *  bit  6    hasDeleteHorizonMs (baseTimestamp is the compaction delete horizon)
 *  bits 7-15 unused, written as 0
 * </pre>
 *
 * <h2>Header field meanings</h2>
 * <ul>
 *   <li>{@code lastOffsetDelta}: offset of the last record minus baseOffset; kept by compaction
 *       even if the last records were removed, so it is {@code >= recordCount - 1}.</li>
 *   <li>{@code baseTimestamp}: timestamp of the first record (or the delete horizon, bit 6);
 *       {@code maxTimestamp}: largest record timestamp, or the log-append time (bit 3).</li>
 *   <li>{@code producerId}/{@code producerEpoch}/{@code baseSequence}: idempotent/transactional
 *       producer state, or {@link #NO_PRODUCER_ID}/{@link #NO_PRODUCER_EPOCH}/{@link #NO_SEQUENCE}.
 *       Record {@code i}'s sequence is {@code baseSequence + offsetDelta} (wrapping to 0 past
 *       Integer.MAX_VALUE).</li>
 * </ul>
 *
 * <h2>Record</h2>
 * Records are packed back to back. "varint" is a zigzag-encoded base-128 varint (as protobuf
 * {@code sint32}, at most 5 bytes), "varlong" the 64-bit form (at most 10 bytes).
 * <pre>
 *  length          varint   bytes of the record after this field
 *  attributes      int8     unused, 0
 *  timestampDelta  varlong  timestamp - baseTimestamp
 *  offsetDelta     varint   offset - baseOffset
 *  keyLength       varint   -1 for a null key
 *  key             byte[keyLength]
 *  valueLength     varint   -1 for a null value
 *  value           byte[valueLength]
 *  headerCount     varint
 *  headers         headerCount times:
 *      headerKeyLength    varint  (>= 0)
 *      headerKey          UTF-8 byte[headerKeyLength]
 *      headerValueLength  varint  -1 for a null value
 *      headerValue        byte[headerValueLength]
 * </pre>
 *
 * <h2>Compression</h2>
 * With a codec other than none, everything from {@link #RECORDS_OFFSET} to the end of the batch is
 * one stream of that codec whose uncompressed content is the records above. The header, including
 * recordCount, stays uncompressed.
 *
 * <h2>Versions</h2>
 * The magic byte at {@link #MAGIC_OFFSET} is the version. Only {@link #MAGIC} 2 is accepted;
 * Kafka's magic 0 and 1 (message sets) are refused with {@link InvalidRecordBatchException.Reason#BAD_MAGIC}.
 *
 * <p>Thread-safety: constants only.
 */
public final class RecordBatchFormat {

    /** Magic 2: Kafka 0.11's record batch (KIP-98), varint records, headers, CRC32C. */
    public static final byte MAGIC = 2;

    public static final int BASE_OFFSET_OFFSET = 0;
    public static final int BASE_OFFSET_LENGTH = 8;
    public static final int LENGTH_OFFSET = BASE_OFFSET_OFFSET + BASE_OFFSET_LENGTH;
    public static final int LENGTH_LENGTH = 4;
    public static final int PARTITION_LEADER_EPOCH_OFFSET = LENGTH_OFFSET + LENGTH_LENGTH;
    public static final int PARTITION_LEADER_EPOCH_LENGTH = 4;
    public static final int MAGIC_OFFSET = PARTITION_LEADER_EPOCH_OFFSET + PARTITION_LEADER_EPOCH_LENGTH;
    public static final int MAGIC_LENGTH = 1;
    public static final int CRC_OFFSET = MAGIC_OFFSET + MAGIC_LENGTH;
    public static final int CRC_LENGTH = 4;
    public static final int ATTRIBUTES_OFFSET = CRC_OFFSET + CRC_LENGTH;
    public static final int ATTRIBUTES_LENGTH = 2;
    public static final int LAST_OFFSET_DELTA_OFFSET = ATTRIBUTES_OFFSET + ATTRIBUTES_LENGTH;
    public static final int LAST_OFFSET_DELTA_LENGTH = 4;
    public static final int BASE_TIMESTAMP_OFFSET = LAST_OFFSET_DELTA_OFFSET + LAST_OFFSET_DELTA_LENGTH;
    public static final int BASE_TIMESTAMP_LENGTH = 8;
    public static final int MAX_TIMESTAMP_OFFSET = BASE_TIMESTAMP_OFFSET + BASE_TIMESTAMP_LENGTH;
    public static final int MAX_TIMESTAMP_LENGTH = 8;
    public static final int PRODUCER_ID_OFFSET = MAX_TIMESTAMP_OFFSET + MAX_TIMESTAMP_LENGTH;
    public static final int PRODUCER_ID_LENGTH = 8;
    public static final int PRODUCER_EPOCH_OFFSET = PRODUCER_ID_OFFSET + PRODUCER_ID_LENGTH;
    public static final int PRODUCER_EPOCH_LENGTH = 2;
    public static final int BASE_SEQUENCE_OFFSET = PRODUCER_EPOCH_OFFSET + PRODUCER_EPOCH_LENGTH;
    public static final int BASE_SEQUENCE_LENGTH = 4;
    public static final int RECORDS_COUNT_OFFSET = BASE_SEQUENCE_OFFSET + BASE_SEQUENCE_LENGTH;
    public static final int RECORDS_COUNT_LENGTH = 4;
    public static final int RECORDS_OFFSET = RECORDS_COUNT_OFFSET + RECORDS_COUNT_LENGTH;

    /** Bytes before the batchLength count starts: baseOffset + batchLength. */
    public static final int LOG_OVERHEAD = LENGTH_OFFSET + LENGTH_LENGTH;
    /** Size of a batch with no records: the header. */
    public static final int RECORD_BATCH_OVERHEAD = RECORDS_OFFSET;
    /** Smallest legal batchLength value. */
    public static final int MIN_BATCH_LENGTH = RECORD_BATCH_OVERHEAD - LOG_OVERHEAD;
    /** Bytes from the start of the batch up to and including magic: enough to tell the version. */
    public static final int HEADER_SIZE_UP_TO_MAGIC = MAGIC_OFFSET + MAGIC_LENGTH;

    public static final short COMPRESSION_CODEC_MASK = 0x07;
    public static final short TIMESTAMP_TYPE_MASK = 0x08;
    public static final short TRANSACTIONAL_FLAG_MASK = 0x10;
    public static final short CONTROL_FLAG_MASK = 0x20;
    public static final short DELETE_HORIZON_FLAG_MASK = 0x40;

    public static final int NO_PARTITION_LEADER_EPOCH = -1;
    public static final long NO_PRODUCER_ID = -1L;
    public static final short NO_PRODUCER_EPOCH = -1;
    public static final int NO_SEQUENCE = -1;
    public static final long NO_TIMESTAMP = -1L;

    /** Smallest possible record: 1-byte length, attributes, and five 1-byte varints. */
    public static final int MIN_RECORD_SIZE = 7;

    private RecordBatchFormat() {
    }
}
