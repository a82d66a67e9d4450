package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.record.RecordBatch;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/** The checks the cluster tests share: acknowledged batches, where they must be, byte for byte. */
public final class Checks {

    private Checks() {
    }

    static Map<TopicPartition, List<Acked>> byPartition(Collection<Acked> acked) {
        return acked.stream().collect(Collectors.groupingBy(Acked::tp, LinkedHashMap::new, Collectors.toList()));
    }

    /**
     * Fetches each partition from its leader from offset 0 and asserts: offsets are dense (each
     * batch starts where the previous one ended) and every acknowledged batch is there, at its
     * offset, byte for byte.
     */
    public static void assertReadableFromLeaders(TestClient client, Collection<Acked> acked, Duration timeout) {
        for (Map.Entry<TopicPartition, List<Acked>> entry : byPartition(acked).entrySet()) {
            TopicPartition tp = entry.getKey();
            long end = entry.getValue().stream().mapToLong(Acked::nextOffset).max().orElse(0);
            List<RecordBatch> batches = client.readAll(tp, 0, end, timeout);
            assertDense(tp + " fetched from its leader", batches);
            assertContains(tp + " fetched from its leader", index(batches), entry.getValue());
        }
    }

    /**
     * Asserts that broker {@code n}'s segment files of every partition in {@code acked} hold each
     * acknowledged batch at its offset, byte for byte.
     */
    public static void assertOnDisk(TestCluster cluster, int n, Collection<Acked> acked) {
        for (Map.Entry<TopicPartition, List<Acked>> entry : byPartition(acked).entrySet()) {
            TopicPartition tp = entry.getKey();
            Optional<Path> dir = cluster.partitionDir(n, tp);
            assertThat(dir).as("broker %d has a replica directory for %s under %s", n, tp, cluster.dataDir(n)).isPresent();
            List<RecordBatch> batches = SegmentFiles.readBatches(dir.get());
            String where = "broker " + n + "'s segment files of " + tp;
            assertDense(where, batches);
            assertContains(where, index(batches), entry.getValue());
        }
    }

    /**
     * Asserts that the replicas of {@code tp} on brokers {@code a} and {@code b} hold the same
     * bytes below {@code highWatermark}: the same batches, byte for byte (offsets and leader
     * epochs included), reaching the high watermark.
     */
    public static void assertSameBytesBelow(TestCluster cluster, TopicPartition tp, int a, int b, long highWatermark) {
        List<RecordBatch> left = batchesBelow(cluster, a, tp, highWatermark);
        List<RecordBatch> right = batchesBelow(cluster, b, tp, highWatermark);
        long leftEnd = left.isEmpty() ? 0 : left.get(left.size() - 1).nextOffset();
        long rightEnd = right.isEmpty() ? 0 : right.get(right.size() - 1).nextOffset();
        assertThat(leftEnd).as("broker %d's %s reaches the high watermark", a, tp).isEqualTo(highWatermark);
        assertThat(rightEnd).as("broker %d's %s reaches the high watermark", b, tp).isEqualTo(highWatermark);
        assertThat(right).as("batch count of %s on brokers %d and %d", tp, a, b).hasSameSizeAs(left);
        for (int i = 0; i < left.size(); i++) {
            assertThat(Batches.bytes(right.get(i)))
                    .as("%s: batch %d (offset %d) on broker %d vs broker %d", tp, i, left.get(i).baseOffset(), b, a)
                    .isEqualTo(Batches.bytes(left.get(i)));
        }
    }

    static List<RecordBatch> batchesBelow(TestCluster cluster, int n, TopicPartition tp, long highWatermark) {
        Optional<Path> dir = cluster.partitionDir(n, tp);
        assertThat(dir).as("broker %d has a replica directory for %s", n, tp).isPresent();
        return SegmentFiles.readBatchesBelow(dir.get(), highWatermark);
    }

    static void assertDense(String where, List<RecordBatch> batches) {
        for (int i = 1; i < batches.size(); i++) {
            assertThat(batches.get(i).baseOffset())
                    .as("%s: batch %d starts where batch %d ends", where, i, i - 1)
                    .isEqualTo(batches.get(i - 1).nextOffset());
        }
    }

    static Map<Long, RecordBatch> index(List<RecordBatch> batches) {
        Map<Long, RecordBatch> byOffset = new HashMap<>();
        for (RecordBatch batch : batches) {
            byOffset.put(batch.baseOffset(), batch);
        }
        return byOffset;
    }

    static void assertContains(String where, Map<Long, RecordBatch> stored, List<Acked> acked) {
        List<Long> missing = new ArrayList<>();
        for (Acked a : acked) {
            RecordBatch batch = stored.get(a.offset());
            if (batch == null) {
                missing.add(a.offset());
                continue;
            }
            Batches.assertStoredAs(a.batch(), a.offset(), batch, where);
        }
        assertThat(missing).as("%s: acknowledged offsets with no batch starting there", where).isEmpty();
    }
}
