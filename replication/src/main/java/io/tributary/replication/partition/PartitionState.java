package io.tributary.replication.partition;

import io.tributary.proto.internal.v1.PartitionAppend;
import io.tributary.proto.internal.v1.PartitionAppendOutcome;
import io.tributary.proto.internal.v1.PartitionEntryHeader;
import io.tributary.proto.internal.v1.PartitionKeyCondition;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * The state a partition's appends are decided on, besides the end offset: the idempotent
 * producers (per producer id: epoch, time of the last append, its last
 * {@value #MAX_BATCHES_PER_PRODUCER} units' sequences and offsets) and the key index (per key:
 * the offset of its last record). {@link #decide} is the one rule that turns an entry into
 * outcomes; every replica applies it to the same entries in the same order from the same
 * snapshot, so every replica holds the same state and takes the same decisions.
 *
 * <h2>Rules, per append of an entry, in order</h2>
 * <ol>
 *   <li>Idempotence (producer id &ge; 0, header version &ge; 2), with the unit's sequences
 *   {@code [base, base + records - 1]} (wrapping after {@code Integer.MAX_VALUE}):
 *   <ul>
 *     <li>unknown (or expired) producer id: base sequence 0 starts it, anything else is
 *     {@code UNKNOWN_PRODUCER_ID};</li>
 *     <li>epoch older than the producer's: {@code INVALID_PRODUCER_EPOCH};</li>
 *     <li>epoch newer: must start at sequence 0 (it fences the older epoch once written),
 *     {@code OUT_OF_ORDER_SEQUENCE} otherwise;</li>
 *     <li>same epoch: a unit with the first and last sequence of one of the producer's
 *     remembered units is a {@code DUPLICATE} (nothing written, success with the original
 *     offsets); base = last sequence + 1 appends; a unit wholly behind the last sequence is a
 *     {@code DUPLICATE_SEQUENCE} (written too long ago to know its offsets); anything else is a
 *     gap: {@code OUT_OF_ORDER_SEQUENCE}.</li>
 *   </ul></li>
 *   <li>Partition condition: expected end offset &ne; end offset: {@code END_OFFSET_MISMATCH}.</li>
 *   <li>Key conditions, in order: the key's last offset (-1 when it has none) &ne; expected:
 *   {@code KEY_OFFSET_MISMATCH}.</li>
 *   <li>Otherwise {@code APPENDED}: the unit takes the next offsets, the producer's state and the
 *   key index are updated before the next append of the entry is decided (so two conditional
 *   appends in one entry see each other).</li>
 * </ol>
 *
 * <h2>Key index</h2>
 * Every record with a non-null key of every appended unit updates it: a record with a value sets
 * the key's offset, a tombstone (null value) removes the key. So a key whose last record is a
 * tombstone counts as having no record (-1), which makes the index independent of compaction and
 * retention (which run on each replica on their own schedule): compaction keeps a key's last
 * record and only ever drops a tombstone, retention drops old segments, and neither changes the
 * index. It is always on: building it lazily from the log on first use would read a log that
 * retention may have shortened differently on each replica. Cost: one pass over the records of
 * each appended batch on every replica (compressed batches are decompressed once more; the
 * broker's validation already decompresses them once on the leader), and in memory about
 * {@code 100 + key length} bytes per live key (a key whose last record is a tombstone costs
 * nothing). Records with a null key cost only the pass.
 *
 * <h2>Expiry</h2>
 * Time is the leader's clock stamped into each entry ({@code append_time_ms}); this state's clock
 * is the maximum seen, so it never goes back when leadership moves to a broker whose clock is
 * behind. A producer with no append for the entry's {@code producer_id_expiration_ms} before that
 * clock is forgotten: when it is looked up, and by a sweep at most once a minute (of the state's
 * clock). Both depend only on the entries, so every replica forgets the same producers at the
 * same entry.
 *
 * <h2>Undo</h2>
 * Entries are decided when they are written to the Raft log, before they are committed, and a new
 * leader may cut uncommitted entries ({@link #undoFrom}); every change records how to revert it,
 * by entry index, until the entry is applied ({@link #applied}). A snapshot at the applied index is
 * a copy of the state with the changes of the entries above it reverted ({@link #copyAt}).
 *
 * <p>Thread-safety: not thread-safe; the state machine guards it with one lock.
 */
final class PartitionState {

    /** Units remembered per producer for duplicate detection (Kafka's 5 in-flight requests). */
    static final int MAX_BATCHES_PER_PRODUCER = 5;
    /** Kafka's default {@code producer.id.expiration.ms}: one day. */
    static final long DEFAULT_PRODUCER_ID_EXPIRATION_MS = 86_400_000L;
    /** The expiry sweep runs at most this often (state clock). */
    static final long EXPIRY_SWEEP_INTERVAL_MS = 60_000L;

    /** One remembered unit of a producer. */
    record BatchMeta(int firstSequence, int lastSequence, long firstOffset, long lastOffset) {
    }

    /** A producer's state; immutable (a change replaces it, so undo keeps the old one). */
    record ProducerEntry(int epoch, long lastAppendMs, List<BatchMeta> batches) {
        ProducerEntry {
            batches = List.copyOf(batches);
        }

        int lastSequence() {
            return batches.get(batches.size() - 1).lastSequence();
        }
    }

    /** A key's bytes, compared by content. */
    static final class Key {
        final byte[] bytes;
        private final int hash;

        Key(byte[] bytes) {
            this.bytes = bytes;
            this.hash = Arrays.hashCode(bytes);
        }

        static Key of(ByteBuffer b) {
            byte[] a = new byte[b.remaining()];
            b.duplicate().get(a);
            return new Key(a);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.hash == hash && Arrays.equals(k.bytes, bytes);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    /** Receives the records of an appended unit: key (null: no key), tombstone, absolute offset. */
    interface RecordSink {
        void record(ByteBuffer key, boolean tombstone, long offset);
    }

    /** Where the records of an appended unit are read from (the entry's data, or the log). */
    interface RecordSource {
        /** Feeds {@code sink} the records of append {@code appendIndex}, whose first offset is {@code firstOffset}. */
        void forEachRecord(int appendIndex, long firstOffset, RecordSink sink);
    }

    /** How to revert one change. */
    private sealed interface Undo permits ProducerUndo, KeyUndo, ClockUndo {
        void revert(PartitionState s);
    }

    private record ProducerUndo(long producerId, ProducerEntry previous) implements Undo {
        @Override
        public void revert(PartitionState s) {
            if (previous == null) {
                s.producers.remove(producerId);
            } else {
                s.producers.put(producerId, previous);
            }
        }
    }

    private record KeyUndo(Key key, long previous) implements Undo {
        @Override
        public void revert(PartitionState s) {
            if (previous < 0) {
                s.keys.remove(key);
            } else {
                s.keys.put(key, previous);
            }
        }
    }

    private record ClockUndo(long clockMs, long lastSweepMs) implements Undo {
        @Override
        public void revert(PartitionState s) {
            s.clockMs = clockMs;
            s.lastSweepMs = lastSweepMs;
        }
    }

    final HashMap<Long, ProducerEntry> producers;
    final HashMap<Key, Long> keys;
    long clockMs;
    long lastSweepMs;
    private final TreeMap<Long, List<Undo>> undo = new TreeMap<>();

    PartitionState() {
        this(new HashMap<>(), new HashMap<>(), 0, 0);
    }

    PartitionState(HashMap<Long, ProducerEntry> producers, HashMap<Key, Long> keys, long clockMs, long lastSweepMs) {
        this.producers = producers;
        this.keys = keys;
        this.clockMs = clockMs;
        this.lastSweepMs = lastSweepMs;
    }

    /**
     * A state without producers whose key index holds the records of {@code log} in
     * {@code [from, to)} (for snapshots written before state files existed).
     */
    static PartitionState withKeysOf(io.tributary.log.Log log, long from, long to) {
        PartitionState s = new PartitionState();
        PartitionRecords.fromLog(log, from, to, (key, tombstone, offset) -> {
            if (key == null || offset < from) {
                return;
            }
            if (tombstone) {
                s.keys.remove(Key.of(key));
            } else {
                s.keys.put(Key.of(key), offset);
            }
        });
        return s;
    }

    /** The offset of the key's last record, or -1. */
    long lastOffsetOf(byte[] key) {
        Long o = keys.get(new Key(key));
        return o == null ? -1 : o;
    }

    ProducerEntry producer(long producerId) {
        return producers.get(producerId);
    }

    // ================================================================ the rule

    static int nextSequence(int sequence) {
        return sequence == Integer.MAX_VALUE ? 0 : sequence + 1;
    }

    /** {@code sequence + increment}, wrapping to 0 after Integer.MAX_VALUE (Kafka's rule). */
    static int addSequence(int sequence, int increment) {
        if (sequence > Integer.MAX_VALUE - increment) {
            return increment - (Integer.MAX_VALUE - sequence) - 1;
        }
        return sequence + increment;
    }

    /** Whether {@code sequence} is at or before {@code last}, less than half the sequence space behind it. */
    static boolean atOrBehind(int sequence, int last) {
        long distance = ((long) last - sequence + (1L << 31)) % (1L << 31);
        return distance < (1L << 30);
    }

    /**
     * Decides the appends of entry {@code index}, written at {@code endOffset}, and applies the
     * appended ones to this state (recording their undo under {@code index}).
     */
    PartitionEntryFormat.Decision decide(long index, PartitionEntryHeader h, long endOffset, RecordSource records) {
        List<Undo> changes = new ArrayList<>();
        // Registered first: a failure half way (unreadable records) leaves changes the caller undoes.
        undo.put(index, changes);
        try {
            return decide(h, endOffset, records, changes);
        } finally {
            if (changes.isEmpty()) {
                undo.remove(index);
            }
        }
    }

    private PartitionEntryFormat.Decision decide(PartitionEntryHeader h, long endOffset, RecordSource records,
                                                 List<Undo> changes) {
        long now = Math.max(clockMs, h.getAppendTimeMs());
        long expirationMs = h.getProducerIdExpirationMs() > 0 ? h.getProducerIdExpirationMs()
                : DEFAULT_PRODUCER_ID_EXPIRATION_MS;
        boolean idempotence = h.getVersion() >= PartitionEntryFormat.VERSION_2;
        if (now != clockMs || (idempotence && now - lastSweepMs >= Math.min(expirationMs, EXPIRY_SWEEP_INTERVAL_MS))) {
            changes.add(new ClockUndo(clockMs, lastSweepMs));
            clockMs = now;
            if (idempotence && now - lastSweepMs >= Math.min(expirationMs, EXPIRY_SWEEP_INTERVAL_MS)) {
                lastSweepMs = now;
                for (Iterator<Map.Entry<Long, ProducerEntry>> it = producers.entrySet().iterator(); it.hasNext(); ) {
                    Map.Entry<Long, ProducerEntry> e = it.next();
                    if (e.getValue().lastAppendMs() + expirationMs < now) {
                        changes.add(new ProducerUndo(e.getKey(), e.getValue()));
                        it.remove();
                    }
                }
            }
        }
        int n = h.getAppendsCount();
        PartitionAppendOutcome[] outcomes = new PartitionAppendOutcome[n];
        long[] offsets = new long[n];
        long[] lastOffsets = new long[n];
        long[] details = new long[n];
        long end = endOffset;
        for (int i = 0; i < n; i++) {
            PartitionAppend a = h.getAppends(i);
            offsets[i] = end;
            lastOffsets[i] = -1;
            details[i] = -1;
            boolean idempotent = idempotence && a.getProducerId() >= 0;
            ProducerEntry producer = null;
            int lastSequence = -1;
            if (idempotent) {
                producer = producers.get(a.getProducerId());
                if (producer != null && producer.lastAppendMs() + expirationMs < now) {
                    producer = null; // expired: the sweep removes it, or the append below replaces it
                }
                int base = a.getBaseSequence();
                lastSequence = addSequence(base, a.getRecordCount() - 1);
                PartitionAppendOutcome o = null;
                if (producer == null) {
                    if (base != 0) {
                        o = PartitionAppendOutcome.UNKNOWN_PRODUCER_ID;
                    }
                } else if (a.getProducerEpoch() < producer.epoch()) {
                    o = PartitionAppendOutcome.INVALID_PRODUCER_EPOCH;
                    details[i] = producer.epoch();
                } else if (a.getProducerEpoch() > producer.epoch()) {
                    if (base != 0) {
                        o = PartitionAppendOutcome.OUT_OF_ORDER_SEQUENCE;
                        details[i] = 0;
                    }
                } else {
                    for (BatchMeta b : producer.batches()) {
                        if (b.firstSequence() == base && b.lastSequence() == lastSequence) {
                            o = PartitionAppendOutcome.DUPLICATE;
                            offsets[i] = b.firstOffset();
                            lastOffsets[i] = b.lastOffset();
                            break;
                        }
                    }
                    int expected = nextSequence(producer.lastSequence());
                    if (o == null && base != expected) {
                        if (atOrBehind(lastSequence, producer.lastSequence())
                                && atOrBehind(base, producer.lastSequence())) {
                            o = PartitionAppendOutcome.DUPLICATE_SEQUENCE;
                            details[i] = producer.lastSequence();
                        } else {
                            o = PartitionAppendOutcome.OUT_OF_ORDER_SEQUENCE;
                            details[i] = expected;
                        }
                    }
                }
                if (o != null) {
                    outcomes[i] = o;
                    continue;
                }
            }
            if (a.getExpectedEndOffset() >= 0 && a.getExpectedEndOffset() != end) {
                outcomes[i] = PartitionAppendOutcome.END_OFFSET_MISMATCH;
                continue;
            }
            boolean keysHold = true;
            for (int k = 0; k < a.getKeyConditionsCount(); k++) {
                PartitionKeyCondition c = a.getKeyConditions(k);
                Long actual = keys.get(new Key(c.getKey().toByteArray()));
                long actualOffset = actual == null ? -1 : actual;
                if (actualOffset != c.getExpectedLastOffset()) {
                    outcomes[i] = PartitionAppendOutcome.KEY_OFFSET_MISMATCH;
                    offsets[i] = actualOffset;
                    details[i] = k;
                    keysHold = false;
                    break;
                }
            }
            if (!keysHold) {
                continue;
            }
            outcomes[i] = PartitionAppendOutcome.APPENDED;
            long first = end;
            long last = end + a.getRecordCount() - 1;
            lastOffsets[i] = last;
            if (idempotent) {
                List<BatchMeta> batches = new ArrayList<>(MAX_BATCHES_PER_PRODUCER);
                if (producer != null && producer.epoch() == a.getProducerEpoch()) {
                    batches.addAll(producer.batches());
                }
                batches.add(new BatchMeta(a.getBaseSequence(), lastSequence, first, last));
                while (batches.size() > MAX_BATCHES_PER_PRODUCER) {
                    batches.remove(0);
                }
                changes.add(new ProducerUndo(a.getProducerId(), producers.get(a.getProducerId())));
                producers.put(a.getProducerId(), new ProducerEntry(a.getProducerEpoch(), now, batches));
            }
            records.forEachRecord(i, first, (key, tombstone, offset) -> {
                if (key == null) {
                    return;
                }
                Key k = Key.of(key);
                Long previous = tombstone ? keys.remove(k) : keys.put(k, offset);
                changes.add(new KeyUndo(k, previous == null ? -1 : previous));
            });
            end += a.getRecordCount();
        }
        return new PartitionEntryFormat.Decision(endOffset, end, outcomes, offsets, lastOffsets, details);
    }

    // ================================================================ undo

    /** Entry {@code index} and those before it are committed and applied: their changes are final. */
    void applied(long index) {
        undo.headMap(index, true).clear();
    }

    /** Reverts the changes of entries {@code index} and above (the Raft log was cut there), newest first. */
    void undoFrom(long index) {
        NavigableMap<Long, List<Undo>> cut = undo.tailMap(index, true);
        revert(cut, this);
        cut.clear();
    }

    private static void revert(NavigableMap<Long, List<Undo>> changes, PartitionState target) {
        for (List<Undo> list : changes.descendingMap().values()) {
            for (int i = list.size() - 1; i >= 0; i--) {
                list.get(i).revert(target);
            }
        }
    }

    /** A copy of the state as it was after entry {@code index} (entries above it reverted), without undo. */
    PartitionState copyAt(long index) {
        PartitionState copy = new PartitionState(new HashMap<>(producers), new HashMap<>(keys), clockMs, lastSweepMs);
        revert(undo.tailMap(index, false), copy);
        return copy;
    }

    /** Entries with changes not yet applied (for tests). */
    int pendingEntries() {
        return undo.size();
    }
}
