package io.tributary.log.format;

import io.tributary.log.Log;
import io.tributary.log.LogConfig;
import io.tributary.log.LogReadResult;
import io.tributary.log.TimestampOffset;
import io.tributary.log.internal.CheckpointFile;
import io.tributary.log.internal.LogFiles;
import io.tributary.record.Compression;
import io.tributary.record.Header;
import io.tributary.record.RecordBatch;
import io.tributary.record.RecordBatchBuilder;
import io.tributary.record.RecordBatches;
import net.openhft.chronicle.core.io.AbstractReferenceCounted;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Reads partition directories written by earlier versions of the storage format, committed under
 * {@code src/test/resources/format/v<N>/}. A change that cannot read them is a format change: bump
 * the version (FORMAT.md), keep the old reader, and add new golden files beside the old ones.
 *
 * <p>To write the golden files of the current version again (only when the format version
 * changes): {@code mvn -pl log-segment test -Dtest=LogFormatCompatibilityTest
 * -Dtributary.golden.write=true}.
 */
@Timeout(30)
class LogFormatCompatibilityTest {
    private static final Path V1 = Paths.get("src/test/resources/format/v1/orders-0");
    private static final int BATCHES = 12;
    private static final int RECORDS_PER_BATCH = 3;

    @TempDir
    Path tmp;

    @AfterEach
    void released() {
        AbstractReferenceCounted.assertReferencesReleased();
    }

    static LogConfig goldenConfig() {
        return LogConfig.builder().segmentBytes(1024).indexIntervalBytes(200).segmentIndexBytes(4096)
                .maxMessageBytes(1024).build();
    }

    /** Batch i: records "order-i-j" keyed "customer-(j)", timestamp 1_700_000_000_000 + 1000 i + j, LZ4 for odd i. */
    static ByteBuffer goldenBatch(int i) {
        RecordBatchBuilder b = new RecordBatchBuilder(i % 2 == 1 ? Compression.LZ4 : Compression.NONE, 1 << 20)
                .producer(4242L, (short) 1, i * RECORDS_PER_BATCH);
        for (int j = 0; j < RECORDS_PER_BATCH; j++) {
            b.append(1_700_000_000_000L + 1000L * i + j,
                    ByteBuffer.wrap(("customer-" + j).getBytes(StandardCharsets.UTF_8)),
                    ByteBuffer.wrap(("order-" + i + "-" + j).getBytes(StandardCharsets.UTF_8)),
                    new Header("source", "golden".getBytes(StandardCharsets.UTF_8)));
        }
        return b.build().buffer();
    }

    @Test
    void writeGoldenFilesWhenAsked() throws IOException {
        if (!Boolean.getBoolean("tributary.golden.write")) {
            return;
        }
        if (Files.exists(V1)) {
            try (Stream<Path> files = Files.list(V1)) {
                for (Path p : (Iterable<Path>) files::iterator) {
                    Files.delete(p);
                }
            }
        }
        try (Log log = Log.open(V1, goldenConfig())) {
            for (int i = 0; i < BATCHES; i++) {
                log.append(goldenBatch(i), 3);
            }
        }
    }

    @Test
    void shouldReadVersion1PartitionDirectory() throws IOException {
        Path dir = copy(V1);
        // The files as written: segments by base offset, indexes cut to their entries.
        List<String> names = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.forEach(p -> names.add(p.getFileName().toString()));
        }
        assertThat(names).contains("00000000000000000000.log", "00000000000000000000.index",
                "00000000000000000000.timeindex", LogFiles.CHECKPOINT_FILE);
        CheckpointFile.Checkpoint cp = CheckpointFile.read(dir).orElseThrow();
        assertThat(cp).isEqualTo(new CheckpointFile.Checkpoint(0, BATCHES * RECORDS_PER_BATCH));

        checkIndexFilesByHand(dir);

        try (Log log = Log.open(dir, goldenConfig())) {
            assertThat(log.logStartOffset()).isZero();
            assertThat(log.logEndOffset()).isEqualTo(BATCHES * RECORDS_PER_BATCH);
            assertThat(log.numberOfSegments()).isGreaterThan(1);
            long offset = 0;
            int batchIndex = 0;
            while (offset < log.logEndOffset()) {
                LogReadResult r = log.read(offset, 1 << 20, Long.MAX_VALUE);
                for (RecordBatch batch : RecordBatches.iterate(r.records())) {
                    batch.validate();
                    assertThat(batch.baseOffset()).isEqualTo((long) batchIndex * RECORDS_PER_BATCH);
                    assertThat(batch.partitionLeaderEpoch()).isEqualTo(3);
                    assertThat(batch.producerId()).isEqualTo(4242L);
                    assertThat(batch.compression()).isEqualTo(batchIndex % 2 == 1 ? Compression.LZ4 : Compression.NONE);
                    int j = 0;
                    for (var it = batch.records(); it.hasNext(); j++) {
                        var rec = it.next();
                        assertThat(rec.offset()).isEqualTo((long) batchIndex * RECORDS_PER_BATCH + j);
                        assertThat(rec.timestamp()).isEqualTo(1_700_000_000_000L + 1000L * batchIndex + j);
                        assertThat(utf8(rec.key())).isEqualTo("customer-" + j);
                        assertThat(utf8(rec.value())).isEqualTo("order-" + batchIndex + "-" + j);
                        assertThat(rec.headers()).hasSize(1);
                    }
                    batchIndex++;
                }
                offset = r.nextOffset();
            }
            assertThat(batchIndex).isEqualTo(BATCHES);
            assertThat(log.offsetForTimestamp(1_700_000_000_000L + 7000))
                    .contains(new TimestampOffset(1_700_000_000_000L + 7000, 21));
        }
    }

    /** Decodes the .index and .timeindex files directly, against FORMAT.md, without the reader classes. */
    private static void checkIndexFilesByHand(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path index : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".index"))::iterator) {
                long base = LogFiles.baseOffsetOf(index.getFileName().toString());
                ByteBuffer idx = ByteBuffer.wrap(Files.readAllBytes(index)).order(ByteOrder.LITTLE_ENDIAN);
                ByteBuffer log = ByteBuffer.wrap(Files.readAllBytes(LogFiles.logFile(dir, base)));
                assertThat(idx.remaining() % 8).isZero();
                int previous = 0;
                while (idx.hasRemaining()) {
                    int relativeOffset = idx.getInt();
                    int position = idx.getInt();
                    assertThat(position).isGreaterThan(previous);
                    previous = position;
                    // The entry points at the batch holding exactly that offset.
                    assertThat(log.getLong(position)).isEqualTo(base + relativeOffset);
                }
                ByteBuffer tidx = ByteBuffer.wrap(Files.readAllBytes(LogFiles.timeIndexFile(dir, base)))
                        .order(ByteOrder.LITTLE_ENDIAN);
                assertThat(tidx.remaining() % 12).isZero();
                long previousTs = Long.MIN_VALUE;
                while (tidx.hasRemaining()) {
                    long ts = tidx.getLong();
                    int relativeOffset = tidx.getInt();
                    assertThat(ts).isGreaterThanOrEqualTo(previousTs);
                    assertThat(relativeOffset).isPositive();
                    previousTs = ts;
                }
            }
        }
    }

    private static String utf8(ByteBuffer b) {
        byte[] bytes = new byte[b.remaining()];
        b.duplicate().get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private Path copy(Path from) throws IOException {
        Path to = tmp.resolve(from.getFileName());
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Files.copy(p, to.resolve(p.getFileName()));
            }
        }
        return to;
    }
}
