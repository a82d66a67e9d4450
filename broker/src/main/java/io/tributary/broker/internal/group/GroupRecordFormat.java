package io.tributary.broker.internal.group;

import io.tributary.replication.TopicPartition;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Keys and values of the records the group coordinator writes into {@code __consumer_offsets}
 * (the on-disk format; FORMAT.md beside this class is the overview). Big-endian throughout.
 *
 * <pre>
 * string   = int16 length (0..32767) + UTF-8 bytes
 * text     = int32 length + UTF-8 bytes              (offset metadata, up to the broker's limit)
 * tps      = int32 count + count x (string topic, int32 partition)
 * owned    = int32 count + count x (string topic, int32 partition, int32 since_generation)
 *
 * key      = int16 key_version (0) + int16 type + fields of the type:
 *   type 0 OFFSET   string group, string topic, int32 partition
 *   type 1 GROUP    string group
 *   type 2 MEMBER   string group, string member_id
 *   type 3 MARKER   (no field: one per partition, written when a broker starts coordinating it)
 *
 * value    = null (a tombstone: the key's entity is deleted) or int16 value_version + fields:
 *   OFFSET  (0) int64 offset, text metadata, int64 commit_timestamp_ms
 *   GROUP   (1) int32 group_epoch, string assignor, int64 empty_since_ms
 *           (version 0: the same without empty_since_ms)
 *   MEMBER  string client_id, string client_host, int32 session_timeout_ms,
 *           int32 rebalance_timeout_ms, string assignor (empty: the broker default),
 *           int32 generation, int32 topic count + count x string topic (the subscription),
 *           tps target, owned assigned, owned revoking
 *   MARKER  int32 broker_id, int64 leader_epoch
 * </pre>
 *
 * {@code empty_since_ms} is the coordinator's clock (epoch ms) when the group's last member left,
 * or -1 while it has members; offsets retention ({@code group.offsets.retention.ms}) counts from it.
 *
 * <p>Readers accept key version 0, value version 0, and value version 1 of GROUP, and refuse
 * anything else with {@link IllegalArgumentException} (the coordinator then does not serve the
 * partition rather than lose state). Writers write GROUP values in version 1, the others in 0.
 * Version history: 0, the first (issue 4); 1, GROUP value gains {@code empty_since_ms} (offsets
 * retention), a version-0 GROUP value reads as {@code empty_since_ms} -1.
 *
 * <p>Thread-safety: stateless.
 */
public final class GroupRecordFormat {
    /** Key version 0: the layout above. */
    public static final short KEY_VERSION = 0;
    /** Value version 0: the layout above (GROUP without empty_since_ms). */
    public static final short VALUE_VERSION = 0;
    /** Value version 1, GROUP only: adds int64 empty_since_ms. */
    public static final short GROUP_VALUE_VERSION = 1;

    public static final short TYPE_OFFSET = 0;
    public static final short TYPE_GROUP = 1;
    public static final short TYPE_MEMBER = 2;
    public static final short TYPE_MARKER = 3;

    /** A record key. */
    public sealed interface Key permits OffsetKey, GroupKey, MemberKey, MarkerKey {
        /** The group the record belongs to, null for a marker. */
        String group();
    }

    public record OffsetKey(String group, String topic, int partition) implements Key {
    }

    public record GroupKey(String group) implements Key {
    }

    public record MemberKey(String group, String memberId) implements Key {
    }

    public record MarkerKey() implements Key {
        @Override
        public String group() {
            return null;
        }
    }

    public record OffsetValue(long offset, String metadata, long commitTimestampMs) {
    }

    /**
     * @param emptySinceMs when the group's last member left (epoch ms), or {@link #NOT_EMPTY}
     *     while it has members (and when read from a version-0 value)
     */
    public record GroupValue(int groupEpoch, String assignor, long emptySinceMs) {
        public static final long NOT_EMPTY = -1;
    }

    /** Assigned or revoking partitions with the generation each was given to the member at. */
    public record MemberValue(String clientId, String clientHost, int sessionTimeoutMs, int rebalanceTimeoutMs,
                              String assignor, int generation, List<String> topics, List<TopicPartition> target,
                              Map<TopicPartition, Integer> assigned, Map<TopicPartition, Integer> revoking) {
    }

    public record MarkerValue(int brokerId, long leaderEpoch) {
    }

    private GroupRecordFormat() {
    }

    // ------------------------------------------------------------------ keys

    public static byte[] encodeKey(Key key) {
        Writer w = new Writer();
        w.int16(KEY_VERSION);
        if (key instanceof OffsetKey k) {
            w.int16(TYPE_OFFSET).string(k.group()).string(k.topic()).int32(k.partition());
        } else if (key instanceof GroupKey k) {
            w.int16(TYPE_GROUP).string(k.group());
        } else if (key instanceof MemberKey k) {
            w.int16(TYPE_MEMBER).string(k.group()).string(k.memberId());
        } else {
            w.int16(TYPE_MARKER);
        }
        return w.bytes();
    }

    /** @throws IllegalArgumentException for an unknown version or type, or truncated bytes */
    public static Key decodeKey(ByteBuffer bytes) {
        ByteBuffer b = bytes.duplicate();
        try {
            short version = b.getShort();
            if (version != KEY_VERSION) {
                throw new IllegalArgumentException("__consumer_offsets key version " + version + " is not supported"
                        + " (this broker reads version " + KEY_VERSION + ")");
            }
            short type = b.getShort();
            Key k;
            switch (type) {
                case TYPE_OFFSET:
                    k = new OffsetKey(string(b), string(b), b.getInt());
                    break;
                case TYPE_GROUP:
                    k = new GroupKey(string(b));
                    break;
                case TYPE_MEMBER:
                    k = new MemberKey(string(b), string(b));
                    break;
                case TYPE_MARKER:
                    k = new MarkerKey();
                    break;
                default:
                    throw new IllegalArgumentException("__consumer_offsets key type " + type + " is not known");
            }
            end(b, "key");
            return k;
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("__consumer_offsets key is truncated", e);
        }
    }

    // ------------------------------------------------------------------ values

    public static byte[] encodeOffset(OffsetValue v) {
        return new Writer().int16(VALUE_VERSION).int64(v.offset()).text(v.metadata()).int64(v.commitTimestampMs())
                .bytes();
    }

    public static byte[] encodeGroup(GroupValue v) {
        return new Writer().int16(GROUP_VALUE_VERSION).int32(v.groupEpoch()).string(v.assignor())
                .int64(v.emptySinceMs()).bytes();
    }

    public static byte[] encodeMember(MemberValue v) {
        Writer w = new Writer().int16(VALUE_VERSION).string(v.clientId()).string(v.clientHost())
                .int32(v.sessionTimeoutMs()).int32(v.rebalanceTimeoutMs()).string(v.assignor()).int32(v.generation());
        w.int32(v.topics().size());
        v.topics().forEach(w::string);
        w.int32(v.target().size());
        v.target().forEach(tp -> w.string(tp.topic()).int32(tp.partition()));
        for (Map<TopicPartition, Integer> owned : List.of(v.assigned(), v.revoking())) {
            w.int32(owned.size());
            owned.forEach((tp, since) -> w.string(tp.topic()).int32(tp.partition()).int32(since));
        }
        return w.bytes();
    }

    public static byte[] encodeMarker(MarkerValue v) {
        return new Writer().int16(VALUE_VERSION).int32(v.brokerId()).int64(v.leaderEpoch()).bytes();
    }

    /**
     * Decodes the value of {@code key}: an {@link OffsetValue}, {@link GroupValue},
     * {@link MemberValue} or {@link MarkerValue}.
     *
     * @throws IllegalArgumentException for an unknown version, or bytes that do not match
     */
    public static Object decodeValue(Key key, ByteBuffer bytes) {
        ByteBuffer b = bytes.duplicate();
        try {
            short version = b.getShort();
            boolean groupV1 = key instanceof GroupKey && version == GROUP_VALUE_VERSION;
            if (version != VALUE_VERSION && !groupV1) {
                throw new IllegalArgumentException("__consumer_offsets value version " + version + " of " + key
                        + " is not supported (this broker reads version " + VALUE_VERSION + ", and "
                        + GROUP_VALUE_VERSION + " for GROUP values)");
            }
            Object v;
            if (key instanceof OffsetKey) {
                v = new OffsetValue(b.getLong(), text(b), b.getLong());
            } else if (key instanceof GroupKey) {
                int epoch = b.getInt();
                String assignor = string(b);
                v = new GroupValue(epoch, assignor, groupV1 ? b.getLong() : GroupValue.NOT_EMPTY);
            } else if (key instanceof MemberKey) {
                String clientId = string(b);
                String host = string(b);
                int session = b.getInt();
                int rebalance = b.getInt();
                String assignor = string(b);
                int generation = b.getInt();
                int n = count(b);
                List<String> topics = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    topics.add(string(b));
                }
                n = count(b);
                List<TopicPartition> target = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    target.add(new TopicPartition(string(b), b.getInt()));
                }
                v = new MemberValue(clientId, host, session, rebalance, assignor, generation, topics, target,
                        owned(b), owned(b));
            } else {
                v = new MarkerValue(b.getInt(), b.getLong());
            }
            end(b, "value of " + key);
            return v;
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("__consumer_offsets value of " + key + " is truncated", e);
        }
    }

    private static Map<TopicPartition, Integer> owned(ByteBuffer b) {
        int n = count(b);
        Map<TopicPartition, Integer> out = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            out.put(new TopicPartition(string(b), b.getInt()), b.getInt());
        }
        return out;
    }

    private static int count(ByteBuffer b) {
        int n = b.getInt();
        if (n < 0 || n > b.remaining()) {
            throw new IllegalArgumentException("__consumer_offsets record has a bad count " + n);
        }
        return n;
    }

    private static String string(ByteBuffer b) {
        int n = b.getShort();
        if (n < 0 || n > b.remaining()) {
            throw new IllegalArgumentException("__consumer_offsets record has a bad string length " + n);
        }
        byte[] s = new byte[n];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    private static String text(ByteBuffer b) {
        int n = count(b);
        byte[] s = new byte[n];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    private static void end(ByteBuffer b, String what) {
        if (b.hasRemaining()) {
            throw new IllegalArgumentException("__consumer_offsets " + what + " has " + b.remaining()
                    + " unexpected trailing bytes");
        }
    }

    /** A growable big-endian writer. */
    private static final class Writer {
        private ByteBuffer buf = ByteBuffer.allocate(128);

        private void ensure(int n) {
            if (buf.remaining() < n) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(buf.capacity() * 2, buf.position() + n));
                buf.flip();
                bigger.put(buf);
                buf = bigger;
            }
        }

        Writer int16(int v) {
            ensure(2);
            buf.putShort((short) v);
            return this;
        }

        Writer int32(int v) {
            ensure(4);
            buf.putInt(v);
            return this;
        }

        Writer int64(long v) {
            ensure(8);
            buf.putLong(v);
            return this;
        }

        Writer string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            if (b.length > Short.MAX_VALUE) {
                throw new IllegalArgumentException("string of " + b.length + " bytes is too long for a record key");
            }
            int16(b.length);
            ensure(b.length);
            buf.put(b);
            return this;
        }

        Writer text(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            int32(b.length);
            ensure(b.length);
            buf.put(b);
            return this;
        }

        byte[] bytes() {
            byte[] out = new byte[buf.position()];
            buf.flip();
            buf.get(out);
            return out;
        }
    }
}
