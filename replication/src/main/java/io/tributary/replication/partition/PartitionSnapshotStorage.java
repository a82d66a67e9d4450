package io.tributary.replication.partition;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tributary.log.Log;
import io.tributary.proto.internal.v1.PartitionSnapshotMeta;
import io.tributary.proto.internal.v1.PartitionSnapshotSegment;
import io.tributary.record.RecordBatchFormat;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.apache.ratis.statemachine.SnapshotRetentionPolicy;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.impl.FileListSnapshotInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Snapshots of one partition replica, in the Ratis state machine directory of its group.
 *
 * <pre>
 * &lt;raft storage&gt;/&lt;group uuid&gt;/sm/
 *   snapshot-&lt;term&gt;_&lt;index&gt;/
 *     snapshot.meta                 PartitionSnapshotMeta (protobuf, version 3; 1 and 2 are read)
 *     state.bin                     producer state and key index (PartitionStateFormat; version 3)
 *     00000000000000000000.log      hard link to a segment file of the partition log;
 *     00000000000000012345.log      only its first meta.segments[i].size_bytes bytes belong
 *                                   to the snapshot (whole batches ending at meta.offset)
 * </pre>
 *
 * <p>The partition log is the state, so a snapshot is cheap: a hard link per segment (no copy)
 * and the byte length of the part below the snapshot offset. A link stays valid when the log
 * later rolls, deletes (retention) or compacts the segment (those replace or unlink names, never
 * rewrite an inode's committed bytes), and truncation only ever cuts uncommitted bytes above the
 * snapshot offset. The files are sent to a lagging follower by Ratis's own install-snapshot
 * transfer; {@link SizedFileInfo} bounds each file to its snapshot length, so growing active
 * segments are sent only up to the snapshot offset.
 *
 * <p>Only the newest snapshot is kept. Thread-safety: {@link #create} and {@link #loadLatest}
 * run on the group's state machine updater thread; {@link #getLatestSnapshot} may be called from
 * any thread.
 */
final class PartitionSnapshotStorage implements StateMachineStorage {
    private static final Logger LOG = LoggerFactory.getLogger(PartitionSnapshotStorage.class);

    static final String META_FILE = "snapshot.meta";
    static final String DIR_PREFIX = "snapshot-";
    /** 1: the initial meta (index, term, offset, log start, segments, topic id). */
    static final int META_VERSION_1 = 1;
    /** 2: the offsets of the Raft entries at or below the snapshot index (entry_offsets_*). */
    static final int META_VERSION_2 = 2;
    /** 3: the state file (producer state, key index: {@link PartitionStateFormat}), state_file_bytes. */
    static final int META_VERSION_3 = 3;
    static final int META_CURRENT_VERSION = META_VERSION_3;

    private volatile Path smDir;
    private volatile Loaded latest;
    private volatile boolean scanned;

    /** A loaded snapshot: its directory and meta. */
    record Loaded(Path dir, PartitionSnapshotMeta meta, SnapshotInfo info) {
        TermIndex termIndex() {
            return TermIndex.valueOf(meta.getRaftTerm(), meta.getRaftIndex());
        }
    }

    /**
     * The offsets of consecutive Raft entries {@code [firstIndex, firstIndex + n)}: entry
     * {@code firstIndex} starts at {@code firstBase}, each next one where the previous ends; the
     * deltas (packed unsigned varints, one per entry) are end minus base.
     */
    record EntryOffsetList(long firstIndex, long firstBase, com.google.protobuf.ByteString endDeltas) {
        static final EntryOffsetList EMPTY = new EntryOffsetList(0, 0, com.google.protobuf.ByteString.EMPTY);

        static EntryOffsetList of(PartitionSnapshotMeta meta) {
            return new EntryOffsetList(meta.getEntryOffsetsFirstIndex(), meta.getEntryOffsetsFirstBase(),
                    meta.getEntryOffsetsEndDeltas());
        }

        /** Decodes the list: index to {base, end}. */
        java.util.NavigableMap<Long, long[]> decode() throws IOException {
            java.util.NavigableMap<Long, long[]> out = new java.util.TreeMap<>();
            com.google.protobuf.CodedInputStream in = endDeltas.newCodedInput();
            long index = firstIndex;
            long base = firstBase;
            while (!in.isAtEnd()) {
                long end = base + in.readUInt64();
                out.put(index++, new long[] {base, end});
                base = end;
            }
            return out;
        }
    }

    /** A snapshot file whose transfer is limited to a prefix of the file. */
    static final class SizedFileInfo extends FileInfo {
        private final long size;

        SizedFileInfo(Path path, long size) {
            super(path, null);
            this.size = size;
        }

        @Override
        public long getFileSize() {
            return size;
        }
    }

    @Override
    public void init(RaftStorage raftStorage) throws IOException {
        smDir = raftStorage.getStorageDir().getStateMachineDir().toPath();
        Files.createDirectories(smDir);
    }

    /** Uses {@code dir} as the state machine directory (tests; Ratis calls {@link #init}). */
    void init(Path dir) throws IOException {
        smDir = dir;
        Files.createDirectories(dir);
    }

    @Override
    public SnapshotInfo getLatestSnapshot() {
        Loaded l = loadLatest();
        return l == null ? null : l.info();
    }

    /** The newest complete snapshot on disk, or null. */
    synchronized Loaded loadLatest() {
        if (scanned) {
            return latest;
        }
        Path dir = smDir;
        if (dir == null || !Files.isDirectory(dir)) {
            return null;
        }
        Loaded best = null;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, DIR_PREFIX + "*")) {
            for (Path p : ds) {
                if (p.getFileName().toString().endsWith(".tmp") || !Files.exists(p.resolve(META_FILE))) {
                    continue;
                }
                try {
                    Loaded l = load(p);
                    if (best == null || l.meta().getRaftIndex() > best.meta().getRaftIndex()) {
                        best = l;
                    }
                } catch (IOException | RuntimeException e) {
                    LOG.warn("Ignoring unreadable partition snapshot {}: {}", p, e.toString());
                }
            }
        } catch (IOException e) {
            LOG.warn("Cannot list snapshots in {}: {}", dir, e.toString());
        }
        latest = best;
        scanned = true;
        return best;
    }

    /** Forgets the cached newest snapshot (after Ratis installed one from the leader). */
    synchronized void rescan() {
        scanned = false;
        latest = null;
    }

    private static Loaded load(Path dir) throws IOException {
        PartitionSnapshotMeta meta;
        try {
            meta = PartitionSnapshotMeta.parseFrom(Files.readAllBytes(dir.resolve(META_FILE)));
        } catch (InvalidProtocolBufferException e) {
            throw new IOException("unreadable " + dir.resolve(META_FILE) + ": " + e.getMessage(), e);
        }
        if (meta.getVersion() < META_VERSION_1 || meta.getVersion() > META_CURRENT_VERSION) {
            throw new IOException(dir.resolve(META_FILE) + " has version " + meta.getVersion()
                    + ", outside the range this broker reads [" + META_VERSION_1 + ", " + META_CURRENT_VERSION + "]");
        }
        List<FileInfo> files = new ArrayList<>();
        files.add(new FileInfo(dir.resolve(META_FILE), null));
        if (meta.getVersion() >= META_VERSION_3) {
            Path state = dir.resolve(PartitionStateFormat.FILE);
            if (!Files.exists(state) || Files.size(state) != meta.getStateFileBytes()) {
                throw new IOException("snapshot state file " + state + " is missing or not " + meta.getStateFileBytes()
                        + " bytes long");
            }
            files.add(new FileInfo(state, null));
        }
        for (PartitionSnapshotSegment s : meta.getSegmentsList()) {
            Path f = dir.resolve(segmentFileName(s.getBaseOffset()));
            if (!Files.exists(f) || Files.size(f) < s.getSizeBytes()) {
                throw new IOException("snapshot segment " + f + " is missing or shorter than " + s.getSizeBytes());
            }
            files.add(new SizedFileInfo(f, s.getSizeBytes()));
        }
        return new Loaded(dir, meta, new FileListSnapshotInfo(files, meta.getRaftTerm(), meta.getRaftIndex()));
    }

    /**
     * The state (producer state, key index) of a snapshot, or null for a version 1 or 2 snapshot,
     * which has none (the caller rebuilds the key index from the log).
     */
    static PartitionState loadState(Loaded snapshot) throws IOException {
        if (snapshot.meta().getVersion() < META_VERSION_3) {
            return null;
        }
        return PartitionStateFormat.read(snapshot.dir().resolve(PartitionStateFormat.FILE));
    }

    static String segmentFileName(long baseOffset) {
        return String.format("%020d.log", baseOffset);
    }

    /**
     * Takes a snapshot of {@code log} at {@code offset} (the end of the entry at {@code ti}): links
     * every segment holding records below the offset and records how many of its bytes belong.
     */
    synchronized Loaded create(TermIndex ti, long offset, Log log, String topicId, EntryOffsetList entryOffsets,
                               PartitionState state) throws IOException {
        String name = DIR_PREFIX + ti.getTerm() + "_" + ti.getIndex();
        Path dir = smDir.resolve(name);
        Path tmp = smDir.resolve(name + ".tmp");
        deleteRecursively(tmp);
        Files.createDirectories(tmp);
        long logStart = log.logStartOffset();
        PartitionSnapshotMeta.Builder meta = PartitionSnapshotMeta.newBuilder()
                .setVersion(META_CURRENT_VERSION)
                .setRaftIndex(ti.getIndex())
                .setRaftTerm(ti.getTerm())
                .setOffset(offset)
                .setLogStartOffset(Math.min(logStart, offset))
                .setTopicId(topicId)
                .setEntryOffsetsFirstIndex(entryOffsets.firstIndex())
                .setEntryOffsetsFirstBase(entryOffsets.firstBase())
                .setEntryOffsetsEndDeltas(entryOffsets.endDeltas());
        List<Long> bases = log.segmentBaseOffsets();
        try {
            for (int i = 0; i < bases.size(); i++) {
                long base = bases.get(i);
                if (base >= offset) {
                    break;
                }
                long next = i + 1 < bases.size() ? bases.get(i + 1) : Long.MAX_VALUE;
                if (next <= logStart) {
                    continue; // wholly below the log start: retention will delete it
                }
                String file = segmentFileName(base);
                Path link = tmp.resolve(file);
                Files.createLink(link, log.dir().resolve(file));
                long size = next <= offset ? Files.size(link) : positionOf(link, offset);
                meta.addSegments(PartitionSnapshotSegment.newBuilder().setBaseOffset(base).setSizeBytes(size));
            }
        } catch (NoSuchFileException e) {
            // A segment went away (retention, compaction swap) between listing and linking.
            deleteRecursively(tmp);
            throw new IOException("a segment of " + log.dir() + " changed while taking a snapshot: " + e.getMessage(), e);
        }
        meta.setStateFileBytes(PartitionStateFormat.write(state, tmp.resolve(PartitionStateFormat.FILE)));
        Path metaFile = tmp.resolve(META_FILE);
        try (FileChannel ch = FileChannel.open(metaFile, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(meta.build().toByteArray());
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        deleteRecursively(dir);
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        Loaded l = load(dir);
        latest = l;
        scanned = true;
        deleteAllBut(dir);
        return l;
    }

    /**
     * Drops from the newest snapshot the segments wholly below {@code logStartOffset} (retention
     * deleted them from the log; the snapshot's hard links would keep their disk space) and
     * raises its log start offset. The meta file is replaced atomically before the links go, so a
     * crash leaves either snapshot; a transfer to a follower reading the old file list fails and
     * is retried by Ratis with the new one.
     */
    synchronized void dropSegmentsBelow(long logStartOffset) throws IOException {
        Loaded cur = loadLatest();
        if (cur == null) {
            return;
        }
        PartitionSnapshotMeta meta = cur.meta();
        List<PartitionSnapshotSegment> keep = new ArrayList<>();
        List<PartitionSnapshotSegment> drop = new ArrayList<>();
        List<PartitionSnapshotSegment> segs = meta.getSegmentsList();
        for (int i = 0; i < segs.size(); i++) {
            long next = i + 1 < segs.size() ? segs.get(i + 1).getBaseOffset() : meta.getOffset();
            (next <= logStartOffset ? drop : keep).add(segs.get(i));
        }
        if (drop.isEmpty()) {
            return;
        }
        PartitionSnapshotMeta updated = meta.toBuilder().clearSegments().addAllSegments(keep)
                .setLogStartOffset(Math.max(meta.getLogStartOffset(), Math.min(logStartOffset, meta.getOffset())))
                .build();
        Path tmp = cur.dir().resolve(META_FILE + ".tmp");
        Files.deleteIfExists(tmp);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(updated.toByteArray());
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        Files.move(tmp, cur.dir().resolve(META_FILE), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
        for (PartitionSnapshotSegment s : drop) {
            Files.deleteIfExists(cur.dir().resolve(segmentFileName(s.getBaseOffset())));
            Files.deleteIfExists(cur.dir().resolve(segmentFileName(s.getBaseOffset()) + ".md5"));
        }
        latest = load(cur.dir());
        scanned = true;
        LOG.info("Snapshot {} no longer holds {} segments below offset {}", cur.dir(), drop.size(), logStartOffset);
    }

    /** Byte position in a segment file of the first batch at or after {@code offset} (or its end). */
    static long positionOf(Path segmentFile, long offset) throws IOException {
        try (FileChannel ch = FileChannel.open(segmentFile, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer header = ByteBuffer.allocate(RecordBatchFormat.LOG_OVERHEAD);
            long position = 0;
            while (position + RecordBatchFormat.LOG_OVERHEAD <= size) {
                header.clear();
                while (header.hasRemaining()) {
                    if (ch.read(header, position + header.position()) < 0) {
                        return position;
                    }
                }
                long base = header.getLong(RecordBatchFormat.BASE_OFFSET_OFFSET);
                int length = header.getInt(RecordBatchFormat.LENGTH_OFFSET);
                if (base >= offset || length <= 0) {
                    return position;
                }
                position += RecordBatchFormat.LOG_OVERHEAD + length;
            }
            return Math.min(position, size);
        }
    }

    /**
     * Replaces the partition log in {@code logDir} with the segments of a snapshot (a replica
     * that was too far behind, after Ratis installed the leader's snapshot here). The log must be
     * closed.
     */
    static void installSegments(Loaded snapshot, Path logDir, String topicId) throws IOException {
        Files.createDirectories(logDir);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(logDir)) {
            for (Path p : ds) {
                if (!p.getFileName().toString().equals(PartitionSpec.MARKER_FILE)) {
                    deleteRecursively(p);
                }
            }
        }
        // The marker names the topic the directory belongs to: keep it (and rewrite it, in case an
        // earlier install was cut short before it was written).
        PartitionSpec.writeMarker(logDir, topicId);
        for (PartitionSnapshotSegment s : snapshot.meta().getSegmentsList()) {
            String file = segmentFileName(s.getBaseOffset());
            Path src = snapshot.dir().resolve(file);
            Path dst = logDir.resolve(file);
            if (Files.size(src) == s.getSizeBytes()) {
                Files.createLink(dst, src);
            } else {
                // Keep only the snapshot's part (the rest is not committed).
                try (FileChannel in = FileChannel.open(src, StandardOpenOption.READ);
                     FileChannel out = FileChannel.open(dst, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    long done = 0;
                    while (done < s.getSizeBytes()) {
                        done += in.transferTo(done, s.getSizeBytes() - done, out);
                    }
                    out.force(true);
                }
            }
        }
    }

    private void deleteAllBut(Path keep) throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(smDir, DIR_PREFIX + "*")) {
            for (Path p : ds) {
                if (!p.equals(keep)) {
                    deleteRecursively(p);
                }
            }
        }
    }

    static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }

    Optional<Path> dir() {
        return Optional.ofNullable(smDir);
    }

    @Override
    public void format() {
    }

    @Override
    public void cleanupOldSnapshots(SnapshotRetentionPolicy policy) {
        // create() keeps only the newest.
    }

    @Override
    public java.io.File getSnapshotDir() {
        Path d = smDir;
        return d == null ? null : d.toFile();
    }
}
