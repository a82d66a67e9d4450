package io.tributary.replication.partition;

import io.tributary.log.Log;
import io.tributary.log.LogConfig;
import io.tributary.log.LogEnvironment;
import io.tributary.proto.internal.v1.PartitionAppend;
import io.tributary.proto.internal.v1.PartitionAppendOutcome;
import io.tributary.proto.internal.v1.PartitionEntryHeader;
import io.tributary.proto.internal.v1.PartitionKeyCondition;
import io.tributary.proto.internal.v1.PartitionSnapshotMeta;
import io.tributary.record.Compression;
import io.tributary.record.RecordBatchBuilder;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Reads the partition Raft entry headers and partition snapshots written by each format version,
 * committed under {@code src/test/resources/format/} (see replication/FORMAT.md). A change that
 * cannot read them is a format change: bump the version, keep the old reader, add golden files.
 *
 * <p>To write the golden files again (only when a format version changes):
 * {@code mvn -pl replication test -Dtest=PartitionFormatCompatibilityTest -Dtributary.golden.write=true}.
 */
@Timeout(60)
class PartitionFormatCompatibilityTest {
    private static final Path ROOT = Paths.get("src/test/resources/format");
    private static final Path HEADER_V1 = ROOT.resolve("entry-header/v1.bin");
    private static final Path HEADER_V2 = ROOT.resolve("entry-header/v2.bin");
    private static final Path SNAPSHOT_V2 = ROOT.resolve("snapshot/v2/sm");
    private static final Path SNAPSHOT_V3 = ROOT.resolve("snapshot/v3/sm");
    private static final long CLOCK = 1_700_000_100_000L;

    @TempDir
    Path tmp;

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static PartitionEntryHeader goldenHeaderV1() {
        return PartitionEntryHeader.newBuilder().setVersion(1).setAppendTimeMs(1_700_000_000_000L)
                .addAppends(PartitionAppend.newBuilder().setRecordCount(3).setBatchCount(1).setSizeBytes(120)
                        .setExpectedEndOffset(-1).setProducerId(4242).setProducerEpoch(1).setBaseSequence(9))
                .build();
    }

    static PartitionEntryHeader goldenHeaderV2() {
        return PartitionEntryHeader.newBuilder().setVersion(2).setAppendTimeMs(1_700_000_000_000L)
                .setProducerIdExpirationMs(3_600_000L)
                .addAppends(PartitionAppend.newBuilder().setRecordCount(3).setBatchCount(1).setSizeBytes(120)
                        .setExpectedEndOffset(-1).setProducerId(4242).setProducerEpoch(1).setBaseSequence(9))
                .addAppends(PartitionAppend.newBuilder().setRecordCount(1).setBatchCount(1).setSizeBytes(80)
                        .setExpectedEndOffset(12).setProducerId(-1).setProducerEpoch(-1).setBaseSequence(-1)
                        .addKeyConditions(PartitionKeyCondition.newBuilder()
                                .setKey(com.google.protobuf.ByteString.copyFromUtf8("order-17")).setExpectedLastOffset(-1))
                        .addKeyConditions(PartitionKeyCondition.newBuilder()
                                .setKey(com.google.protobuf.ByteString.copyFromUtf8("order-18")).setExpectedLastOffset(5)))
                .build();
    }

    /** Records: a=1 b=1 | (LZ4) a=2 c=1 | b=tombstone d=1: keys a@2, c@3, d@5, b none. */
    static void writeGoldenLog(Log log) {
        String[][] batches = {{"a", "1", "b", "1"}, {"a", "2", "c", "1"}, {"b", null, "d", "1"}};
        for (int i = 0; i < batches.length; i++) {
            RecordBatchBuilder b = new RecordBatchBuilder(i == 1 ? Compression.LZ4 : Compression.NONE, 1 << 20);
            for (int j = 0; j < batches[i].length; j += 2) {
                String v = batches[i][j + 1];
                b.append(1_700_000_000_000L + i, ByteBuffer.wrap(utf8(batches[i][j])), v == null ? null
                        : ByteBuffer.wrap(utf8(v)));
            }
            log.append(b.build().buffer(), 3);
        }
    }

    static PartitionState goldenState() {
        PartitionState s = new PartitionState(new java.util.HashMap<>(), new java.util.HashMap<>(), CLOCK,
                CLOCK - 30_000);
        s.producers.put(4242L, new PartitionState.ProducerEntry(1, CLOCK - 5_000, List.of(
                new PartitionState.BatchMeta(0, 1, 0, 1), new PartitionState.BatchMeta(2, 3, 2, 3))));
        s.producers.put(7L, new PartitionState.ProducerEntry(0, CLOCK, List.of(
                new PartitionState.BatchMeta(Integer.MAX_VALUE, 1, 4, 5))));
        s.keys.put(new PartitionState.Key(utf8("a")), 2L);
        s.keys.put(new PartitionState.Key(utf8("c")), 3L);
        s.keys.put(new PartitionState.Key(utf8("d")), 5L);
        return s;
    }

    private static Log openLog(Path dir) throws IOException {
        return Log.open(dir, LogConfig.defaults(), LogEnvironment.defaults());
    }

    @Test
    void writeGoldenFilesWhenAsked() throws Exception {
        if (!Boolean.getBoolean("tributary.golden.write")) {
            return;
        }
        Files.createDirectories(HEADER_V1.getParent());
        Files.write(HEADER_V1, goldenHeaderV1().toByteArray());
        Files.write(HEADER_V2, goldenHeaderV2().toByteArray());
        for (Path p : List.of(SNAPSHOT_V2, SNAPSHOT_V3)) {
            PartitionSnapshotStorage.deleteRecursively(p);
        }
        Path logDir = Paths.get("target/golden-log/orders-0"); // the same file system: the snapshot hard-links
        PartitionSnapshotStorage.deleteRecursively(logDir);
        try (Log log = openLog(logDir)) {
            writeGoldenLog(log);
            PartitionSnapshotStorage v3 = new PartitionSnapshotStorage();
            v3.init(SNAPSHOT_V3);
            com.google.protobuf.ByteString deltas = com.google.protobuf.ByteString.copyFrom(new byte[] {0, 1, 1});
            v3.create(TermIndex.valueOf(3, 17), 6, log, "golden-topic",
                    new PartitionSnapshotStorage.EntryOffsetList(15, 4, deltas), goldenState());
            // Version 2 (before state files): what the previous writer produced, fields 1-10.
            Path v2dir = SNAPSHOT_V2.resolve("snapshot-2_9");
            Files.createDirectories(v2dir);
            Path v3dir = SNAPSHOT_V3.resolve("snapshot-3_17");
            Files.copy(v3dir.resolve("00000000000000000000.log"), v2dir.resolve("00000000000000000000.log"));
            PartitionSnapshotMeta m3 = PartitionSnapshotMeta.parseFrom(Files.readAllBytes(v3dir.resolve("snapshot.meta")));
            Files.write(v2dir.resolve("snapshot.meta"), m3.toBuilder().setVersion(2).setRaftIndex(9).setRaftTerm(2)
                    .clearStateFileBytes().build().toByteArray());
        }
    }

    @Test
    void shouldReadEntryHeadersOfEveryVersion() throws IOException {
        PartitionEntryHeader v1 = PartitionEntryFormat.parse(ByteString.copyFrom(Files.readAllBytes(HEADER_V1)));
        assertThat(v1).isEqualTo(goldenHeaderV1());
        PartitionEntryHeader v2 = PartitionEntryFormat.parse(ByteString.copyFrom(Files.readAllBytes(HEADER_V2)));
        assertThat(v2).isEqualTo(goldenHeaderV2());
        assertThat(v2.getAppends(1).getKeyConditions(0).getKey().toStringUtf8()).isEqualTo("order-17");
        // Version 1 producer fields were placeholders: not checked (sequence 9 of an unknown producer passes).
        PartitionState s = new PartitionState();
        PartitionEntryFormat.Decision d = s.decide(1, v1, 0, (i, first, sink) -> { });
        assertThat(d.outcomes()[0]).isEqualTo(PartitionAppendOutcome.APPENDED);
        assertThat(new PartitionState().decide(1, v2, 12, (i, first, sink) -> { }).outcomes()[0])
                .isEqualTo(PartitionAppendOutcome.UNKNOWN_PRODUCER_ID);
        assertThatThrownBy(() -> PartitionEntryFormat.parse(ByteString.copyFrom(
                v2.toBuilder().setVersion(3).build().toByteArray()))).hasMessageContaining("version 3");
    }

    @Test
    void shouldReadAVersion3SnapshotWithItsState() throws IOException {
        PartitionSnapshotStorage storage = new PartitionSnapshotStorage();
        storage.init(copyOf(SNAPSHOT_V3));
        PartitionSnapshotStorage.Loaded snap = storage.loadLatest();
        assertThat(snap).isNotNull();
        assertThat(snap.meta().getVersion()).isEqualTo(3);
        assertThat(snap.termIndex()).isEqualTo(TermIndex.valueOf(3, 17));
        assertThat(snap.meta().getOffset()).isEqualTo(6);
        assertThat(((org.apache.ratis.statemachine.impl.FileListSnapshotInfo) snap.info()).getFiles())
                .extracting(f -> f.getPath().getFileName().toString())
                .containsExactlyInAnyOrder("snapshot.meta", "state.bin", "00000000000000000000.log");
        PartitionState s = PartitionSnapshotStorage.loadState(snap);
        assertThat(s.clockMs).isEqualTo(CLOCK);
        assertThat(s.lastSweepMs).isEqualTo(CLOCK - 30_000);
        assertThat(s.producers).isEqualTo(goldenState().producers);
        assertThat(s.keys).isEqualTo(goldenState().keys);
        // The writer still produces these bytes.
        Path again = tmp.resolve("state.bin");
        PartitionStateFormat.write(goldenState(), again);
        assertThat(Files.readAllBytes(again)).isEqualTo(Files.readAllBytes(SNAPSHOT_V3.resolve("snapshot-3_17/state.bin")));
    }

    @Test
    void shouldReadAVersion2SnapshotAndRebuildItsKeyIndexFromTheLog() throws IOException {
        PartitionSnapshotStorage storage = new PartitionSnapshotStorage();
        storage.init(copyOf(SNAPSHOT_V2));
        PartitionSnapshotStorage.Loaded snap = storage.loadLatest();
        assertThat(snap.meta().getVersion()).isEqualTo(2);
        assertThat(PartitionSnapshotStorage.loadState(snap)).as("no state file before version 3").isNull();
        Path logDir = tmp.resolve("installed");
        PartitionSnapshotStorage.installSegments(snap, logDir, "golden-topic");
        try (Log log = openLog(logDir)) {
            assertThat(log.logEndOffset()).isEqualTo(6);
            PartitionState s = PartitionState.withKeysOf(log, 0, 6);
            assertThat(s.keys).isEqualTo(goldenState().keys);
            assertThat(s.producers).isEmpty();
        }
    }

    @Test
    void shouldRefuseADamagedOrNewerStateFile() throws IOException {
        byte[] good = Files.readAllBytes(SNAPSHOT_V3.resolve("snapshot-3_17/state.bin"));
        Path f = tmp.resolve("state.bin");
        byte[] flipped = good.clone();
        flipped[40] ^= 1;
        Files.write(f, flipped);
        assertThatThrownBy(() -> PartitionStateFormat.read(f)).hasMessageContaining("CRC32C");
        Files.write(f, java.util.Arrays.copyOf(good, good.length - 7));
        assertThatThrownBy(() -> PartitionStateFormat.read(f)).hasMessageContaining("truncated");
        byte[] newer = good.clone();
        newer[5] = 2;
        Files.write(f, newer);
        assertThatThrownBy(() -> PartitionStateFormat.read(f)).hasMessageContaining("version 2");
        byte[] longer = java.util.Arrays.copyOf(good, good.length + 1);
        Files.write(f, longer);
        assertThatThrownBy(() -> PartitionStateFormat.read(f)).hasMessageContaining("after its CRC");
    }

    private Path copyOf(Path src) throws IOException {
        Path dst = tmp.resolve("copy-" + src.getParent().getFileName());
        try (Stream<Path> s = Files.walk(src)) {
            for (Path p : s.toList()) {
                Path t = dst.resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
        return dst;
    }
}
