package io.tributary.log.internal;

import io.tributary.log.FileChannelProvider;
import io.tributary.record.Header;
import io.tributary.record.Record;
import io.tributary.record.RecordBatch;
import io.tributary.record.RecordBatchBuilder;
import io.tributary.record.RecordBatchFormat;
import io.tributary.record.RecordBatches;
import io.tributary.record.TimestampType;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;
import java.util.zip.CRC32C;

/**
 * The file work of one compaction pass over one partition directory: reading the dirty section
 * into an {@link OffsetMap}, and rewriting a closed segment into a {@code .cleaned} copy that
 * keeps only what the map and the tombstone rule allow (Kafka's {@code Cleaner}). Swapping the
 * copy in is the log's business.
 *
 * <h2>What survives</h2>
 * A record at offset {@code o} of a segment being cleaned is kept when any of these holds:
 * <ul>
 *   <li>{@code o} is at or past the offset the map covers (nothing newer is known);</li>
 *   <li>it has no key (nothing can supersede it), or it is in a control batch;</li>
 *   <li>its key is not in the map, or the map's offset for its key is at most {@code o}
 *       — and, for a tombstone (null value), it is at most {@code delete.retention.ms} old by its
 *       timestamp (by the segment file's modification time when it has none).</li>
 * </ul>
 * Offsets never change. A batch that keeps every record is copied byte for byte; one that loses
 * some is encoded again with the same base offset, last offset delta, producer id, epoch and base
 * sequence, leader epoch, compression, timestamp type and transactional flag; one that loses all
 * is dropped, except the last batch of the segment, which stays as a header without records
 * (Kafka keeps such empty batches for producer state). A segment in which nothing changes is not
 * rewritten at all.
 *
 * <p><b>Design note (why the last batch stays).</b> A cleaned segment ends at the same offset as
 * its original, so the segments stay contiguous: a truncation to a segment boundary and a
 * recovery that takes the end from the last batch give the same log end offset as before
 * cleaning. Replicas assign offsets from their own log end offset, so a tail that compaction
 * removed must never move it back. It also means a segment never ends up empty.
 *
 * <p>Every batch read is CRC-checked: corrupt data stops the pass with a
 * {@link io.tributary.log.CorruptLogException} instead of being copied.
 *
 * <p>Thread-safety: not thread-safe; one pass, one thread. The source segments are closed
 * (immutable) and retained by the caller for the whole pass.
 */
public final class SegmentCleaner {
    private final Path dir;
    private final int ioBufferBytes;
    private final int segmentIndexBytes;
    private final int indexIntervalBytes;
    private final FileChannelProvider channels;
    private final BooleanSupplier stopRequested;
    private final CleanerStats stats;

    /**
     * @param dir the partition directory
     * @param ioBufferBytes bytes read and written at a time
     * @param segmentIndexBytes the log's {@code segment.index.bytes} (the least index preallocation)
     * @param indexIntervalBytes the log's {@code index.interval.bytes}
     * @param stopRequested polled between reads; when true the pass ends with a
     *     {@link CancellationException} and leaves nothing behind
     */
    public SegmentCleaner(Path dir, int ioBufferBytes, int segmentIndexBytes, int indexIntervalBytes,
                          FileChannelProvider channels, BooleanSupplier stopRequested, CleanerStats stats) {
        this.dir = dir;
        this.ioBufferBytes = ioBufferBytes;
        this.segmentIndexBytes = segmentIndexBytes;
        this.indexIntervalBytes = indexIntervalBytes;
        this.channels = channels;
        this.stopRequested = stopRequested;
        this.stats = stats;
    }

    /**
     * How rewriting one segment ended.
     *
     * @param changed false when nothing would be dropped (no copy was written)
     * @param cleaned the forced {@code .cleaned} segment (owned by the caller), or null when nothing
     *     changed
     */
    public record Outcome(boolean changed, LogSegment cleaned) {
        static final Outcome UNCHANGED = new Outcome(false, null);
    }

    // ---------------------------------------------------------------- offset map

    /**
     * Maps the key of every keyed record in the batches from {@code firstDirtyOffset} up to
     * {@code firstUncleanableOffset}, in offset order, a whole batch at a time, until the map has
     * no room for the next batch. Control batches are skipped.
     *
     * @param segments closed segments, oldest first
     * @return the offset the map covers up to (exclusive): {@code firstUncleanableOffset} when every
     *     batch fit, else the end of the last batch mapped
     * @throws IllegalStateException when not even the first dirty batch fits in the map
     */
    public long buildOffsetMap(List<LogSegment> segments, long firstDirtyOffset, long firstUncleanableOffset,
                               OffsetMap map) throws IOException {
        long[] end = {firstDirtyOffset};
        boolean[] full = {false};
        for (LogSegment seg : segments) {
            if (seg.baseOffset() >= firstUncleanableOffset) {
                break;
            }
            if (seg.nextOffset() <= firstDirtyOffset) {
                continue;
            }
            long from = Math.max(firstDirtyOffset, seg.baseOffset());
            forEachBatch(seg, from, firstUncleanableOffset, batch -> {
                if (!batch.isControl()) {
                    if (!map.hasRoomFor(batch.recordCount())) {
                        full[0] = true;
                        return false;
                    }
                    for (Iterator<Record> it = batch.records(); it.hasNext(); ) {
                        Record r = it.next();
                        if (r.hasKey()) {
                            map.put(r.key(), r.offset());
                            stats.mapRecords++;
                            if (!r.hasValue() && r.timestamp() >= 0) {
                                stats.sawTombstone(r.timestamp()); // (one without a timestamp is aged when cleaned)
                            }
                        }
                    }
                }
                stats.mapBatches++;
                end[0] = batch.nextOffset();
                return true;
            });
            if (full[0]) {
                if (end[0] == firstDirtyOffset) {
                    throw new IllegalStateException("the cleaner's offset map (room for " + map.maxEntries()
                            + " keys) cannot hold the first dirty batch of " + dir + " at offset " + firstDirtyOffset
                            + "; raise log.cleaner.dedupe.buffer.size");
                }
                return end[0];
            }
        }
        return Math.max(end[0], firstUncleanableOffset);
    }

    // ---------------------------------------------------------------- rewriting

    /**
     * Rewrites {@code src} into a forced {@code .cleaned} segment beside it, dropping what the rule
     * in the class comment allows.
     *
     * @param endOffset the offset the map covers up to (exclusive); records at or after it are kept
     * @param nowMs the clock, for tombstone ages
     * @param deleteRetentionMs how long tombstones are kept
     */
    public Outcome clean(LogSegment src, OffsetMap map, long endOffset, long nowMs, long deleteRetentionMs)
            throws IOException {
        Rewrite rewrite = new Rewrite(src, map, endOffset, nowMs, deleteRetentionMs);
        try {
            forEachBatch(src, src.baseOffset(), Long.MAX_VALUE, rewrite::accept);
            stats.bytesRead += src.size();
            if (rewrite.out == null) {
                return Outcome.UNCHANGED;
            }
            LogSegment cleaned = rewrite.out.finish();
            if (cleaned == null || cleaned.nextOffset() != src.nextOffset()) {
                throw new IllegalStateException("cleaned copy of " + src + " does not end where it does: " + cleaned);
            }
            cleaned.onBecomeInactive(); // final time index entry, force, trim the indexes
            stats.bytesWritten += cleaned.size();
            return new Outcome(true, cleaned);
        } catch (IOException | RuntimeException e) {
            if (rewrite.out != null && rewrite.out.segment != null) {
                rewrite.out.segment.releaseAndDeleteFiles();
            }
            throw e;
        }
    }

    /** The state of rewriting one segment. */
    private final class Rewrite {
        final LogSegment src;
        final OffsetMap map;
        final long endOffset;
        final long nowMs;
        final long deleteRetentionMs;
        long segmentModifiedMs = Long.MIN_VALUE;
        /** Created at the first batch that changes; the unchanged batches before it are then copied. */
        Output out;

        Rewrite(LogSegment src, OffsetMap map, long endOffset, long nowMs, long deleteRetentionMs) {
            this.src = src;
            this.map = map;
            this.endOffset = endOffset;
            this.nowMs = nowMs;
            this.deleteRetentionMs = deleteRetentionMs;
        }

        boolean accept(RecordBatch batch) throws IOException {
            stats.batchesRead++;
            if (batch.isControl() || batch.baseOffset() >= endOffset) {
                keepWhole(batch);
                return true;
            }
            List<Record> kept = new ArrayList<>();
            int dropped = 0;
            for (Iterator<Record> it = batch.records(); it.hasNext(); ) {
                Record r = it.next();
                stats.recordsRead++;
                if (retain(r)) {
                    kept.add(r);
                } else {
                    dropped++;
                }
            }
            if (dropped == 0) {
                keepWhole(batch);
                return true;
            }
            startOutput(batch.baseOffset());
            stats.recordsDropped += dropped;
            if (kept.isEmpty()) {
                if (batch.nextOffset() == src.nextOffset()) {
                    out.add(emptied(batch));
                    stats.batchesEmptied++;
                } else {
                    stats.batchesDropped++;
                }
            } else {
                out.add(reencode(batch, kept));
                stats.batchesReencoded++;
            }
            return true;
        }

        private void keepWhole(RecordBatch batch) throws IOException {
            if (out != null) {
                out.add(batch);
            }
            // else: copied later if a change follows, never if none does
        }

        private boolean retain(Record r) throws IOException {
            if (r.offset() >= endOffset) {
                return true;
            }
            if (!r.hasKey()) {
                return true;
            }
            long newest = map.get(r.key());
            if (newest > r.offset()) {
                return false;
            }
            if (!r.hasValue()) {
                long ts = r.timestamp() >= 0 ? r.timestamp() : segmentModifiedMs();
                if (nowMs - ts > deleteRetentionMs) {
                    stats.tombstonesDropped++;
                    return false;
                }
                stats.sawTombstone(ts);
            }
            return true;
        }

        private long segmentModifiedMs() throws IOException {
            if (segmentModifiedMs == Long.MIN_VALUE) {
                try {
                    segmentModifiedMs = Files.getLastModifiedTime(src.logFile()).toMillis();
                } catch (NoSuchFileException e) {
                    segmentModifiedMs = nowMs; // renamed under us: keep the tombstone, the swap will not happen
                }
            }
            return segmentModifiedMs;
        }

        /** Creates the output and copies the batches before {@code firstChangedBaseOffset} as they are. */
        private void startOutput(long firstChangedBaseOffset) throws IOException {
            if (out != null) {
                return;
            }
            out = new Output(src, nowMs);
            forEachBatch(src, src.baseOffset(), firstChangedBaseOffset, b -> {
                out.add(b);
                return true;
            });
        }
    }

    /** The same batch without the dropped records, offsets and batch fields kept. */
    static RecordBatch reencode(RecordBatch batch, List<Record> kept) {
        RecordBatchBuilder b = new RecordBatchBuilder(batch.compression(), Integer.MAX_VALUE)
                .baseOffset(batch.baseOffset())
                .partitionLeaderEpoch(batch.partitionLeaderEpoch())
                .producer(batch.producerId(), batch.producerEpoch(), batch.baseSequence())
                .transactional(batch.isTransactional())
                .lastOffsetDelta(batch.lastOffsetDelta());
        if (batch.timestampType() == TimestampType.LOG_APPEND_TIME) {
            b.logAppendTime(batch.maxTimestamp()); // the records read back with it, as before
        } else {
            b.timestampType(TimestampType.CREATE_TIME);
        }
        Header[] none = new Header[0];
        for (Record r : kept) {
            b.appendWithOffset(r.offset(), r.timestamp(), r.key(), r.value(), r.headers().toArray(none));
        }
        return b.build();
    }

    /**
     * The batch's header alone: no records, its offsets, producer fields, leader epoch, timestamp
     * type and flags kept, no compression, both timestamps its max timestamp (Kafka's
     * {@code DefaultRecordBatch.writeEmptyHeader}), and the CRC computed again.
     */
    static RecordBatch emptied(RecordBatch batch) {
        ByteBuffer b = ByteBuffer.allocate(RecordBatchFormat.RECORD_BATCH_OVERHEAD);
        ByteBuffer header = batch.buffer();
        header.limit(RecordBatchFormat.RECORD_BATCH_OVERHEAD);
        b.put(header).flip();
        b.putInt(RecordBatchFormat.LENGTH_OFFSET, RecordBatchFormat.MIN_BATCH_LENGTH);
        b.putShort(RecordBatchFormat.ATTRIBUTES_OFFSET,
                (short) (batch.attributes() & ~RecordBatchFormat.COMPRESSION_CODEC_MASK));
        b.putLong(RecordBatchFormat.BASE_TIMESTAMP_OFFSET, batch.maxTimestamp());
        b.putInt(RecordBatchFormat.RECORDS_COUNT_OFFSET, 0);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), RecordBatchFormat.ATTRIBUTES_OFFSET,
                RecordBatchFormat.RECORD_BATCH_OVERHEAD - RecordBatchFormat.ATTRIBUTES_OFFSET);
        b.putInt(RecordBatchFormat.CRC_OFFSET, (int) crc.getValue());
        return RecordBatch.wrap(b);
    }

    private LogSegment createCleanedSegment(LogSegment src, long nowMs) throws IOException {
        long base = src.baseOffset();
        Path log = LogFiles.withSuffix(LogFiles.logFile(dir, base), LogFiles.CLEANED_SUFFIX);
        Path index = LogFiles.withSuffix(LogFiles.offsetIndexFile(dir, base), LogFiles.CLEANED_SUFFIX);
        Path timeIndex = LogFiles.withSuffix(LogFiles.timeIndexFile(dir, base), LogFiles.CLEANED_SUFFIX);
        for (Path stale : List.of(log, index, timeIndex)) {
            Files.deleteIfExists(stale); // left by a pass that failed without cleaning up
        }
        // An entry needs more than index.interval.bytes of log since the previous one (and a batch is at
        // least a header), so this bounds the entries even if re-encoding grew the data; the files are
        // sparse until written and are cut to their entries when the segment is finished.
        long outputBound = 2L * src.size() + RecordBatchFormat.RECORD_BATCH_OVERHEAD;
        long entries = outputBound / Math.max(indexIntervalBytes + 1L, RecordBatchFormat.RECORD_BATCH_OVERHEAD) + 2;
        long indexBytes = Math.max(segmentIndexBytes, entries * Math.max(OffsetIndex.ENTRY_SIZE, TimeIndex.ENTRY_SIZE));
        int maxIndexBytes = (int) Math.min(indexBytes, Integer.MAX_VALUE - 64);
        return LogSegment.openFiles(log, index, timeIndex, base, maxIndexBytes, indexIntervalBytes, channels, true,
                nowMs);
    }

    /**
     * Buffers batches for the cleaned segment and appends them (with their index entries) in chunks.
     * The files are created with the first batch added.
     */
    private final class Output {
        final LogSegment src;
        final long nowMs;
        final ByteBuffer buffer;
        final List<LogSegment.BatchInfo> infos = new ArrayList<>();
        LogSegment segment;

        Output(LogSegment src, long nowMs) {
            this.src = src;
            this.nowMs = nowMs;
            this.buffer = ByteBuffer.allocate(ioBufferBytes);
        }

        void add(RecordBatch batch) throws IOException {
            if (segment == null) {
                segment = createCleanedSegment(src, nowMs);
            }
            int size = batch.sizeInBytes();
            if (buffer.remaining() < size) {
                flush();
            }
            LogSegment.BatchInfo info = new LogSegment.BatchInfo(buffer.position(), size, batch.baseOffset(),
                    batch.lastOffset(), batch.maxTimestamp());
            if (size > buffer.capacity()) {
                segment.append(batch.buffer(), List.of(new LogSegment.BatchInfo(0, size, batch.baseOffset(),
                        batch.lastOffset(), batch.maxTimestamp())));
                return;
            }
            buffer.put(batch.buffer());
            infos.add(info);
        }

        void flush() throws IOException {
            if (infos.isEmpty()) {
                return;
            }
            buffer.flip();
            segment.append(buffer, infos);
            buffer.clear();
            infos.clear();
        }

        /** The cleaned segment with everything written, or null when no batch was kept. */
        LogSegment finish() throws IOException {
            flush();
            return segment;
        }
    }

    // ---------------------------------------------------------------- reading

    @FunctionalInterface
    private interface BatchVisitor {
        /** @return false to stop */
        boolean visit(RecordBatch batch) throws IOException;
    }

    /**
     * Visits the batches of {@code seg} from the one holding {@code from}, stopping before any that
     * reaches {@code maxOffset}; checks for a stop request before each read.
     */
    private void forEachBatch(LogSegment seg, long from, long maxOffset, BatchVisitor visitor) throws IOException {
        long offset = from;
        while (true) {
            if (stopRequested.getAsBoolean()) {
                throw new CancellationException("cleaning of " + dir + " was stopped");
            }
            ByteBuffer buf = seg.read(offset, ioBufferBytes, maxOffset, true, true);
            if (buf == null || !buf.hasRemaining()) {
                return;
            }
            for (RecordBatch batch : RecordBatches.iterate(buf)) {
                if (!visitor.visit(batch)) {
                    return;
                }
                offset = batch.nextOffset();
            }
        }
    }
}
