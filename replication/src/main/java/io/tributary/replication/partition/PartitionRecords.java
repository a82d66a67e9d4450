package io.tributary.replication.partition;

import io.tributary.log.Log;
import io.tributary.log.LogReadResult;
import io.tributary.proto.internal.v1.PartitionEntryHeader;
import io.tributary.record.Record;
import io.tributary.record.RecordBatch;
import io.tributary.record.RecordBatches;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;

import java.nio.ByteBuffer;
import java.util.Iterator;

/**
 * Reads the records of appended units for the key index ({@link PartitionState.RecordSource}):
 * from an entry's state machine data (when it is written) or back from the partition log (when
 * entries are decided again after a restart, or a key index is rebuilt). Control batches carry no
 * keys of the partition's data and are skipped. Thread-safety: stateless.
 */
final class PartitionRecords {

    private PartitionRecords() {
    }

    /**
     * The records of an entry's appends in its state machine data, in either layout (see
     * {@link PartitionEntryFormat}): the original (every append's bytes, at their positions) or
     * compacted (only the appended ones, in order; records are asked for in append order).
     */
    static PartitionState.RecordSource fromEntryData(PartitionEntryHeader h, ByteString data) {
        boolean original = data.size() == PartitionEntryFormat.totalBytes(h);
        int[] positions = new int[h.getAppendsCount()];
        int p = 0;
        for (int i = 0; i < positions.length; i++) {
            positions[i] = p;
            p += h.getAppends(i).getSizeBytes();
        }
        int[] cursor = {0};
        return (i, firstOffset, sink) -> {
            int size = h.getAppends(i).getSizeBytes();
            int from = original ? positions[i] : cursor[0];
            cursor[0] = from + size;
            if ((long) from + size > data.size()) {
                throw new IllegalStateException("entry data of " + data.size() + " bytes has no append " + i + " at "
                        + from + " (" + size + " bytes)");
            }
            feed(data.substring(from, from + size).asReadOnlyByteBuffer(), firstOffset, false, sink);
        };
    }

    /** Feeds the records of the log in {@code [from, to)} (absolute offsets). */
    static void fromLog(Log log, long from, long to, PartitionState.RecordSink sink) {
        long next = from;
        while (next < to) {
            LogReadResult r;
            try {
                r = log.read(next, Integer.MAX_VALUE, to);
            } catch (RuntimeException e) {
                throw new IllegalStateException("partition log " + log.dir() + " cannot be read at offset " + next
                        + " (records up to " + to + " are needed to rebuild the key index): " + e.getMessage(), e);
            }
            if (r.isEmpty()) {
                throw new IllegalStateException("partition log " + log.dir() + " has no records at offset " + next
                        + " (records up to " + to + " are needed to rebuild the key index)");
            }
            feed(r.records(), next, true, sink);
            next = r.nextOffset();
        }
    }

    /**
     * @param absolute true: the batches carry their offsets (from the log); false: they do not yet
     *     (entry data), the first record is at {@code firstOffset} and the rest follow
     */
    private static void feed(ByteBuffer batches, long firstOffset, boolean absolute, PartitionState.RecordSink sink) {
        long next = firstOffset;
        for (RecordBatch b : RecordBatches.iterate(batches)) {
            long base = absolute ? b.baseOffset() : next;
            if (!b.isControl()) {
                for (Iterator<Record> it = b.records(); it.hasNext(); ) {
                    Record r = it.next();
                    sink.record(r.key(), !r.hasValue(), base + (r.offset() - b.baseOffset()));
                }
            }
            next = base + b.lastOffsetDelta() + 1;
        }
    }
}
