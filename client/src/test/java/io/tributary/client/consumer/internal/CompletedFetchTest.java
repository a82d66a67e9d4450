package io.tributary.client.consumer.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.client.TopicPartition;
import io.tributary.client.errors.CorruptRecordException;
import io.tributary.record.Compression;
import io.tributary.record.Header;
import io.tributary.record.Record;
import io.tributary.record.RecordBatch;
import io.tributary.record.RecordBatchBuilder;
import io.tributary.record.RecordBatchFormat;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Decoding one Subscribe message's batches: positions, gaps, empty and control batches, codecs, CRC. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CompletedFetchTest {

    private static final TopicPartition TP = new TopicPartition("t", 3);

    private static ByteBuffer b(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    /** Offsets 0-2 (none), 3,5,9 of 3..9 (gzip, a compacted batch), an empty batch 10..14, a control batch 15, 16-17 (lz4). */
    private static ByteBuffer message() {
        List<RecordBatch> batches = new ArrayList<>();
        RecordBatchBuilder a = new RecordBatchBuilder(Compression.NONE, 1 << 16).baseOffset(0);
        for (int i = 0; i < 3; i++) {
            a.append(1000 + i, b("k" + i), b("v" + i), new Header("h", new byte[] {(byte) i}));
        }
        batches.add(a.build());
        RecordBatchBuilder g = new RecordBatchBuilder(Compression.GZIP, 1 << 16).baseOffset(3);
        g.appendWithOffset(3, 2000, b("k3"), b("v3"));
        g.appendWithOffset(5, 2001, null, b("v5"));
        g.appendWithOffset(9, 2002, b("k9"), null);
        g.lastOffsetDelta(6);
        batches.add(g.build());
        batches.add(emptyBatch(10, 4));
        RecordBatchBuilder c = new RecordBatchBuilder(Compression.NONE, 1 << 16).baseOffset(15).control(true);
        c.append(3000, b("marker"), b("x"));
        batches.add(c.build());
        RecordBatchBuilder z = new RecordBatchBuilder(Compression.LZ4, 1 << 16).baseOffset(16);
        z.append(4000, b("k16"), b("v16"));
        z.append(4001, b("k17"), b("v17"));
        batches.add(z.build());
        int size = batches.stream().mapToInt(RecordBatch::sizeInBytes).sum();
        ByteBuffer all = ByteBuffer.allocate(size);
        batches.forEach(x -> all.put(x.buffer()));
        return all.flip();
    }

    /**
     * A batch without records, as compaction leaves one (log-segment/FORMAT.md): only a header, whose
     * lastOffsetDelta still covers the offsets its removed records had.
     */
    private static RecordBatch emptyBatch(long baseOffset, int lastOffsetDelta) {
        ByteBuffer h = ByteBuffer.allocate(RecordBatchFormat.RECORD_BATCH_OVERHEAD);
        h.putLong(RecordBatchFormat.BASE_OFFSET_OFFSET, baseOffset);
        h.putInt(RecordBatchFormat.LENGTH_OFFSET, RecordBatchFormat.RECORD_BATCH_OVERHEAD - RecordBatchFormat.LOG_OVERHEAD);
        h.putInt(RecordBatchFormat.PARTITION_LEADER_EPOCH_OFFSET, 1);
        h.put(RecordBatchFormat.MAGIC_OFFSET, RecordBatchFormat.MAGIC);
        h.putShort(RecordBatchFormat.ATTRIBUTES_OFFSET, (short) 0);
        h.putInt(RecordBatchFormat.LAST_OFFSET_DELTA_OFFSET, lastOffsetDelta);
        h.putLong(RecordBatchFormat.BASE_TIMESTAMP_OFFSET, 5000);
        h.putLong(RecordBatchFormat.MAX_TIMESTAMP_OFFSET, 5000);
        h.putLong(RecordBatchFormat.PRODUCER_ID_OFFSET, -1);
        h.putShort(RecordBatchFormat.PRODUCER_EPOCH_OFFSET, (short) -1);
        h.putInt(RecordBatchFormat.BASE_SEQUENCE_OFFSET, -1);
        h.putInt(RecordBatchFormat.RECORDS_COUNT_OFFSET, 0);
        CRC32C crc = new CRC32C();
        crc.update(h.duplicate().position(RecordBatchFormat.ATTRIBUTES_OFFSET));
        h.putInt(RecordBatchFormat.CRC_OFFSET, (int) crc.getValue());
        RecordBatch b = RecordBatch.wrap(h);
        b.validate();
        return b;
    }

    private static CompletedFetch fetch(ByteBuffer bytes) {
        return new CompletedFetch(TP, 0, bytes, 18, 0, CompletedFetch.scanNextOffset(bytes));
    }

    /** What poll does: take records from the position on, moving it past each. */
    private static List<Long> drain(CompletedFetch cf, long position) {
        List<Long> offsets = new ArrayList<>();
        Record r;
        while ((r = cf.peek(position)) != null) {
            offsets.add(r.offset());
            cf.consume();
            position = r.offset() + 1;
        }
        return offsets;
    }

    @Test
    void shouldReturnEveryRecordAcrossGapsEmptyAndControlBatches() {
        CompletedFetch cf = fetch(message());
        assertThat(cf.nextOffset()).isEqualTo(18);
        assertThat(drain(cf, 0)).containsExactly(0L, 1L, 2L, 3L, 5L, 9L, 16L, 17L);
    }

    @Test
    void shouldSkipRecordsBelowThePositionEvenInsideACompressedBatch() {
        assertThat(drain(fetch(message()), 4)).containsExactly(5L, 9L, 16L, 17L);
        assertThat(drain(fetch(message()), 17)).containsExactly(17L);
        assertThat(drain(fetch(message()), 18)).isEmpty();
    }

    @Test
    void shouldKeepThePeekedRecordUntilConsumed() {
        CompletedFetch cf = fetch(message());
        Record first = cf.peek(0);
        assertThat(cf.peek(0)).isSameAs(first);
        assertThat(cf.currentBatch().baseOffset()).isZero();
        assertThat(first.headers()).containsExactly(new Header("h", new byte[] {0}));
        cf.consume();
        assertThat(cf.peek(1).offset()).isEqualTo(1);
    }

    @Test
    void shouldDecodeNullKeysAndValues() {
        CompletedFetch cf = fetch(message());
        Record r5 = null;
        Record r9 = null;
        Record r;
        long pos = 0;
        while ((r = cf.peek(pos)) != null) {
            if (r.offset() == 5) {
                r5 = r;
            }
            if (r.offset() == 9) {
                r9 = r;
            }
            cf.consume();
            pos = r.offset() + 1;
        }
        assertThat(r5.key()).isNull();
        assertThat(r5.timestamp()).isEqualTo(2001);
        assertThat(r9.value()).isNull();
    }

    @Test
    void shouldRefuseABatchWhoseChecksumFails() {
        ByteBuffer bytes = message();
        int secondBatch = RecordBatch.wrap(bytes.duplicate()).sizeInBytes();
        int last = secondBatch + RecordBatch.sizeInBytes(bytes, secondBatch) - 1;
        bytes.put(last, (byte) (bytes.get(last) ^ 0x5a));
        CompletedFetch cf = fetch(bytes);
        // The first batch is intact and read; the second fails its CRC before any of its records is returned.
        for (long o = 0; o < 3; o++) {
            assertThat(cf.peek(o).offset()).isEqualTo(o);
            cf.consume();
        }
        assertThatThrownBy(() -> cf.peek(3)).isInstanceOf(CorruptRecordException.class)
                .hasMessageContaining("t-3").hasMessageContaining("CRC");
    }
}
