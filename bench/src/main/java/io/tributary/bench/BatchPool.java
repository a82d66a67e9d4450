package io.tributary.bench;

import io.tributary.record.Compression;
import io.tributary.record.RecordBatch;
import io.tributary.record.RecordBatchBuilder;
import io.tributary.record.RecordBatchFormat;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;

/**
 * Record batches built once, before any timing, and appended over and over: building and
 * checksumming a batch is the producer's cost, not the log's.
 *
 * <p>The pool holds distinct batches of random (incompressible) values totalling about
 * {@code poolBytes}, more than a CPU cache, so a run does not write the same hot bytes again and
 * again. {@link io.tributary.log.Log#append} stamps each batch's base offset and leader epoch in
 * place; neither is covered by the CRC, so a batch re-appended later is restamped and still
 * valid. Each batch also has a direct-buffer copy for the raw {@code FileChannel} baseline.
 *
 * <p>Timestamps must keep growing as they do in production, or the time index stops taking
 * entries after the first pass over the pool (and recovery takes paths it would not): before each
 * pass, {@link #shiftTimestamps(int)} moves every batch's timestamps past the previous pass and
 * recomputes its CRC, as the producer would have. Callers do that outside their timed sections.
 *
 * <p>Thread-safety: not thread-safe; one benchmark thread uses it.
 */
final class BatchPool {
    private final int recordBytes;
    private final int batchLimitBytes;
    private final ByteBuffer[] heap;
    private final ByteBuffer[] direct;
    private final int[] recordCounts;
    private final long totalBytes;
    /** Milliseconds from the first batch's base timestamp to past the last batch's max timestamp. */
    private final long timeSpanMs;
    private final long[] baseTimestamps;
    private final long[] maxTimestamps;

    private BatchPool(int recordBytes, int batchLimitBytes, ByteBuffer[] heap, ByteBuffer[] direct,
                      int[] recordCounts) {
        this.recordBytes = recordBytes;
        this.batchLimitBytes = batchLimitBytes;
        this.heap = heap;
        this.direct = direct;
        this.recordCounts = recordCounts;
        long total = 0;
        for (ByteBuffer b : heap) {
            total += b.remaining();
        }
        this.totalBytes = total;
        this.baseTimestamps = new long[heap.length];
        this.maxTimestamps = new long[heap.length];
        for (int i = 0; i < heap.length; i++) {
            baseTimestamps[i] = heap[i].getLong(RecordBatchFormat.BASE_TIMESTAMP_OFFSET);
            maxTimestamps[i] = heap[i].getLong(RecordBatchFormat.MAX_TIMESTAMP_OFFSET);
        }
        this.timeSpanMs = maxTimestamps[heap.length - 1] - baseTimestamps[0] + 1;
    }

    /**
     * Gives every batch the timestamps it would have on pass {@code pass} over the pool (pass 0:
     * as built), each pass after the previous one, and recomputes the CRCs. Outside timing: this
     * is the producer's work.
     */
    void shiftTimestamps(int pass) {
        long shift = pass * timeSpanMs;
        for (int i = 0; i < heap.length; i++) {
            ByteBuffer b = heap[i];
            b.putLong(RecordBatchFormat.BASE_TIMESTAMP_OFFSET, baseTimestamps[i] + shift);
            b.putLong(RecordBatchFormat.MAX_TIMESTAMP_OFFSET, maxTimestamps[i] + shift);
            b.putInt(RecordBatchFormat.CRC_OFFSET, (int) RecordBatch.wrap(b).computeChecksum());
            ByteBuffer d = direct[i];
            d.putLong(RecordBatchFormat.BASE_TIMESTAMP_OFFSET, baseTimestamps[i] + shift);
            d.putLong(RecordBatchFormat.MAX_TIMESTAMP_OFFSET, maxTimestamps[i] + shift);
            d.putInt(RecordBatchFormat.CRC_OFFSET, b.getInt(RecordBatchFormat.CRC_OFFSET));
        }
    }

    /**
     * Builds uncompressed batches of {@code recordBytes}-byte values (null keys), each filled up to
     * {@code batchLimitBytes}, until they hold at least {@code poolBytes}.
     */
    static BatchPool build(int recordBytes, int batchLimitBytes, long poolBytes, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] source = new byte[1 << 20];
        for (int i = 0; i < source.length; i++) {
            source[i] = (byte) random.nextInt(256);
        }
        int estimate = (int) Math.max(1, poolBytes / batchLimitBytes + 1);
        ByteBuffer[] heap = new ByteBuffer[estimate];
        int[] counts = new int[estimate];
        long built = 0;
        int n = 0;
        long timestamp = System.currentTimeMillis();
        while (built < poolBytes && n < estimate) {
            RecordBatchBuilder builder = new RecordBatchBuilder(Compression.NONE, batchLimitBytes);
            while (true) {
                int from = random.nextInt(source.length - recordBytes);
                ByteBuffer value = ByteBuffer.wrap(source, from, recordBytes);
                if (!builder.hasRoomFor(timestamp, null, value)) {
                    break;
                }
                builder.append(timestamp++, null, value);
            }
            RecordBatch batch = builder.build();
            ByteBuffer bytes = batch.buffer();
            ByteBuffer exact = ByteBuffer.allocate(bytes.remaining());
            exact.put(bytes).flip();
            heap[n] = exact;
            counts[n] = batch.recordCount();
            built += exact.remaining();
            n++;
        }
        heap = java.util.Arrays.copyOf(heap, n);
        counts = java.util.Arrays.copyOf(counts, n);
        ByteBuffer[] direct = new ByteBuffer[n];
        for (int i = 0; i < n; i++) {
            direct[i] = ByteBuffer.allocateDirect(heap[i].remaining());
            direct[i].put(heap[i].duplicate()).flip();
        }
        return new BatchPool(recordBytes, batchLimitBytes, heap, direct, counts);
    }

    int size() {
        return heap.length;
    }

    /** The heap batch {@code i}: position 0, limit its size; what a producer's request hands the log. */
    ByteBuffer heap(int i) {
        return heap[i];
    }

    /** A direct copy of batch {@code i}, positioned at 0 (callers write from a duplicate). */
    ByteBuffer direct(int i) {
        return direct[i];
    }

    int recordCount(int i) {
        return recordCounts[i];
    }

    int recordBytes() {
        return recordBytes;
    }

    int batchLimitBytes() {
        return batchLimitBytes;
    }

    long totalBytes() {
        return totalBytes;
    }

    /** Mean bytes per batch as built (just under the limit). */
    int meanBatchBytes() {
        return (int) (totalBytes / heap.length);
    }
}
