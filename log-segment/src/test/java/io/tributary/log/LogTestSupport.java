package io.tributary.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import io.tributary.log.internal.LogFiles;
import io.tributary.record.Compression;
import io.tributary.record.RecordBatch;
import io.tributary.record.RecordBatchBuilder;
import io.tributary.record.RecordBatchFormat;
import io.tributary.record.RecordBatches;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;
import org.slf4j.helpers.MessageFormatter;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Builds batches, reads records back, and damages files, for the log tests. */
final class LogTestSupport {
    private LogTestSupport() {
    }

    /** A batch of {@code count} records with values "v&lt;i&gt;" (padded to {@code valueBytes}) and timestamp {@code ts}. */
    static ByteBuffer batch(int count, int valueBytes, long ts, String prefix) {
        RecordBatchBuilder b = new RecordBatchBuilder(Compression.NONE, Integer.MAX_VALUE);
        for (int i = 0; i < count; i++) {
            b.append(ts, ByteBuffer.wrap(("k" + i).getBytes(StandardCharsets.UTF_8)),
                    ByteBuffer.wrap(value(prefix + i, valueBytes)));
        }
        return b.build().buffer();
    }

    /** A batch of one record per value, all with timestamp {@code ts}, values padded with zeros to {@code valueBytes}. */
    static ByteBuffer batchOf(List<String> values, int valueBytes, long ts) {
        RecordBatchBuilder b = new RecordBatchBuilder(Compression.NONE, Integer.MAX_VALUE);
        for (int i = 0; i < values.size(); i++) {
            b.append(ts, ByteBuffer.wrap(("k" + i).getBytes(StandardCharsets.UTF_8)),
                    ByteBuffer.wrap(value(values.get(i), valueBytes)));
        }
        return b.build().buffer();
    }

    /** Several batches back to back in one buffer, as one append call takes them. */
    static ByteBuffer concat(List<ByteBuffer> batches) {
        int size = batches.stream().mapToInt(ByteBuffer::remaining).sum();
        ByteBuffer all = ByteBuffer.allocate(size);
        batches.forEach(b -> all.put(b.duplicate()));
        return all.flip();
    }

    static byte[] value(String text, int size) {
        byte[] t = text.getBytes(StandardCharsets.UTF_8);
        byte[] v = new byte[Math.max(size, t.length)];
        System.arraycopy(t, 0, v, 0, t.length);
        return v;
    }

    /** The values (up to the first zero byte) of every record in the buffer, with their offsets. */
    static List<String> offsetsAndValues(ByteBuffer buf) {
        List<String> out = new ArrayList<>();
        for (RecordBatch batch : RecordBatches.iterate(buf.duplicate())) {
            batch.records().forEachRemaining(r -> {
                ByteBuffer v = r.value();
                byte[] bytes = new byte[v.remaining()];
                v.duplicate().get(bytes);
                int len = 0;
                while (len < bytes.length && bytes[len] != 0) {
                    len++;
                }
                out.add(r.offset() + ":" + new String(bytes, 0, len, StandardCharsets.UTF_8));
            });
        }
        return out;
    }

    /** Every record from the log start offset to the log end offset, read in small steps, as "offset:value". */
    static List<String> readAll(Log log) {
        List<String> out = new ArrayList<>();
        long offset = log.logStartOffset();
        while (offset < log.logEndOffset()) {
            LogReadResult r = log.read(offset, 1000, Long.MAX_VALUE);
            for (String s : offsetsAndValues(r.records())) {
                if (offsetOf(s) >= offset) {
                    out.add(s);
                }
            }
            if (r.nextOffset() <= offset) {
                throw new AssertionError("read at " + offset + " made no progress: " + r);
            }
            offset = r.nextOffset();
        }
        return out;
    }

    static long offsetOf(String offsetAndValue) {
        return Long.parseLong(offsetAndValue.substring(0, offsetAndValue.indexOf(':')));
    }

    // ---------------------------------------------------------------- files

    /** A batch as found in a {@code .log} file. */
    record FileBatch(int position, int size, long baseOffset, long lastOffset, long maxTimestamp) {
        int end() {
            return position + size;
        }

        long nextOffset() {
            return lastOffset + 1;
        }
    }

    /** The whole batches of a {@code .log} file, parsed from its bytes (stops at a partial or bad header). */
    static List<FileBatch> batchesIn(Path logFile) {
        try {
            ByteBuffer file = ByteBuffer.wrap(Files.readAllBytes(logFile));
            List<FileBatch> out = new ArrayList<>();
            int position = 0;
            while (file.limit() - position >= RecordBatchFormat.RECORD_BATCH_OVERHEAD) {
                int size = file.getInt(position + RecordBatchFormat.LENGTH_OFFSET) + RecordBatchFormat.LOG_OVERHEAD;
                if (size < RecordBatchFormat.RECORD_BATCH_OVERHEAD || position + size > file.limit()) {
                    break;
                }
                long base = file.getLong(position + RecordBatchFormat.BASE_OFFSET_OFFSET);
                int delta = file.getInt(position + RecordBatchFormat.LAST_OFFSET_DELTA_OFFSET);
                long maxTs = file.getLong(position + RecordBatchFormat.MAX_TIMESTAMP_OFFSET);
                out.add(new FileBatch(position, size, base, base + delta, maxTs));
                position += size;
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The segment base offsets that have a {@code .log} file in {@code dir}, ascending. */
    static List<Long> segmentBases(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(LogFiles.LOG_SUFFIX))
                    .map(LogFiles::baseOffsetOf)
                    .filter(b -> b >= 0)
                    .sorted()
                    .toList();
        }
    }

    static List<String> fileNames(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    static void truncateFile(Path file, long size) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            if (size > raf.length()) {
                throw new IllegalArgumentException(file + " is " + raf.length() + " bytes, cannot cut to " + size);
            }
            raf.setLength(size);
        }
    }

    /** Flips every bit of the byte at {@code position}. */
    static void flipByte(Path file, long position) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(position);
            int b = raf.read();
            raf.seek(position);
            raf.write(~b & 0xFF);
        }
    }

    static void writeAt(Path file, long position, byte[] bytes) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(position);
            raf.write(bytes);
        }
    }

    /** Copies the regular files of {@code from} into a new directory {@code to}. */
    static void copyDirectory(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(p)) {
                    Files.copy(p, to.resolve(p.getFileName()));
                }
            }
        }
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }

    // ---------------------------------------------------------------- log output

    /**
     * Captures what the log classes log, to assert on warnings and errors. Close to detach.
     *
     * <p>A turbo filter at the head of the chain, so it sees every message before the
     * {@code DuplicateMessageFilter} of logback-test.xml, which drops a message pattern after 100
     * repetitions in the JVM (other test classes may have used them up).
     */
    static final class LogCapture extends TurboFilter implements AutoCloseable {
        private record Entry(Level level, String message) {
        }

        private final LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        private final List<Entry> entries = new java.util.concurrent.CopyOnWriteArrayList<>();

        LogCapture() {
            start();
            context.getTurboFilterList().add(0, this);
        }

        @Override
        public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params,
                                  Throwable t) {
            if (format != null && level.isGreaterOrEqual(Level.INFO) && logger.getName().startsWith("io.tributary.log")) {
                entries.add(new Entry(level, MessageFormatter.arrayFormat(format, params).getMessage()));
            }
            return FilterReply.NEUTRAL;
        }

        List<String> messages(Level level) {
            return entries.stream().filter(e -> e.level() == level).map(Entry::message).toList();
        }

        @Override
        public void close() {
            context.getTurboFilterList().remove(this);
            stop();
        }
    }
}
