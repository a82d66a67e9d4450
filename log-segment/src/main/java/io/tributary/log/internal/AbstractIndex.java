package io.tributary.log.internal;

import net.openhft.chronicle.bytes.MappedBytesStore;
import net.openhft.chronicle.bytes.MappedFile;
import net.openhft.chronicle.core.io.ReferenceOwner;

import java.io.Closeable;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A sparse, fixed-width, memory-mapped index of one segment, mapped through Chronicle Bytes.
 *
 * <p>The index of the active segment is preallocated to its maximum size (a sparse file of zeros)
 * and mapped read-write; {@link #trimToValidSize()} cuts the file to its entries when the segment
 * rolls. A slot whose key field is zero ends the valid entries (a real entry never has a zero
 * key), so a preallocated file needs no header or count: the entry count is found at open by a
 * binary search for the first empty slot.
 *
 * <p>Indexes are derived data: there is no checksum; {@link #sanityCheck(long)} catches the
 * damage that matters and the caller rebuilds the index from the log.
 *
 * <p>Thread-safety: one writer (the log's append thread) and any number of readers. The writer
 * writes an entry's bytes, then publishes it by incrementing the volatile entry count; readers
 * read the count first and only entries below it. Absolute reads and writes on a
 * {@link MappedBytesStore} carry no thread ownership. The mapping is released by {@link #close()},
 * which the owning segment calls only after its last reader has let go.
 */
abstract class AbstractIndex implements Closeable, ReferenceOwner {

    static {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            // The index formats are specified little-endian (FORMAT.md); Chronicle writes native order.
            throw new ExceptionInInitializerError("Tributary index files need a little-endian platform");
        }
    }

    /** Entries looked up first: the recently written ones, likely still in the page cache. */
    private static final int WARM_BYTES = 8192;

    protected final long baseOffset;
    protected final int entrySize;
    private volatile Path file;
    private final int maxEntries;
    private MappedFile mappedFile;
    protected MappedBytesStore store;
    private volatile int entries;
    private volatile boolean writable;
    private boolean closed;

    AbstractIndex(Path file, long baseOffset, int maxIndexBytes, int entrySize, boolean writable)
            throws IOException {
        this.file = file;
        this.baseOffset = baseOffset;
        this.entrySize = entrySize;
        this.writable = writable;
        long existing = Files.exists(file) ? Files.size(file) : 0;
        long capacity;
        if (writable) {
            long wanted = (long) (maxIndexBytes / entrySize) * entrySize;
            capacity = Math.max(wanted, roundUp(existing, entrySize));
        } else {
            capacity = existing - existing % entrySize;
        }
        this.maxEntries = (int) Math.min(Integer.MAX_VALUE, capacity / entrySize);
        if (capacity > 0) {
            mappedFile = MappedFile.ofSingle(file.toFile(), capacity, !writable);
            store = mappedFile.acquireByteStore(this, 0);
        } else if (writable) {
            throw new IOException("index " + file + " has no room for one entry");
        } else if (!Files.exists(file)) {
            Files.createFile(file);
        }
        this.entries = findEntryCount();
    }

    private static long roundUp(long value, int unit) {
        return (value + unit - 1) / unit * unit;
    }

    /** A slot's key field: non-zero for every real entry. */
    protected abstract long keyField(int slot);

    private int findEntryCount() {
        // Entries are a prefix of the slots: binary search for the first empty one.
        int lo = 0;
        int hi = maxEntries;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (keyField(mid) != 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    public Path file() {
        return file;
    }

    public int entries() {
        return entries;
    }

    public int maxEntries() {
        return maxEntries;
    }

    public boolean isFull() {
        return entries >= maxEntries;
    }

    /** Bytes the valid entries take. */
    public long sizeInBytes() {
        return (long) entries * entrySize;
    }

    protected final long slotAddress(int slot) {
        return (long) slot * entrySize;
    }

    /** Makes a just-written slot visible to readers. */
    protected final void publishEntry() {
        entries = entries + 1;
    }

    protected final void checkWritable() {
        if (!writable) {
            throw new IllegalStateException("index " + file + " is read-only (its segment has rolled)");
        }
        if (isFull()) {
            throw new IllegalStateException("index " + file + " is full (" + maxEntries + " entries)");
        }
    }

    /**
     * Binary search over the entries for the largest slot whose key compares at or below the
     * target, looking first in the warm tail. {@code -1} when every entry is above the target.
     */
    protected final int largestSlotAtOrBelow(long target, int n, SlotKey key) {
        if (n == 0 || key.compare(0, target) > 0) {
            return -1;
        }
        int warmFirst = Math.max(0, n - WARM_BYTES / entrySize);
        if (key.compare(warmFirst, target) <= 0) {
            return search(warmFirst, n - 1, target, key);
        }
        return search(0, warmFirst - 1, target, key);
    }

    private static int search(int lo, int hi, long target, SlotKey key) {
        // Invariant: slot lo compares <= target.
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (key.compare(mid, target) <= 0) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    /** Compares a slot's key to a target: negative, zero or positive. */
    @FunctionalInterface
    interface SlotKey {
        int compare(int slot, long target);
    }

    /** Drops entries from {@code keep} on, zeroing their slots so they stay empty after a reopen. */
    protected final void truncateEntries(int keep) {
        int n = entries;
        if (keep >= n) {
            return;
        }
        if (!writable) {
            throw new IllegalStateException("index " + file + " is read-only");
        }
        entries = keep;
        store.zeroOut(slotAddress(keep), slotAddress(n));
    }

    /** Drops every entry. */
    public void reset() {
        truncateEntries(0);
    }

    /** Forces the valid entries to disk. */
    public void flush() {
        if (store != null && writable && entries > 0) {
            store.syncUpTo(sizeInBytes());
        }
    }

    /**
     * Cuts the file to its valid entries and makes the index read-only. The mapping stays: readers
     * only touch entries below the count, all inside the shortened file.
     */
    public void trimToValidSize() throws IOException {
        if (!writable) {
            return;
        }
        flush();
        writable = false;
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(sizeInBytes());
        }
    }

    /** Whether entries can still be appended. */
    public boolean isWritable() {
        return writable;
    }

    /** Reopens writable (preallocated) after a segment that had rolled becomes active again by truncation. */
    public boolean needsReopenForWrite() {
        return !writable;
    }

    /** Renames the file, replacing any file of that name; the mapping stays valid. */
    public void renameTo(Path target) throws IOException {
        Files.move(file, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        file = target;
    }

    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (writable) {
                trimToValidSize();
            }
        } finally {
            if (store != null) {
                store.release(this);
                store = null;
            }
            if (mappedFile != null) {
                mappedFile.releaseLast();
                mappedFile = null;
            }
        }
    }

    /** Closes and removes the file. */
    public void closeAndDelete() throws IOException {
        writable = false; // no trim for a file about to go
        close();
        Files.deleteIfExists(file);
    }

    /**
     * Checks the entries against the segment's log size: cheap checks (first and last entries)
     * that catch truncated or garbage files. Throws {@link IllegalStateException} describing the
     * damage; the caller rebuilds the index.
     */
    public abstract void sanityCheck(long logSizeInBytes);

    @Override
    public String referenceName() {
        return "index:" + file.getFileName();
    }
}
