package io.tributary.it;

import io.tributary.record.InvalidRecordBatchException;
import io.tributary.record.RecordBatch;
import io.tributary.record.RecordBatches;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Reads a partition replica's segment files ({@code <dir>/<20 digits>.log}, log-segment FORMAT.md)
 * straight from disk, as a test checks what a broker really stored. A live broker may be appending:
 * a partial batch at the end of the last segment is ignored.
 */
public final class SegmentFiles {

    private SegmentFiles() {
    }

    /** The replica directory {@code <topic>-<partition>} under {@code root}, at any depth. */
    public static Optional<Path> findPartitionDir(Path root, TopicPartition tp) {
        if (!Files.isDirectory(root)) {
            return Optional.empty();
        }
        try (Stream<Path> paths = Files.walk(root)) {
            return paths.filter(Files::isDirectory)
                    .filter(p -> p.getFileName().toString().equals(tp.dirName()))
                    .findFirst();
        } catch (IOException | UncheckedIOException e) {
            // A directory removed while walking (retention, replica deleted): not found this time.
            return Optional.empty();
        }
    }

    /** Every complete batch of the replica, in offset order, with its bytes copied off the files. */
    public static List<RecordBatch> readBatches(Path partitionDir) {
        List<Path> segments;
        try (Stream<Path> files = Files.list(partitionDir)) {
            segments = files.filter(p -> p.getFileName().toString().matches("\\d{20}\\.log")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + partitionDir, e);
        }
        List<RecordBatch> batches = new ArrayList<>();
        for (Path segment : segments) {
            ByteBuffer bytes;
            try {
                bytes = ByteBuffer.wrap(Files.readAllBytes(segment));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + segment, e);
            }
            try {
                for (RecordBatch batch : RecordBatches.iterate(bytes)) {
                    batches.add(batch);
                }
            } catch (InvalidRecordBatchException e) {
                // The tail being written right now; everything before it was returned.
            }
        }
        return batches;
    }

    /** The batches that lie entirely below {@code highWatermark}. */
    public static List<RecordBatch> readBatchesBelow(Path partitionDir, long highWatermark) {
        return readBatches(partitionDir).stream().filter(b -> b.nextOffset() <= highWatermark).toList();
    }
}
