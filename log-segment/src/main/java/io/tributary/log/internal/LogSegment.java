package io.tributary.log.internal;

import io.tributary.log.CorruptLogException;
import io.tributary.log.FileChannelProvider;
import io.tributary.record.InvalidRecordBatchException;
import io.tributary.record.RecordBatch;
import io.tributary.record.RecordBatchFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static io.tributary.record.RecordBatchFormat.LOG_OVERHEAD;
import static io.tributary.record.RecordBatchFormat.RECORD_BATCH_OVERHEAD;

/**
 * One segment of a partition's log: a {@code .log} file of record batches back to back, named by
 * the offset of its first record, with its sparse {@link OffsetIndex} and {@link TimeIndex}.
 *
 * <p>Only the active (last) segment is appended to. Appends write the batch bytes with a
 * positional write, add index entries, then publish the new size and end offset through volatile
 * fields; readers never look past the published size, so they never see a partial batch.
 *
 * <p>Life cycle: a segment is reference counted. Its owner (the log) holds one reference; a reader
 * takes one for the duration of a read with {@link #tryRetain()}. Deleting or replacing a segment
 * drops the owner's reference, and the last release closes the file channel and unmaps the
 * indexes, so a reader never touches an unmapped index.
 *
 * <p>Thread-safety: one writer thread (append, truncate, roll, flush), any number of reader
 * threads (read, lookups).
 */
public final class LogSegment {
    private static final Logger LOG = LoggerFactory.getLogger(LogSegment.class);

    /** Bytes of a batch header a scan reads: up to and including the record count. */
    static final int HEADER_BYTES = RECORD_BATCH_OVERHEAD;

    /** How much of the file a recovery or tail scan reads at a time. */
    static final int SCAN_CHUNK_BYTES = 1 << 20;

    private final long baseOffset;
    private volatile Path logFile;
    private final FileChannel channel;
    private final OffsetIndex offsetIndex;
    private final TimeIndex timeIndex;
    private final int indexIntervalBytes;
    private final AtomicInteger refs = new AtomicInteger(1);
    private volatile boolean deleteOnClose;

    /** Bytes readers may see: the end of the last whole batch. */
    private volatile int size;
    /** Offset after the last record, or the base offset when empty. */
    private volatile long nextOffset;
    /** Largest batch max timestamp, or -1 (no timestamp) when empty. */
    private volatile long maxTimestamp = RecordBatchFormat.NO_TIMESTAMP;
    /** Log bytes appended since the last offset index entry. Writer only. */
    private int bytesSinceLastIndexEntry;
    /** When the segment started taking appends, for {@code segment.ms}. */
    private volatile long createdMs;

    private LogSegment(long baseOffset, Path logFile, FileChannel channel, OffsetIndex offsetIndex,
                       TimeIndex timeIndex, int indexIntervalBytes, long createdMs) {
        this.baseOffset = baseOffset;
        this.logFile = logFile;
        this.channel = channel;
        this.offsetIndex = offsetIndex;
        this.timeIndex = timeIndex;
        this.indexIntervalBytes = indexIntervalBytes;
        this.nextOffset = baseOffset;
        this.createdMs = createdMs;
    }

    /** Creates the files of a new, empty, active segment (replacing stale files of that name). */
    public static LogSegment create(Path dir, long baseOffset, int maxIndexBytes, int indexIntervalBytes,
                                    FileChannelProvider channels, long nowMs) throws IOException {
        Path log = LogFiles.logFile(dir, baseOffset);
        Files.deleteIfExists(LogFiles.offsetIndexFile(dir, baseOffset));
        Files.deleteIfExists(LogFiles.timeIndexFile(dir, baseOffset));
        FileChannel ch = channels.open(log, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        return withIndexes(dir, baseOffset, log, ch, maxIndexBytes, indexIntervalBytes, true, nowMs);
    }

    /**
     * Opens an existing segment. Its size and end offset are not known until
     * {@link #loadTail()} or {@link #recover} has run.
     *
     * @param active whether it will take appends (its indexes are mapped writable)
     */
    public static LogSegment open(Path dir, long baseOffset, int maxIndexBytes, int indexIntervalBytes,
                                  FileChannelProvider channels, boolean active, long nowMs) throws IOException {
        Path log = LogFiles.logFile(dir, baseOffset);
        FileChannel ch = channels.open(log, StandardOpenOption.READ, StandardOpenOption.WRITE);
        return withIndexes(dir, baseOffset, log, ch, maxIndexBytes, indexIntervalBytes, active, nowMs);
    }

    /** Opens a segment whose files carry a lifecycle suffix (compaction output). */
    static LogSegment openFiles(Path log, Path index, Path timeIndex, long baseOffset, int maxIndexBytes,
                                int indexIntervalBytes, FileChannelProvider channels, boolean create,
                                long nowMs) throws IOException {
        FileChannel ch = create
                ? channels.open(log, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE)
                : channels.open(log, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            OffsetIndex oi = new OffsetIndex(index, baseOffset, maxIndexBytes, true);
            TimeIndex ti = new TimeIndex(timeIndex, baseOffset, maxIndexBytes, true);
            return new LogSegment(baseOffset, log, ch, oi, ti, indexIntervalBytes, nowMs);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static LogSegment withIndexes(Path dir, long baseOffset, Path log, FileChannel ch, int maxIndexBytes,
                                          int indexIntervalBytes, boolean writable, long nowMs) throws IOException {
        OffsetIndex oi = null;
        try {
            oi = new OffsetIndex(LogFiles.offsetIndexFile(dir, baseOffset), baseOffset, maxIndexBytes, writable);
            TimeIndex ti = new TimeIndex(LogFiles.timeIndexFile(dir, baseOffset), baseOffset, maxIndexBytes, writable);
            return new LogSegment(baseOffset, log, ch, oi, ti, indexIntervalBytes, nowMs);
        } catch (IOException | RuntimeException e) {
            if (oi != null) {
                oi.close();
            }
            ch.close();
            throw e;
        }
    }

    public long baseOffset() {
        return baseOffset;
    }

    public Path logFile() {
        return logFile;
    }

    public int size() {
        return size;
    }

    public long nextOffset() {
        return nextOffset;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    public long maxTimestamp() {
        return maxTimestamp;
    }

    public long createdMs() {
        return createdMs;
    }

    public OffsetIndex offsetIndex() {
        return offsetIndex;
    }

    public TimeIndex timeIndex() {
        return timeIndex;
    }

    /** Whether the indexes have room for {@code batches} more entries each. */
    public boolean indexesHaveRoomFor(int batches) {
        return offsetIndex.entries() + batches < offsetIndex.maxEntries()
                && timeIndex.entries() + batches < timeIndex.maxEntries();
    }

    // ---------------------------------------------------------------- life cycle

    /** Takes a reader's reference; false when the segment has been closed or replaced. */
    public boolean tryRetain() {
        for (;;) {
            int r = refs.get();
            if (r <= 0) {
                return false;
            }
            if (refs.compareAndSet(r, r + 1)) {
                return true;
            }
        }
    }

    /** Drops a reference; the last one closes the files (and deletes them if so marked). */
    public void release() {
        int r = refs.decrementAndGet();
        if (r == 0) {
            closeResources();
        } else if (r < 0) {
            throw new IllegalStateException("segment " + logFile + " released more often than retained");
        }
    }

    private void closeResources() {
        try {
            try {
                channel.close();
            } finally {
                try {
                    offsetIndex.close();
                } finally {
                    timeIndex.close();
                }
            }
            if (deleteOnClose) {
                Files.deleteIfExists(logFile);
                Files.deleteIfExists(offsetIndex.file());
                Files.deleteIfExists(timeIndex.file());
            }
        } catch (IOException e) {
            LOG.warn("Failed to close segment {}: {}", logFile, e.toString());
        }
    }

    /**
     * Renames the files with {@code .deleted} and drops the owner's reference: the files go when
     * the last reader lets go.
     */
    public void markDeletedAndRelease() throws IOException {
        renameTo(LogFiles.DELETED_SUFFIX);
        deleteOnClose = true;
        release();
    }

    /**
     * Renames every file of the segment to its canonical name plus {@code suffix} ("" for the
     * canonical name), replacing files of those names. The indexes go first and the {@code .log}
     * last, so a {@code .log.swap} on disk means its indexes were renamed before it (recovery
     * completes such a swap). Open channels and mappings keep working across the rename.
     */
    public void renameTo(String suffix) throws IOException {
        Path dir = logFile.getParent();
        Path log = LogFiles.withSuffix(LogFiles.logFile(dir, baseOffset), suffix);
        Path idx = LogFiles.withSuffix(LogFiles.offsetIndexFile(dir, baseOffset), suffix);
        Path tidx = LogFiles.withSuffix(LogFiles.timeIndexFile(dir, baseOffset), suffix);
        if (!offsetIndex.file().equals(idx)) {
            offsetIndex.renameTo(idx);
        }
        if (!timeIndex.file().equals(tidx)) {
            timeIndex.renameTo(tidx);
        }
        if (!logFile.equals(log)) {
            // Replacing: a compacted segment's base offset is reused, so an older .deleted copy a slow
            // reader still holds may carry the name (the reader keeps its open file).
            Files.move(logFile, log, StandardCopyOption.REPLACE_EXISTING);
            logFile = log;
        }
    }

    /**
     * Drops the owner's reference of a segment no reader ever saw (an abandoned compaction output)
     * and deletes its files, under whatever names they have now.
     */
    public void releaseAndDeleteFiles() {
        deleteOnClose = true;
        release();
    }

    /**
     * Drops the owner's reference (the log is closing). A segment still taking appends first gets
     * the final time index entry a roll would give it (as Kafka's {@code LogSegment.close}), so the
     * next open learns its largest timestamp without reading it, and can tell that its time index
     * was not cut short (see {@link #recover}).
     */
    public void closeAsOwner() {
        if (size > 0 && timeIndex.isWritable() && !timeIndex.isFull()) {
            timeIndex.appendFinal(maxTimestamp, nextOffset);
        }
        release();
    }

    // ---------------------------------------------------------------- append

    /**
     * Appends validated batches whose offsets are already assigned.
     *
     * @param batches the batches back to back, from position to limit (not consumed)
     * @param infos one entry per batch, in order
     * @throws IOException when the write fails; nothing is published then
     */
    public void append(ByteBuffer batches, List<BatchInfo> infos) throws IOException {
        int start = size;
        int length = batches.remaining();
        if ((long) start + length > Integer.MAX_VALUE) {
            throw new IllegalStateException("segment " + logFile + " would exceed 2 GiB");
        }
        try {
            writeFully(batches.duplicate(), start);
        } catch (IOException e) {
            // Best effort: cut what reached the file, or whole batches of this failed (unacknowledged)
            // append would be recovered as data at the next open.
            try {
                channel.truncate(start);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        long maxTs = maxTimestamp;
        for (BatchInfo info : infos) {
            int position = start + info.relativePosition();
            indexBatch(info.baseOffset(), position, info.sizeInBytes(), maxTs);
            maxTs = Math.max(maxTs, info.maxTimestamp());
        }
        BatchInfo last = infos.get(infos.size() - 1);
        maxTimestamp = maxTs;
        nextOffset = last.lastOffset() + 1;
        size = start + length; // publish last: readers bound their reads by size
    }

    private void indexBatch(long batchBaseOffset, int position, int batchSize, long maxTimestampBefore) {
        if (bytesSinceLastIndexEntry > indexIntervalBytes && position > 0) {
            offsetIndex.append(batchBaseOffset, position);
            if (maxTimestampBefore >= 0) {
                timeIndex.maybeAppend(maxTimestampBefore, batchBaseOffset);
            }
            bytesSinceLastIndexEntry = 0;
        }
        bytesSinceLastIndexEntry += batchSize;
    }

    private void writeFully(ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int n = channel.write(buf, pos);
            if (n <= 0 && buf.hasRemaining()) {
                // A channel that accepts nothing would spin forever: treat it as a failed write.
                throw new IOException("write to " + logFile + " at position " + pos + " made no progress");
            }
            pos += n;
        }
    }

    /** Forces the log bytes and the index entries to disk. */
    public void flush() throws IOException {
        channel.force(false);
        offsetIndex.flush();
        timeIndex.flush();
    }

    /**
     * The segment stops taking appends: its time index gets its final entry, its indexes are cut to
     * their entries, and everything is forced to disk.
     */
    public void onBecomeInactive() throws IOException {
        if (size > 0 && timeIndex.isWritable() && !timeIndex.isFull()) {
            timeIndex.appendFinal(maxTimestamp, nextOffset);
        }
        channel.force(false);
        offsetIndex.trimToValidSize();
        timeIndex.trimToValidSize();
    }

    // ---------------------------------------------------------------- scanning

    /** A batch header read from the file. */
    record FileBatch(int position, long baseOffset, int sizeInBytes, long lastOffset, long maxTimestamp,
                     byte magic) {
        long nextOffset() {
            return lastOffset + 1;
        }

        int end() {
            return position + sizeInBytes;
        }
    }

    /**
     * Reads the header of the batch at {@code position}, or returns null when fewer than a whole
     * header's bytes remain before {@code limit}, or when the header is not plausible (bad length
     * or magic, or the batch would cross {@code limit}). The CRC is not checked.
     */
    FileBatch readHeader(int position, int limit, ByteBuffer scratch) throws IOException {
        if (limit - position < HEADER_BYTES) {
            return null;
        }
        scratch.clear().limit(HEADER_BYTES);
        readFully(scratch, position);
        return parseHeader(scratch, 0, position, limit);
    }

    /** {@link #readHeader(int, int, ByteBuffer)} for a sequential scan, served from {@code window}. */
    FileBatch readHeader(int position, int limit, ScanWindow window) throws IOException {
        if (limit - position < HEADER_BYTES) {
            return null;
        }
        int at = window.load(position, HEADER_BYTES, limit);
        return parseHeader(window.buffer(), at, position, limit);
    }

    /** The header at {@code at} in {@code buf}, of a batch at file {@code position}; null if implausible. */
    private static FileBatch parseHeader(ByteBuffer buf, int at, int position, int limit) {
        long base = buf.getLong(at + RecordBatchFormat.BASE_OFFSET_OFFSET);
        int batchLength = buf.getInt(at + RecordBatchFormat.LENGTH_OFFSET);
        byte magic = buf.get(at + RecordBatchFormat.MAGIC_OFFSET);
        if (batchLength < RecordBatchFormat.MIN_BATCH_LENGTH || magic != RecordBatchFormat.MAGIC) {
            return null;
        }
        long sizeInBytes = (long) batchLength + LOG_OVERHEAD;
        if (position + sizeInBytes > limit) {
            return null;
        }
        int lastDelta = buf.getInt(at + RecordBatchFormat.LAST_OFFSET_DELTA_OFFSET);
        long maxTs = buf.getLong(at + RecordBatchFormat.MAX_TIMESTAMP_OFFSET);
        return new FileBatch(position, base, (int) sizeInBytes, base + lastDelta, maxTs, magic);
    }

    /**
     * A window onto the segment file for a recovery scan, which moves forward through the whole
     * unflushed part of a segment: it reads {@link #SCAN_CHUNK_BYTES} at a time into one reused
     * buffer, so a walk costs one read per chunk instead of one per batch header (3-5 times faster
     * on a segment whose pages are not cached, as after a power loss). The tail walk after a clean
     * stop ({@link #loadTail}) covers at most an index interval and keeps reading headers only.
     * Not thread-safe; one per scan.
     */
    final class ScanWindow {
        private final ByteBuffer buf = ByteBuffer.allocate(SCAN_CHUNK_BYTES);
        private long start = -1;
        private int length;

        ByteBuffer buffer() {
            return buf;
        }

        /** Whether {@code len} bytes fit in the window at all. */
        boolean fits(int len) {
            return len <= buf.capacity();
        }

        /**
         * Makes the file bytes {@code [position, position + len)} (all before {@code limit})
         * available in {@link #buffer()}, and returns the index where they start there.
         */
        int load(int position, int len, int limit) throws IOException {
            if (start >= 0 && position >= start && position + len <= start + length) {
                return (int) (position - start);
            }
            int toRead = Math.min(buf.capacity(), limit - position);
            if (toRead < len) {
                throw new IllegalArgumentException("cannot load " + len + " bytes at " + position + " before " + limit);
            }
            buf.clear().limit(toRead);
            readFully(buf, position);
            start = position;
            length = toRead;
            return 0;
        }
    }

    private void readFully(ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int n = channel.read(buf, pos);
            if (n < 0) {
                throw new EOFException("end of " + logFile + " at position " + pos);
            }
            pos += n;
        }
        buf.flip();
    }

    /**
     * Position of the first batch whose last offset is at or after {@code offset}, searching from
     * the index entry at or below it; -1 when no such batch lies before {@code limit}.
     */
    FileBatch findBatch(long offset, int limit, ByteBuffer scratch) throws IOException {
        OffsetPosition entry = offsetIndex.lookup(offset);
        int position = entry.position();
        if (position >= limit) {
            return null;
        }
        boolean atEntry = position > 0;
        while (true) {
            FileBatch batch = readHeader(position, limit, scratch);
            if (atEntry) {
                atEntry = false;
                if (batch == null || batch.baseOffset() != entry.offset()) {
                    // The index is derived data and this entry does not point at its batch: starting
                    // there could skip records. Scan from the start of the segment instead.
                    LOG.warn("Offset index {} entry {} does not match the log; scanning {} from the start",
                            offsetIndex.file(), entry, logFile);
                    position = 0;
                    continue;
                }
            }
            if (batch == null) {
                if (position < limit) {
                    throw new CorruptLogException(logFile, position,
                            "no valid batch header while looking for offset " + offset, null);
                }
                return null;
            }
            if (batch.lastOffset() >= offset) {
                return batch;
            }
            position = batch.end();
        }
    }

    // ---------------------------------------------------------------- read

    /**
     * Reads whole batches starting with the one that holds {@code startOffset}, up to
     * {@code maxBytes} (at least one whole batch when {@code minOneBatch}), stopping before any
     * batch that reaches {@code maxOffset} (exclusive).
     *
     * @return the batches (possibly empty), or null when this segment holds no record from
     *     {@code startOffset} up to {@code maxOffset}: it lies beyond the segment, or (in a compacted
     *     log) in a gap before a batch that starts at or after {@code maxOffset}
     * @throws CorruptLogException when a batch in range fails its check
     */
    public ByteBuffer read(long startOffset, int maxBytes, long maxOffset, boolean minOneBatch, boolean verifyCrc)
            throws IOException {
        int limit = size;
        ByteBuffer scratch = ByteBuffer.allocate(HEADER_BYTES);
        FileBatch first = findBatch(startOffset, limit, scratch);
        if (first == null) {
            return null;
        }
        if (first.nextOffset() > maxOffset) {
            return first.baseOffset() >= maxOffset ? null : ByteBuffer.allocate(0);
        }
        int want = Math.min(limit - first.position(), Math.max(maxBytes, minOneBatch ? first.sizeInBytes() : 0));
        if (want < first.sizeInBytes()) {
            return ByteBuffer.allocate(0);
        }
        ByteBuffer buf = ByteBuffer.allocate(want);
        readFully(buf, first.position());
        // Keep whole batches below maxOffset; cut the rest.
        int end = 0;
        while (buf.limit() - end >= LOG_OVERHEAD) {
            int batchSize = buf.getInt(end + RecordBatchFormat.LENGTH_OFFSET) + LOG_OVERHEAD;
            if (batchSize < RECORD_BATCH_OVERHEAD) {
                throw new CorruptLogException(logFile, (long) first.position() + end,
                        "batch length " + (batchSize - LOG_OVERHEAD) + " is below the minimum", null);
            }
            if (end + (long) batchSize > buf.limit()) {
                break;
            }
            long base = buf.getLong(end + RecordBatchFormat.BASE_OFFSET_OFFSET);
            long last = base + buf.getInt(end + RecordBatchFormat.LAST_OFFSET_DELTA_OFFSET);
            if (last >= maxOffset) {
                break;
            }
            if (verifyCrc) {
                ByteBuffer view = buf.duplicate();
                view.position(end).limit(end + batchSize);
                try {
                    RecordBatch.wrap(view).validate();
                } catch (InvalidRecordBatchException e) {
                    throw new CorruptLogException(logFile, (long) first.position() + end, e.getMessage(), e);
                }
            }
            end += batchSize;
        }
        buf.position(0).limit(end);
        return buf.slice();
    }

    /**
     * The offset and timestamp of the first record whose timestamp is at or after
     * {@code timestamp}, or null when no record of this segment reaches it.
     */
    public long[] findOffsetByTimestamp(long timestamp, long startingOffset) throws IOException {
        int limit = size;
        ByteBuffer scratch = ByteBuffer.allocate(HEADER_BYTES);
        long from = Math.max(startingOffset, timeIndex.lookup(timestamp));
        FileBatch batch = findBatch(from, limit, scratch);
        while (batch != null) {
            if (batch.maxTimestamp() >= timestamp) {
                ByteBuffer buf = ByteBuffer.allocate(batch.sizeInBytes());
                readFully(buf, batch.position());
                RecordBatch rb = RecordBatch.wrap(buf);
                try {
                    rb.validate();
                } catch (InvalidRecordBatchException e) {
                    throw new CorruptLogException(logFile, batch.position(), e.getMessage(), e);
                }
                for (var it = rb.records(); it.hasNext(); ) {
                    var record = it.next();
                    if (record.timestamp() >= timestamp && record.offset() >= startingOffset) {
                        return new long[] {record.offset(), record.timestamp()};
                    }
                }
                if (rb.timestampType() == io.tributary.record.TimestampType.LOG_APPEND_TIME
                        && batch.lastOffset() >= startingOffset) {
                    return new long[] {Math.max(batch.baseOffset(), startingOffset), batch.maxTimestamp()};
                }
            }
            batch = readHeader(batch.end(), limit, scratch);
        }
        return null;
    }

    // ---------------------------------------------------------------- recovery

    /**
     * Finds the segment's end after a clean stop or for a segment known flushed: walks batch headers
     * from the last offset index entry, without CRC checks. A header that does not parse ends the
     * walk early; {@link #recover} then handles the segment instead. So does an offset index that
     * lacks entries the appends would have written (a missing or cut-short {@code .index}).
     *
     * @return true when the whole file was walked cleanly and the offset index is complete
     */
    public boolean loadTail() throws IOException {
        long fileSize = channel.size();
        if (fileSize > Integer.MAX_VALUE) {
            throw new IOException("segment " + logFile + " is larger than 2 GiB (" + fileSize + " bytes)");
        }
        int limit = (int) fileSize;
        OffsetPosition entry = offsetIndex.lastEntry();
        ByteBuffer scratch = ByteBuffer.allocate(HEADER_BYTES);
        long maxTs = maxTimestampBeforeIndexEntry(entry);
        int position = entry.position();
        long next = entry.position() == 0 ? baseOffset : entry.offset();
        boolean entryChecked = entry.position() == 0;
        // The appends wrote an entry for the first batch more than index.interval.bytes past the last
        // one (see indexBatch). The spacing of the last two entries bounds the interval the file was
        // written with, so a smaller interval configured since does not make every segment look damaged.
        int entries = offsetIndex.entries();
        int allowedGap = indexIntervalBytes;
        if (entries > 0) {
            int previous = entries > 1 ? offsetIndex.entry(entries - 2).position() : 0;
            allowedGap = Math.max(allowedGap, entry.position() - previous);
        }
        while (true) {
            FileBatch batch = readHeader(position, limit, scratch);
            if (batch == null) {
                break;
            }
            if (!entryChecked) {
                if (batch.baseOffset() != entry.offset()) {
                    return false;
                }
                entryChecked = true;
            }
            if (batch.position() - entry.position() > allowedGap) {
                return false; // the index lacks entries the appends wrote: missing or cut short
            }
            maxTs = Math.max(maxTs, batch.maxTimestamp());
            next = batch.nextOffset();
            position = batch.end();
        }
        if (!entryChecked) {
            return false;
        }
        publishRecovered(position, next, maxTs, entry.position());
        return position == limit;
    }

    private long maxTimestampBeforeIndexEntry(OffsetPosition entry) {
        TimeIndex.TimestampOffsetEntry last = timeIndex.lastEntry();
        if (last == null || entry.position() == 0) {
            return RecordBatchFormat.NO_TIMESTAMP;
        }
        return last.timestamp();
    }

    private void publishRecovered(int position, long next, long maxTs, int lastIndexPosition) {
        bytesSinceLastIndexEntry = position - lastIndexPosition;
        maxTimestamp = maxTs;
        nextOffset = next;
        size = position;
    }

    /** The end offset and the largest timestamp a closed segment's final time index entry records. */
    public boolean finalTimeIndexEntryMatches() {
        TimeIndex.TimestampOffsetEntry last = timeIndex.lastEntry();
        return size == 0 || (last != null && last.offset() == nextOffset);
    }

    /** The outcome of {@link #recover}. */
    public record RecoveryResult(int validBytes, int truncatedBytes, boolean tornTail, String problem) {
    }

    /**
     * Validates every batch from the one holding {@code fromOffset} to the end of the file (CRC
     * included), rebuilds the index entries for them, and truncates the file after the last valid
     * batch. Batches below {@code fromOffset} are trusted (known flushed) and only walked.
     */
    public RecoveryResult recover(long fromOffset) throws IOException {
        long fileSize = channel.size();
        if (fileSize > Integer.MAX_VALUE) {
            throw new IOException("segment " + logFile + " is larger than 2 GiB (" + fileSize + " bytes)");
        }
        int limit = (int) fileSize;
        ByteBuffer scratch = ByteBuffer.allocate(HEADER_BYTES);
        ScanWindow window = new ScanWindow();

        // Start from the index entry at or below fromOffset, if it really points at that batch.
        OffsetPosition entry = offsetIndex.lookup(fromOffset);
        if (entry.position() > 0) {
            FileBatch atEntry = entry.position() < limit ? readHeader(entry.position(), limit, scratch) : null;
            if (atEntry == null || atEntry.baseOffset() != entry.offset()) {
                LOG.warn("Offset index {} entry {} does not match the log; rebuilding the index from the start",
                        offsetIndex.file(), entry);
                entry = new OffsetPosition(baseOffset, 0);
            }
        }
        // The time index gives the largest timestamp before the entry only if it was not cut short.
        // Evidence that it was not: an entry past the starting one (such as the final entry a clean
        // close writes). Without it, walk the batch headers before the entry (after an unclean stop).
        long maxTsBeforeEntry = RecordBatchFormat.NO_TIMESTAMP;
        boolean walkedBeforeEntry = false;
        TimeIndex.TimestampOffsetEntry lastTimeEntry = timeIndex.lastEntry();
        if (entry.position() > 0 && (lastTimeEntry == null || lastTimeEntry.offset() <= entry.offset())) {
            maxTsBeforeEntry = maxTimestampOfBatchesBefore(entry.position(), window);
            if (maxTsBeforeEntry == Long.MIN_VALUE) {
                LOG.warn("Batches of {} before its offset index entry {} do not parse; rescanning from the start",
                        logFile, entry);
                entry = new OffsetPosition(baseOffset, 0);
            } else {
                walkedBeforeEntry = true;
            }
        }
        if (entry.position() == 0) {
            offsetIndex.reset();
            timeIndex.reset();
        } else {
            offsetIndex.truncateToPosition(entry.position() + 1);
            timeIndex.truncateToOffset(entry.offset() + 1);
        }
        // State as it was right after the entry was written: nothing appended since it.
        long maxTs = walkedBeforeEntry ? maxTsBeforeEntry : maxTimestampBeforeIndexEntry(entry);
        bytesSinceLastIndexEntry = 0;
        int position = entry.position();
        long next = entry.position() == 0 ? baseOffset : entry.offset();
        String problem = null;
        boolean torn = true;
        while (position < limit) {
            FileBatch batch = readHeader(position, limit, window);
            if (batch == null) {
                problem = describeBadHeader(position, limit, scratch);
                torn = isTornHeader(position, limit, scratch);
                break;
            }
            if (batch.baseOffset() < next) {
                problem = "batch base offset " + batch.baseOffset() + " is below the previous end offset " + next;
                torn = false;
                break;
            }
            if (batch.nextOffset() > fromOffset) {
                // Beyond the recovery point: the bytes may never have reached the disk whole.
                ByteBuffer buf;
                if (window.fits(batch.sizeInBytes())) {
                    int at = window.load(position, batch.sizeInBytes(), limit);
                    buf = window.buffer().slice(at, batch.sizeInBytes());
                } else {
                    buf = ByteBuffer.allocate(batch.sizeInBytes());
                    readFully(buf, position);
                }
                try {
                    RecordBatch.wrap(buf).validate();
                } catch (InvalidRecordBatchException e) {
                    problem = e.getMessage();
                    torn = batch.end() == limit; // a bad last batch is a torn write; one followed by more data is not
                    break;
                }
            }
            indexBatch(batch.baseOffset(), batch.position(), batch.sizeInBytes(), maxTs);
            maxTs = Math.max(maxTs, batch.maxTimestamp());
            next = batch.nextOffset();
            position = batch.end();
        }
        int truncated = limit - position;
        if (truncated > 0) {
            channel.truncate(position);
            channel.force(true);
        }
        maxTimestamp = maxTs;
        nextOffset = next;
        size = position;
        return new RecoveryResult(position, truncated, torn, problem);
    }

    /**
     * The largest timestamp of the batches that end exactly at {@code end}, from their headers; or
     * {@link Long#MIN_VALUE} when the headers do not lead there.
     */
    private long maxTimestampOfBatchesBefore(int end, ScanWindow window) throws IOException {
        long maxTs = RecordBatchFormat.NO_TIMESTAMP;
        int position = 0;
        while (position < end) {
            FileBatch batch = readHeader(position, end, window);
            if (batch == null) {
                return Long.MIN_VALUE;
            }
            maxTs = Math.max(maxTs, batch.maxTimestamp());
            position = batch.end();
        }
        return maxTs;
    }

    /**
     * Whether a header that does not parse looks like an interrupted write rather than damage:
     * too few bytes left, a length running past the end of the file, or zeros (space the file
     * system allocated but the write never filled).
     */
    private boolean isTornHeader(int position, int limit, ByteBuffer scratch) throws IOException {
        int remaining = limit - position;
        if (remaining < HEADER_BYTES) {
            return true;
        }
        scratch.clear().limit(HEADER_BYTES);
        readFully(scratch, position);
        long batchLength = scratch.getInt(RecordBatchFormat.LENGTH_OFFSET);
        if (batchLength + LOG_OVERHEAD > remaining) {
            return true;
        }
        for (int i = 0; i < HEADER_BYTES; i++) {
            if (scratch.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    private String describeBadHeader(int position, int limit, ByteBuffer scratch) throws IOException {
        int remaining = limit - position;
        if (remaining < HEADER_BYTES) {
            return "only " + remaining + " bytes left, less than a batch header (" + HEADER_BYTES + ")";
        }
        scratch.clear().limit(HEADER_BYTES);
        readFully(scratch, position);
        int batchLength = scratch.getInt(RecordBatchFormat.LENGTH_OFFSET);
        byte magic = scratch.get(RecordBatchFormat.MAGIC_OFFSET);
        if (magic != RecordBatchFormat.MAGIC) {
            return "magic " + magic + ", expected " + RecordBatchFormat.MAGIC;
        }
        if (batchLength < RecordBatchFormat.MIN_BATCH_LENGTH) {
            return "batch length " + batchLength + " is below the minimum " + RecordBatchFormat.MIN_BATCH_LENGTH;
        }
        return "batch of " + ((long) batchLength + LOG_OVERHEAD) + " bytes runs past the end of the file ("
                + remaining + " bytes left)";
    }

    // ---------------------------------------------------------------- truncation

    /**
     * Removes every batch whose last offset is at or after {@code offset}. Batches are never split:
     * if {@code offset} falls inside a batch, the whole batch goes.
     *
     * @return the new end offset of the segment
     */
    public long truncateTo(long offset) throws IOException {
        int limit = size;
        ByteBuffer scratch = ByteBuffer.allocate(HEADER_BYTES);
        FileBatch batch = offset <= baseOffset ? null : findBatch(offset, limit, scratch);
        int position = offset <= baseOffset ? 0 : (batch == null ? limit : batch.position());
        if (position >= limit) {
            return nextOffset;
        }
        long newNext = position == 0 ? baseOffset : batch.baseOffset();
        // Readers are bounded by the caller's committed offset, which never exceeds the new end.
        size = position;
        offsetIndex.truncateToPosition(position);
        timeIndex.truncateToOffset(newNext);
        channel.truncate(position);
        // Forced before the log reports it: after a machine crash the removed batches (the ones a new
        // leader does not have) must not come back whole and be recovered as valid data.
        channel.force(true);
        // Recompute the tail state from the last remaining index entry.
        OffsetPosition entry = offsetIndex.lastEntry();
        long maxTs = maxTimestampBeforeIndexEntry(entry);
        int p = entry.position();
        long next = p == 0 ? baseOffset : entry.offset();
        while (true) {
            FileBatch b = readHeader(p, position, scratch);
            if (b == null) {
                break;
            }
            maxTs = Math.max(maxTs, b.maxTimestamp());
            next = b.nextOffset();
            p = b.end();
        }
        publishRecovered(position, next, maxTs, entry.position());
        return next;
    }

    /** Whether the indexes accept appends (false for a rolled segment). */
    public boolean isActiveCapable() {
        return offsetIndex.isWritable() && timeIndex.isWritable();
    }

    @Override
    public String toString() {
        return "LogSegment(" + logFile.getFileName() + ", size=" + size + ", next=" + nextOffset + ")";
    }

    /**
     * One batch of an append.
     *
     * @param relativePosition its position in the appended buffer
     * @param sizeInBytes its size
     * @param baseOffset its first offset
     * @param lastOffset its last offset
     * @param maxTimestamp its largest timestamp
     */
    public record BatchInfo(int relativePosition, int sizeInBytes, long baseOffset, long lastOffset,
                            long maxTimestamp) {
    }
}
