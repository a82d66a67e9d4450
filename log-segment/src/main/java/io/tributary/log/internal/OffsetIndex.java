package io.tributary.log.internal;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Maps offsets to file positions in one segment's {@code .log}: sparse (one entry every
 * {@code index.interval.bytes} of log), so a lookup returns where to start scanning.
 *
 * <h2>Format ({@code .index}, version 1)</h2>
 * <pre>
 *   0               4               8
 *   +---------------+---------------+
 *   | relativeOffset|   position    |   one entry, 8 bytes, little-endian int32 fields
 *   +---------------+---------------+
 *   relativeOffset = batch base offset - segment base offset   (strictly increasing)
 *   position       = byte position of that batch in the .log     (strictly increasing, &gt; 0)
 * </pre>
 * Entries follow each other from byte 0 with no header. The first slot whose position is 0 ends
 * the entries (no entry is ever written for the batch at position 0: a lookup that finds no
 * entry starts at 0 anyway). The file is preallocated with zeros for the active segment and cut
 * to its entries when the segment rolls. There is no version field: the version is that of the
 * partition directory's checkpoint file (FORMAT.md).
 *
 * <p>Thread-safety: see {@link AbstractIndex}.
 */
public final class OffsetIndex extends AbstractIndex {
    public static final int ENTRY_SIZE = 8;
    static final int RELATIVE_OFFSET_OFFSET = 0;
    static final int POSITION_OFFSET = RELATIVE_OFFSET_OFFSET + 4;

    public OffsetIndex(Path file, long baseOffset, int maxIndexBytes, boolean writable) throws IOException {
        super(file, baseOffset, maxIndexBytes, ENTRY_SIZE, writable);
    }

    @Override
    protected long keyField(int slot) {
        return store.readInt(slotAddress(slot) + POSITION_OFFSET);
    }

    private int relativeOffset(int slot) {
        return store.readInt(slotAddress(slot) + RELATIVE_OFFSET_OFFSET);
    }

    private int position(int slot) {
        return store.readInt(slotAddress(slot) + POSITION_OFFSET);
    }

    /** The entry for a slot below {@link #entries()}. */
    public OffsetPosition entry(int slot) {
        return new OffsetPosition(baseOffset + relativeOffset(slot), position(slot));
    }

    /** The last entry, or (base offset, 0) when empty. */
    public OffsetPosition lastEntry() {
        int n = entries();
        return n == 0 ? new OffsetPosition(baseOffset, 0) : entry(n - 1);
    }

    /**
     * The entry with the largest offset at or below {@code offset}: where to start scanning for
     * it. (base offset, 0) when there is none.
     */
    public OffsetPosition lookup(long offset) {
        int n = entries();
        long relative = offset - baseOffset;
        int slot = largestSlotAtOrBelow(relative, n, (s, target) -> Long.compare(relativeOffset(s), target));
        return slot < 0 ? new OffsetPosition(baseOffset, 0) : entry(slot);
    }

    /**
     * Appends an entry for the batch starting at {@code offset} and {@code position}.
     *
     * @throws IllegalArgumentException when the entry does not follow the last one
     */
    public void append(long offset, int position) {
        checkWritable();
        long relative = offset - baseOffset;
        if (relative <= 0 || relative > Integer.MAX_VALUE || position <= 0) {
            throw new IllegalArgumentException("offset " + offset + " at position " + position
                    + " cannot be indexed in segment " + baseOffset);
        }
        int n = entries();
        if (n > 0 && (relative <= relativeOffset(n - 1) || position <= position(n - 1))) {
            throw new IllegalArgumentException("index entry (" + offset + ", " + position
                    + ") does not follow the last one " + lastEntry() + " in " + file());
        }
        long address = slotAddress(n);
        store.writeInt(address + RELATIVE_OFFSET_OFFSET, (int) relative);
        store.writeInt(address + POSITION_OFFSET, position);
        publishEntry();
    }

    /** Drops entries at or beyond {@code offset}. */
    public void truncateToOffset(long offset) {
        int n = entries();
        long relative = offset - baseOffset;
        int slot = largestSlotAtOrBelow(relative - 1, n, (s, target) -> Long.compare(relativeOffset(s), target));
        truncateEntries(slot + 1);
    }

    /** Drops entries whose position is at or beyond {@code position}. */
    public void truncateToPosition(int position) {
        int n = entries();
        int slot = largestSlotAtOrBelow(position - 1L, n, (s, target) -> Long.compare(position(s), target));
        truncateEntries(slot + 1);
    }

    @Override
    public void sanityCheck(long logSizeInBytes) {
        int n = entries();
        if (n == 0) {
            return;
        }
        OffsetPosition first = entry(0);
        OffsetPosition last = entry(n - 1);
        if (first.offset() <= baseOffset || first.position() <= 0) {
            throw new IllegalStateException("offset index " + file() + " starts with " + first
                    + ", not after the segment base offset " + baseOffset);
        }
        if (last.offset() < first.offset() || last.position() < first.position()) {
            throw new IllegalStateException("offset index " + file() + " is not increasing: first " + first
                    + ", last " + last);
        }
        if (last.position() >= logSizeInBytes) {
            throw new IllegalStateException("offset index " + file() + " points to position " + last.position()
                    + " beyond the log size " + logSizeInBytes);
        }
    }

    @Override
    public String toString() {
        return "OffsetIndex(" + file() + ", entries=" + entries() + ")";
    }
}
