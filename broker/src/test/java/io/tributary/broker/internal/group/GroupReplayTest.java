package io.tributary.broker.internal.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.broker.internal.group.GroupRecordFormat.GroupKey;
import io.tributary.broker.internal.group.GroupRecordFormat.GroupValue;
import io.tributary.broker.internal.group.GroupRecordFormat.Key;
import io.tributary.broker.internal.group.GroupRecordFormat.MarkerKey;
import io.tributary.broker.internal.group.GroupRecordFormat.MarkerValue;
import io.tributary.broker.internal.group.GroupRecordFormat.MemberKey;
import io.tributary.broker.internal.group.GroupRecordFormat.OffsetKey;
import io.tributary.broker.internal.group.GroupRecordFormat.OffsetValue;
import io.tributary.log.LogReadResult;
import io.tributary.record.Compression;
import io.tributary.record.RecordBatch;
import io.tributary.record.RecordBatchBuilder;
import io.tributary.record.RecordBatchFormat;
import io.tributary.replication.TopicPartition;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Loading a coordinator's groups from what __consumer_offsets may hold after compaction:
 * compressed batches, offset gaps, batches without records, a read that starts inside a batch,
 * tombstones, and records past the load's end (ignored).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class GroupReplayTest {

    /** Committed batches in memory, read one batch per call like a small read budget would. */
    static final class Batches implements GroupShard.LogSource {
        final List<RecordBatch> batches = new ArrayList<>();
        long logStart;

        @Override
        public long logStartOffset() {
            return logStart;
        }

        @Override
        public LogReadResult read(long offset, int maxBytes) {
            for (RecordBatch b : batches) {
                if (b.lastOffset() >= offset) {
                    return new LogReadResult(b.buffer(), b.baseOffset(), b.nextOffset(), logStart, end());
                }
            }
            return new LogReadResult(ByteBuffer.allocate(0), offset, offset, logStart, end());
        }

        long end() {
            return batches.isEmpty() ? 0 : batches.get(batches.size() - 1).nextOffset();
        }
    }

    static ByteBuffer key(Key k) {
        return ByteBuffer.wrap(GroupRecordFormat.encodeKey(k));
    }

    static ByteBuffer offset(long o) {
        return ByteBuffer.wrap(GroupRecordFormat.encodeOffset(new OffsetValue(o, "meta", 1000)));
    }

    static ByteBuffer member(String topic) {
        Member m = new Member("x");
        m.clientId = "c";
        m.clientHost = "h";
        m.sessionTimeoutMs = 10_000;
        m.rebalanceTimeoutMs = 20_000;
        m.assignor = "";
        m.generation = 3;
        m.topics.add(topic);
        m.target.add(new TopicPartition(topic, 0));
        m.assigned.put(new TopicPartition(topic, 0), 2);
        return ByteBuffer.wrap(GroupRecordFormat.encodeMember(m.toValue()));
    }

    /** The cleaner's empty batch: the header of {@code batch} with no record (log-segment FORMAT.md). */
    static RecordBatch emptied(RecordBatch batch) {
        ByteBuffer b = ByteBuffer.allocate(RecordBatchFormat.RECORD_BATCH_OVERHEAD);
        ByteBuffer header = batch.buffer();
        header.limit(RecordBatchFormat.RECORD_BATCH_OVERHEAD);
        b.put(header).flip();
        b.putInt(RecordBatchFormat.LENGTH_OFFSET, RecordBatchFormat.MIN_BATCH_LENGTH);
        b.putShort(RecordBatchFormat.ATTRIBUTES_OFFSET,
                (short) (batch.attributes() & ~RecordBatchFormat.COMPRESSION_CODEC_MASK));
        b.putInt(RecordBatchFormat.RECORDS_COUNT_OFFSET, 0);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), RecordBatchFormat.ATTRIBUTES_OFFSET,
                RecordBatchFormat.RECORD_BATCH_OVERHEAD - RecordBatchFormat.ATTRIBUTES_OFFSET);
        b.putInt(RecordBatchFormat.CRC_OFFSET, (int) crc.getValue());
        return RecordBatch.wrap(b);
    }

    @Test
    void shouldRebuildGroupsFromCompactedAndCompressedBatches() {
        Batches log = new Batches();
        // 0..2, compressed; the load starts at 1, inside it (the marker at 0 is skipped).
        RecordBatchBuilder b1 = new RecordBatchBuilder(Compression.ZSTD, 1 << 20).baseOffset(0);
        b1.append(1, key(new MarkerKey()), ByteBuffer.wrap(GroupRecordFormat.encodeMarker(new MarkerValue(1, 1))));
        b1.append(1, key(new GroupKey("g1")), ByteBuffer.wrap(GroupRecordFormat.encodeGroup(new GroupValue(1,
                "range", GroupValue.NOT_EMPTY))));
        b1.append(1, key(new MemberKey("g1", "m1")), member("orders"));
        log.batches.add(b1.build());
        // 3..9 with records at 3 and 6 only (compaction removed the others).
        RecordBatchBuilder b2 = new RecordBatchBuilder(Compression.LZ4, 1 << 20).baseOffset(3);
        b2.appendWithOffset(3, 1, key(new OffsetKey("g1", "orders", 0)), offset(5));
        b2.appendWithOffset(6, 1, key(new OffsetKey("g1", "orders", 1)), offset(7));
        b2.lastOffsetDelta(6);
        log.batches.add(b2.build());
        // 10..12: a batch compaction emptied.
        RecordBatchBuilder b3 = new RecordBatchBuilder(Compression.NONE, 1 << 20).baseOffset(10);
        b3.append(1, key(new OffsetKey("g9", "t", 0)), offset(1));
        b3.append(1, key(new OffsetKey("g9", "t", 1)), offset(1));
        b3.append(1, key(new OffsetKey("g9", "t", 2)), offset(1));
        log.batches.add(emptied(b3.build()));
        // 13..16
        RecordBatchBuilder b4 = new RecordBatchBuilder(Compression.NONE, 1 << 20).baseOffset(13);
        b4.append(1, key(new OffsetKey("g1", "orders", 0)), offset(8));
        b4.append(1, key(new OffsetKey("g1", "orders", 1)), null);
        b4.append(1, key(new GroupKey("g2")), ByteBuffer.wrap(GroupRecordFormat.encodeGroup(new GroupValue(3,
                "sticky", GroupValue.NOT_EMPTY))));
        b4.append(1, key(new MemberKey("g1", "m2")), member("orders"));
        log.batches.add(b4.build());
        // 17..18: tombstones.
        RecordBatchBuilder b5 = new RecordBatchBuilder(Compression.GZIP, 1 << 20).baseOffset(17);
        b5.append(1, key(new MemberKey("g1", "m2")), null);
        b5.append(1, key(new GroupKey("g2")), null);
        log.batches.add(b5.build());
        // 19..20: the load ends at 19.
        RecordBatchBuilder b6 = new RecordBatchBuilder(Compression.NONE, 1 << 20).baseOffset(19);
        b6.append(1, key(new OffsetKey("g3", "x", 0)), offset(1));
        b6.append(1, key(new OffsetKey("g3", "x", 1)), offset(1));
        log.batches.add(b6.build());
        log.logStart = 1;

        Map<String, Group> groups = GroupShard.replay(log, 0, 19, "sticky");

        assertThat(groups.keySet()).containsExactlyInAnyOrder("g1", "g3");
        Group g1 = groups.get("g1");
        assertThat(g1.hasMetadata).isTrue();
        assertThat(g1.epoch).isEqualTo(1);
        assertThat(g1.assignor).isEqualTo("range");
        assertThat(g1.members.keySet()).containsExactly("m1");
        Member m1 = g1.members.get("m1");
        assertThat(m1.generation).isEqualTo(3);
        assertThat(m1.assigned).containsEntry(new TopicPartition("orders", 0), 2);
        assertThat(g1.offsets).containsOnlyKeys(new TopicPartition("orders", 0));
        assertThat(g1.offsets.get(new TopicPartition("orders", 0)).offset()).isEqualTo(8);
        Group g3 = groups.get("g3");
        assertThat(g3.hasMetadata).isFalse();
        assertThat(g3.offsets).containsOnlyKeys(new TopicPartition("x", 0));
    }

    @Test
    void shouldKnowWhenAGroupBecameEmptyFromItsRecords() {
        Batches log = new Batches();
        RecordBatchBuilder b = new RecordBatchBuilder(Compression.NONE, 1 << 20).baseOffset(0);
        // "v1": a version-1 GROUP value says when its last member left.
        b.append(5_000, key(new GroupKey("v1")), ByteBuffer.wrap(GroupRecordFormat.encodeGroup(new GroupValue(2,
                "sticky", 4_000))));
        b.append(5_000, key(new OffsetKey("v1", "t", 0)), offset(1));
        // "v0": a version-0 GROUP value (no empty_since_ms) of a group without members: its record time.
        byte[] v0 = {0, 0, 0, 0, 0, 3, 0, 5, 'r', 'a', 'n', 'g', 'e'};
        b.append(7_000, key(new GroupKey("v0")), ByteBuffer.wrap(v0));
        // "busy": members, so not empty whatever the value says.
        b.append(8_000, key(new GroupKey("busy")), ByteBuffer.wrap(GroupRecordFormat.encodeGroup(new GroupValue(1,
                "sticky", GroupValue.NOT_EMPTY))));
        b.append(8_000, key(new MemberKey("busy", "m")), member("t"));
        // "commits": offsets only (standalone commits): its newest commit time.
        b.append(9_000, key(new OffsetKey("commits", "t", 0)), offset(1));
        log.batches.add(b.build());

        Map<String, Group> groups = GroupShard.replay(log, 0, 5, "sticky");

        assertThat(groups.get("v1").emptySinceMs).isEqualTo(4_000);
        assertThat(groups.get("v1").lastUsedWhileEmptyMs()).as("its commit (at 1000) is older").isEqualTo(4_000);
        assertThat(groups.get("v0").emptySinceMs).isEqualTo(7_000);
        assertThat(groups.get("v0").assignor).isEqualTo("range");
        assertThat(groups.get("busy").emptySinceMs).isEqualTo(GroupValue.NOT_EMPTY);
        assertThat(groups.get("commits").hasMetadata).isFalse();
        assertThat(groups.get("commits").lastUsedWhileEmptyMs()).isEqualTo(1_000);
    }

    @Test
    void shouldRefuseARecordOfANewerFormat() {
        Batches log = new Batches();
        byte[] k = GroupRecordFormat.encodeKey(new GroupKey("g"));
        k[1] = 1;
        RecordBatchBuilder b = new RecordBatchBuilder(Compression.NONE, 1 << 20);
        b.append(1, ByteBuffer.wrap(k), ByteBuffer.wrap(new byte[] {0, 1}));
        log.batches.add(b.build());
        assertThatThrownBy(() -> GroupShard.replay(log, 0, 0, "sticky"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("key version 1");
    }
}
