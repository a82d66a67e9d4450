package io.tributary.log.internal;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * Compaction's key → newest offset map, bounded by a memory budget (Kafka's
 * {@code SkimpyOffsetMap}). Keys are not stored: each is reduced to a 128-bit digest (the first 16
 * bytes of its SHA-256), so an entry takes {@value #BYTES_PER_ENTRY} bytes whatever the key size.
 *
 * <p>Open addressing with linear probing over parallel {@code long} slots (digest high, digest
 * low, offset + 1; 0 marks an empty slot). The table starts small and doubles while under the
 * budget; {@link #hasRoomFor} then says whether more distinct keys fit at the load factor, so the
 * caller can stop mapping at a batch boundary and clean only as far as the map reaches.
 *
 * <p><b>Design note.</b> Two keys with the same digest would share an entry and the older record
 * of one could be dropped for the newer of the other. With 128 bits of SHA-256 that needs about
 * 2^64 distinct keys, or a preimage attack; MD5 (Kafka's default) is cheaper but lets a producer
 * craft colliding keys on purpose, which a multi-tenant log must not allow.
 *
 * <p>Thread-safety: not thread-safe; the cleaner confines it to one pass at a time.
 */
public final class OffsetMap {
    /** Memory one slot takes. */
    public static final int BYTES_PER_ENTRY = 3 * Long.BYTES;
    /** Fraction of the slots used before the table grows (or, at the budget, is full). */
    static final double LOAD_FACTOR = 0.8;
    private static final int INITIAL_SLOTS = 1 << 14;

    private final int maxSlots;
    private final MessageDigest digest;
    private final byte[] hash = new byte[32];
    private long[] slots;
    private int capacity;
    private int size;

    /**
     * @param memoryBytes the most memory the table may take; at least room for 8 keys
     */
    public OffsetMap(long memoryBytes) {
        long slotCount = Math.min(memoryBytes / BYTES_PER_ENTRY, (Integer.MAX_VALUE - 8) / 3);
        if (slotCount < 10) {
            throw new IllegalArgumentException("an offset map of " + memoryBytes + " bytes cannot hold 8 keys");
        }
        this.maxSlots = (int) slotCount;
        try {
            this.digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
        this.capacity = Math.min(INITIAL_SLOTS, maxSlots);
        this.slots = new long[capacity * 3];
    }

    /** The most distinct keys the map holds at its full budget. */
    public int maxEntries() {
        return (int) (maxSlots * LOAD_FACTOR);
    }

    /** Distinct keys held. */
    public int size() {
        return size;
    }

    /** Memory the table takes now. */
    public long memoryBytes() {
        return (long) capacity * BYTES_PER_ENTRY;
    }

    /** Whether {@code more} new distinct keys would still fit within the budget. */
    public boolean hasRoomFor(int more) {
        return (long) size + more <= maxEntries();
    }

    /**
     * Maps the key (the bytes between its position and limit, not moved) to {@code offset}; later
     * puts of the same key replace it. Offsets are expected in increasing order.
     *
     * @throws IllegalStateException when a new key does not fit in the budget
     */
    public void put(ByteBuffer key, long offset) {
        if (offset < 0) {
            throw new IllegalArgumentException("offset " + offset + " is negative");
        }
        hash(key);
        long h1 = high();
        long h2 = low();
        int slot = find(h1, h2);
        int base = slot * 3;
        if (slots[base + 2] != 0) {
            slots[base + 2] = offset + 1;
            return;
        }
        if (!hasRoomFor(1)) {
            throw new IllegalStateException("offset map is full (" + size + " keys in " + memoryBytes() + " bytes)");
        }
        slots[base] = h1;
        slots[base + 1] = h2;
        slots[base + 2] = offset + 1;
        size++;
        if (size > capacity * LOAD_FACTOR && capacity < maxSlots) {
            grow();
        }
    }

    /** The offset mapped to the key, or -1 when the key is not in the map. */
    public long get(ByteBuffer key) {
        if (size == 0) {
            return -1;
        }
        hash(key);
        int slot = find(high(), low());
        return slots[slot * 3 + 2] - 1;
    }

    /** Forgets every key, keeping the table for the next pass. */
    public void clear() {
        if (size > 0) {
            Arrays.fill(slots, 0L);
            size = 0;
        }
    }

    /** The slot holding the digest, or the empty slot where it would go. */
    private int find(long h1, long h2) {
        int slot = (int) Long.remainderUnsigned(h1, capacity);
        while (true) {
            int base = slot * 3;
            if (slots[base + 2] == 0 || (slots[base] == h1 && slots[base + 1] == h2)) {
                return slot;
            }
            slot = slot + 1 == capacity ? 0 : slot + 1;
        }
    }

    private void grow() {
        long[] old = slots;
        int oldCapacity = capacity;
        capacity = (int) Math.min((long) capacity * 2, maxSlots);
        slots = new long[capacity * 3];
        for (int i = 0; i < oldCapacity; i++) {
            int base = i * 3;
            if (old[base + 2] != 0) {
                int slot = find(old[base], old[base + 1]);
                System.arraycopy(old, base, slots, slot * 3, 3);
            }
        }
    }

    private void hash(ByteBuffer key) {
        digest.reset();
        digest.update(key.duplicate());
        try {
            digest.digest(hash, 0, hash.length);
        } catch (java.security.DigestException e) {
            throw new IllegalStateException(e);
        }
    }

    private long high() {
        return readLong(0);
    }

    private long low() {
        return readLong(8);
    }

    private long readLong(int from) {
        long v = 0;
        for (int i = from; i < from + 8; i++) {
            v = (v << 8) | (hash[i] & 0xFF);
        }
        return v;
    }
}
