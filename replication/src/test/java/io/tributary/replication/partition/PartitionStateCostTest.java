package io.tributary.replication.partition;

import io.tributary.proto.internal.v1.PartitionAppend;
import io.tributary.proto.internal.v1.PartitionEntryHeader;
import io.tributary.record.Compression;
import io.tributary.record.RecordBatchBuilder;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Measures (does not assert) what the state machine's decision costs per record on one replica:
 * the pass over the records for the key index, with and without keys, with and without
 * compression, and the memory of the key index per key. {@code mvn -Pslow -pl replication test
 * -Dtest=PartitionStateCostTest}; results in the log.
 */
@Tag("slow")
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class PartitionStateCostTest {
    private static final Logger LOG = LoggerFactory.getLogger(PartitionStateCostTest.class);
    private static final int RECORDS = 100;
    private static final int VALUE_BYTES = 100;

    private static ByteString entryData(Compression c, boolean keys, int keySpace, int round) {
        RecordBatchBuilder b = new RecordBatchBuilder(c, Integer.MAX_VALUE);
        byte[] v = new byte[VALUE_BYTES];
        for (int i = 0; i < RECORDS; i++) {
            ByteBuffer k = keys ? ByteBuffer.wrap(("key-" + ((round * RECORDS + i) % keySpace))
                    .getBytes(StandardCharsets.UTF_8)) : null;
            b.append(1000, k, ByteBuffer.wrap(v));
        }
        ByteBuffer buf = b.build().buffer();
        return ByteString.copyFrom(buf);
    }

    private static double nsPerRecord(Compression c, boolean keys, int keySpace) {
        int distinct = 64;
        ByteString[] data = new ByteString[distinct];
        for (int i = 0; i < distinct; i++) {
            data[i] = entryData(c, keys, keySpace, i);
        }
        PartitionState s = new PartitionState();
        long index = 0;
        long end = 0;
        long start = 0;
        int warm = 2_000;
        int measured = 20_000;
        for (int i = 0; i < warm + measured; i++) {
            if (i == warm) {
                start = System.nanoTime();
            }
            ByteString d = data[i % distinct];
            PartitionEntryHeader h = PartitionEntryHeader.newBuilder().setVersion(2).setAppendTimeMs(1_000_000 + i)
                    .addAppends(PartitionAppend.newBuilder().setRecordCount(RECORDS).setBatchCount(1)
                            .setSizeBytes(d.size()).setExpectedEndOffset(-1).setProducerId(1).setProducerEpoch(0)
                            .setBaseSequence((int) (end % Integer.MAX_VALUE))).build();
            PartitionEntryFormat.Decision dec = s.decide(++index, h, end, PartitionRecords.fromEntryData(h, d));
            end = dec.endOffset();
            s.applied(index);
        }
        return (System.nanoTime() - start) / (double) measured / RECORDS;
    }

    /** The pass alone (records iterated, keys viewed), for comparison. */
    private static double nsPerRecordIterating(Compression c, boolean keys) {
        ByteString[] data = new ByteString[64];
        for (int i = 0; i < data.length; i++) {
            data[i] = entryData(c, keys, 10_000, i);
        }
        long sink = 0;
        long start = 0;
        for (int i = 0; i < 22_000; i++) {
            if (i == 2_000) {
                start = System.nanoTime();
            }
            for (io.tributary.record.RecordBatch b : io.tributary.record.RecordBatches.iterate(
                    data[i % data.length].asReadOnlyByteBuffer())) {
                for (var it = b.records(); it.hasNext(); ) {
                    var r = it.next();
                    ByteBuffer k = r.key();
                    sink += k == null ? 0 : k.remaining();
                }
            }
        }
        double ns = (System.nanoTime() - start) / 20_000.0 / RECORDS;
        return sink == 42 ? ns + 1 : ns;
    }

    @Test
    void measureDecisionCostPerRecord() {
        LOG.info("iterating only: NONE null keys {} ns/record, keyed {} ns/record",
                String.format("%.0f", nsPerRecordIterating(Compression.NONE, false)),
                String.format("%.0f", nsPerRecordIterating(Compression.NONE, true)));
        for (Compression c : new Compression[] {Compression.NONE, Compression.LZ4, Compression.ZSTD}) {
            LOG.info("decide, {} batches of {} records x {} B: null keys {} ns/record; keyed (10k keys) {} ns/record", c,
                    RECORDS, VALUE_BYTES, String.format("%.0f", nsPerRecord(c, false, 1)),
                    String.format("%.0f", nsPerRecord(c, true, 10_000)));
        }
    }

    @Test
    void measureKeyIndexMemoryPerKey() {
        int keys = 1_000_000;
        System.gc();
        Runtime rt = Runtime.getRuntime();
        long before = rt.totalMemory() - rt.freeMemory();
        PartitionState s = new PartitionState();
        for (int i = 0; i < keys; i++) {
            s.keys.put(new PartitionState.Key(("customer-" + i).getBytes(StandardCharsets.UTF_8)), (long) i);
        }
        System.gc();
        long after = rt.totalMemory() - rt.freeMemory();
        LOG.info("key index: {} keys of ~15 bytes take about {} bytes per key", keys, (after - before) / keys);
        assertThat(s.keys).hasSize(keys);
    }
}
