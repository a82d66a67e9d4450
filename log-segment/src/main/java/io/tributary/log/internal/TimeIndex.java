package io.tributary.log.internal;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Maps timestamps to offsets in one segment, to find the first record at or after a time.
 *
 * <h2>Format ({@code .timeindex}, version 1)</h2>
 * <pre>
 *   0                               8               12
 *   +-------------------------------+---------------+
 *   |           timestamp           | relativeOffset|   one entry, 12 bytes, little-endian
 *   +-------------------------------+---------------+
 *   meaning: every record with offset &lt; (segment base + relativeOffset) has a timestamp
 *            &lt;= timestamp. Timestamps strictly increase, relative offsets strictly increase
 *            and are &gt; 0.
 * </pre>
 * An entry is written beside an offset index entry when the segment's largest timestamp so far
 * has grown since the previous time entry: it holds that largest timestamp of all batches
 * <em>before</em> the batch being indexed, and that batch's relative offset. A slot whose
 * relative offset is 0 ends the entries.
 *
 * <p>Lookup for time T: the entry with the largest timestamp below T gives an offset below which
 * no record reaches T; scanning starts there.
 *
 * <p>Thread-safety: see {@link AbstractIndex}.
 */
public final class TimeIndex extends AbstractIndex {
    public static final int ENTRY_SIZE = 12;
    static final int TIMESTAMP_OFFSET = 0;
    static final int RELATIVE_OFFSET_OFFSET = TIMESTAMP_OFFSET + 8;

    public TimeIndex(Path file, long baseOffset, int maxIndexBytes, boolean writable) throws IOException {
        super(file, baseOffset, maxIndexBytes, ENTRY_SIZE, writable);
    }

    @Override
    protected long keyField(int slot) {
        return relativeOffset(slot);
    }

    private long timestamp(int slot) {
        return store.readLong(slotAddress(slot) + TIMESTAMP_OFFSET);
    }

    private int relativeOffset(int slot) {
        return store.readInt(slotAddress(slot) + RELATIVE_OFFSET_OFFSET);
    }

    public TimestampOffsetEntry entry(int slot) {
        return new TimestampOffsetEntry(timestamp(slot), baseOffset + relativeOffset(slot));
    }

    /** The last entry, or {@code null} when empty. */
    public TimestampOffsetEntry lastEntry() {
        int n = entries();
        return n == 0 ? null : entry(n - 1);
    }

    /**
     * The offset from which to scan for the first record with timestamp at or after
     * {@code timestamp}: the offset of the entry with the largest timestamp below it, or the
     * segment's base offset.
     */
    public long lookup(long timestamp) {
        int n = entries();
        // Largest slot with entry.timestamp < timestamp, i.e. <= timestamp - 1.
        if (timestamp == Long.MIN_VALUE) {
            return baseOffset;
        }
        int slot = largestSlotAtOrBelow(timestamp - 1, n, (s, target) -> Long.compare(timestamp(s), target));
        return slot < 0 ? baseOffset : baseOffset + relativeOffset(slot);
    }

    /**
     * Records that every record below {@code offset} has a timestamp at most {@code timestamp};
     * ignored unless it raises the last entry's timestamp.
     */
    public void maybeAppend(long timestamp, long offset) {
        int n = entries();
        if (n > 0 && timestamp <= timestamp(n - 1)) {
            return;
        }
        checkWritable();
        long relative = offset - baseOffset;
        if (relative <= 0 || relative > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("offset " + offset + " cannot be time-indexed in segment " + baseOffset);
        }
        if (n > 0 && relative <= relativeOffset(n - 1)) {
            throw new IllegalArgumentException("time index entry (" + timestamp + ", " + offset
                    + ") does not follow the last one " + lastEntry() + " in " + file());
        }
        long address = slotAddress(n);
        store.writeLong(address + TIMESTAMP_OFFSET, timestamp);
        store.writeInt(address + RELATIVE_OFFSET_OFFSET, (int) relative);
        publishEntry();
    }

    /**
     * Drops entries whose offset is at or beyond {@code offset}: they were written when the
     * batches now being removed were appended.
     */
    public void truncateToOffset(long offset) {
        int n = entries();
        int keep = n;
        while (keep > 0 && baseOffset + relativeOffset(keep - 1) >= offset) {
            keep--;
        }
        truncateEntries(keep);
    }

    /**
     * Appends the entry a segment gets when it rolls: every record of the segment (below
     * {@code nextOffset}) has a timestamp at most {@code maxTimestamp}. Unlike
     * {@link #maybeAppend}, it is written even when the timestamp has not grown, so a closed
     * segment's last entry always names its largest timestamp and end offset (and a truncated
     * time index shows).
     */
    public void appendFinal(long maxTimestamp, long nextOffset) {
        int n = entries();
        if (n > 0) {
            TimestampOffsetEntry last = entry(n - 1);
            if (last.offset() == nextOffset) {
                return;
            }
            maxTimestamp = Math.max(maxTimestamp, last.timestamp());
        }
        checkWritable();
        long relative = nextOffset - baseOffset;
        if (relative <= 0 || relative > Integer.MAX_VALUE) {
            return; // an empty segment: nothing to describe
        }
        long address = slotAddress(n);
        store.writeLong(address + TIMESTAMP_OFFSET, maxTimestamp);
        store.writeInt(address + RELATIVE_OFFSET_OFFSET, (int) relative);
        publishEntry();
    }

    @Override
    public void sanityCheck(long logSizeInBytes) {
        int n = entries();
        if (n == 0) {
            return;
        }
        TimestampOffsetEntry first = entry(0);
        TimestampOffsetEntry last = entry(n - 1);
        if (last.timestamp() < first.timestamp() || last.offset() < first.offset() || first.offset() <= baseOffset) {
            throw new IllegalStateException("time index " + file() + " is not increasing: first " + first
                    + ", last " + last);
        }
    }

    @Override
    public String toString() {
        return "TimeIndex(" + file() + ", entries=" + entries() + ")";
    }

    /**
     * A time index entry.
     *
     * @param timestamp the largest timestamp of the records below {@code offset}
     * @param offset absolute offset
     */
    public record TimestampOffsetEntry(long timestamp, long offset) {
    }
}
