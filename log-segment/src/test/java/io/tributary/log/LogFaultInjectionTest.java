package io.tributary.log;

import ch.qos.logback.classic.Level;
import io.tributary.log.LogTestSupport.FileBatch;
import io.tributary.log.LogTestSupport.LogCapture;
import io.tributary.log.internal.LogFiles;
import io.tributary.log.internal.LogSegment;
import net.openhft.chronicle.core.io.AbstractReferenceCounted;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static io.tributary.log.LogTestSupport.batch;
import static io.tributary.log.LogTestSupport.batchesIn;
import static io.tributary.log.LogTestSupport.offsetsAndValues;
import static io.tributary.log.LogTestSupport.readAll;
import static io.tributary.log.LogTestSupport.segmentBases;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * I/O faults injected under the log through {@link FaultInjectingFileChannelProvider}: a failed
 * write fails the log for good (sticky, STYLE.md §4), what was acknowledged before survives a
 * reopen intact, a partly written batch does not, and short writes and reads change nothing.
 */
@Timeout(60)
class LogFaultInjectionTest {
    @TempDir
    Path dir;

    final AtomicLong clock = new AtomicLong(1_000_000);
    final FaultInjectingFileChannelProvider faults = new FaultInjectingFileChannelProvider();
    final List<Log> opened = new ArrayList<>();
    final List<String> acknowledged = new ArrayList<>();
    LogCapture logged;

    @BeforeAll
    static void trace() {
        AbstractReferenceCounted.enableReferenceTracing();
    }

    @BeforeEach
    void capture() {
        logged = new LogCapture();
    }

    @AfterEach
    void closeAll() {
        opened.forEach(Log::close);
        logged.close();
        AbstractReferenceCounted.assertReferencesReleased();
    }

    static LogConfig config() {
        return LogConfig.builder().segmentBytes(4096).indexIntervalBytes(256).segmentIndexBytes(4096)
                .maxMessageBytes(4096).retentionMs(-1).build();
    }

    Log open() throws IOException {
        Log log = Log.open(dir, config(), new LogEnvironment(clock::get, faults));
        opened.add(log);
        return log;
    }

    void close(Log log) {
        log.close();
        opened.remove(log);
    }

    /** Appends one three-record batch and remembers its records as acknowledged. */
    void appendAcknowledged(Log log, String prefix) {
        LogAppendInfo info = log.append(batch(3, 100, clock.get(), prefix), 1);
        for (int j = 0; j < 3; j++) {
            acknowledged.add((info.firstOffset() + j) + ":" + prefix + j);
        }
    }

    /** Opens the log again with every fault removed: it holds exactly what was acknowledged, and takes appends. */
    void assertReopensWithAcknowledgedRecords() throws IOException {
        faults.heal();
        Log again = open();
        assertThat(again.isFailed()).isFalse();
        assertThat(again.logEndOffset()).isEqualTo(acknowledged.size());
        assertThat(readAll(again)).containsExactlyElementsOf(acknowledged);
        LogAppendInfo info = again.append(batch(1, 10, clock.get(), "after"), 2);
        assertThat(info.firstOffset()).isEqualTo(acknowledged.size());
        assertThat(offsetsAndValues(again.read(info.firstOffset(), 100, Long.MAX_VALUE).records()))
                .containsExactly(acknowledged.size() + ":after0");
    }

    static void assertRefusesEveryWrite(Log log) {
        assertThat(log.isFailed()).isTrue();
        assertThatThrownBy(() -> log.append(batch(1, 10, 1, "x"), 1)).isInstanceOf(LogFailedException.class);
        assertThatThrownBy(log::flush).isInstanceOf(LogFailedException.class);
        assertThatThrownBy(() -> log.truncateTo(1)).isInstanceOf(LogFailedException.class);
        assertThatThrownBy(() -> log.truncateFullyAndStartAt(0)).isInstanceOf(LogFailedException.class);
        assertThatThrownBy(log::roll).isInstanceOf(LogFailedException.class);
        assertThatThrownBy(log::enforceRetention).isInstanceOf(LogFailedException.class);
        assertThatThrownBy(log::checkpoint).isInstanceOf(LogFailedException.class);
        assertThatThrownBy(() -> log.advanceLogStartOffset(1)).isInstanceOf(LogFailedException.class);
        assertThatThrownBy(() -> log.appendAsFollower(batch(1, 10, 1, "f"))).isInstanceOf(LogFailedException.class);
    }

    @Test
    void shouldFailTheLogStickilyWhenAnAppendCannotWrite() throws IOException {
        Log log = open();
        for (int i = 0; i < 20; i++) {
            appendAcknowledged(log, "a" + i + "-");
        }
        log.flush();
        for (int i = 0; i < 3; i++) {
            appendAcknowledged(log, "u" + i + "-"); // acknowledged, not yet flushed
        }
        long end = log.logEndOffset();

        faults.failWrites();
        assertThatThrownBy(() -> log.append(batch(3, 100, 1, "lost"), 1))
                .isInstanceOf(LogFailedException.class).hasMessageContaining("Input/output error");

        assertThat(log.logEndOffset()).isEqualTo(end);
        faults.heal(); // the log stays failed even though the disk works again
        assertRefusesEveryWrite(log);
        // What was acknowledged is still served by the failed log.
        assertThat(readAll(log)).containsExactlyElementsOf(acknowledged);
        close(log);

        assertReopensWithAcknowledgedRecords();
    }

    @Test
    void shouldReportAFullDiskAndKeepWhatWasAcknowledged() throws IOException {
        Log log = open();
        for (int i = 0; i < 5; i++) {
            appendAcknowledged(log, "a" + i + "-");
        }

        faults.diskFull();
        assertThatThrownBy(() -> log.append(batch(3, 100, 1, "lost"), 1))
                .isInstanceOfSatisfying(LogFailedException.class, e -> assertThat(e.isDiskFull()).isTrue())
                .hasMessageContaining("No space left on device");
        assertThatThrownBy(() -> log.append(batch(1, 10, 1, "x"), 1))
                .isInstanceOfSatisfying(LogFailedException.class, e -> assertThat(e.isDiskFull()).isTrue());
        assertThat(logged.messages(Level.ERROR)).anyMatch(m -> m.contains("refusing further writes"));
        close(log);

        assertReopensWithAcknowledgedRecords();
    }

    @Test
    void shouldDropAPartlyWrittenBatchAtReopen() throws IOException {
        Log log = open();
        for (int i = 0; i < 15; i++) {
            appendAcknowledged(log, "a" + i + "-");
        }
        LogSegment active = log.segmentsView().stream().reduce((a, b) -> b).orElseThrow();
        Path activeFile = active.logFile();
        int acknowledgedBytes = active.size();

        // 100 of the batch's ~400 bytes reach the file, and the disk refuses to cut them off again.
        faults.failWritesAfter(100).failTruncate();
        assertThatThrownBy(() -> log.append(batch(3, 100, 1, "partial"), 1)).isInstanceOf(LogFailedException.class)
                .satisfies(e -> assertThat(e.getCause().getSuppressed()).hasSize(1));
        assertThat(Files.size(activeFile)).isEqualTo(acknowledgedBytes + 100L);
        assertThat(active.size()).as("the partial bytes are never published").isEqualTo(acknowledgedBytes);
        assertThat(readAll(log)).containsExactlyElementsOf(acknowledged);
        close(log);

        assertReopensWithAcknowledgedRecords();
        assertThat(logged.messages(Level.WARN)).anyMatch(m -> m.contains("torn") && m.contains(activeFile.toString()));
        List<FileBatch> batches = batchesIn(activeFile);
        assertThat(batches).noneMatch(b -> b.baseOffset() >= acknowledged.size() + 1);
    }

    @Test
    void shouldNotRecoverAnyBatchOfAFailedAppendAtReopen() throws IOException {
        Log log = open();
        for (int i = 0; i < 5; i++) {
            appendAcknowledged(log, "a" + i + "-");
        }
        Path activeFile = log.segmentsView().stream().reduce((a, b) -> b).orElseThrow().logFile();
        long acknowledgedBytes = Files.size(activeFile);
        ByteBuffer first = batch(3, 100, 1, "unacked-a");
        ByteBuffer second = batch(3, 100, 1, "unacked-b");

        // The first batch of the append reaches the file whole, the second only in part.
        faults.failWritesAfter(first.remaining() + 50L);
        assertThatThrownBy(() -> log.append(LogTestSupport.concat(List.of(first, second)), 1))
                .isInstanceOf(LogFailedException.class);

        assertThat(Files.size(activeFile)).as("the failed append is cut back").isEqualTo(acknowledgedBytes);
        close(log);
        assertReopensWithAcknowledgedRecords();
    }

    @Test
    void shouldFailTheLogWhenFsyncFails() throws IOException {
        Log log = open();
        for (int i = 0; i < 5; i++) {
            appendAcknowledged(log, "a" + i + "-");
        }

        faults.failForce();
        assertThatThrownBy(log::flush).isInstanceOf(LogFailedException.class).hasMessageContaining("fsync failed");
        faults.heal();
        assertRefusesEveryWrite(log);
        close(log);

        assertReopensWithAcknowledgedRecords();
    }

    @Test
    void shouldFailTheLogWhenTheForceOfARollFails() throws IOException {
        Log log = open();
        int segments = log.numberOfSegments();
        faults.failForce();
        // Appends that do not roll never force; the first append that rolls forces the old segment and fails.
        for (int i = 0; log.numberOfSegments() == segments && !log.isFailed() && i < 100; i++) {
            try {
                appendAcknowledged(log, "a" + i + "-");
            } catch (LogFailedException expected) {
                assertThat(expected).hasMessageContaining("fsync failed");
            }
        }
        assertThat(log.isFailed()).isTrue();
        assertThat(log.numberOfSegments()).isEqualTo(segments);
        close(log);

        assertReopensWithAcknowledgedRecords();
    }

    @Test
    void shouldForceATruncationBeforeReportingIt() throws IOException {
        Log log = open();
        for (int i = 0; i < 5; i++) {
            appendAcknowledged(log, "a" + i + "-");
        }
        log.flush();
        appendAcknowledged(log, "gone-");

        // The cut must reach the disk: if it cannot be forced, the log must not say it truncated.
        faults.failForce();
        assertThatThrownBy(() -> log.truncateTo(15)).isInstanceOf(LogFailedException.class)
                .hasMessageContaining("fsync failed");
        assertThat(log.isFailed()).isTrue();
        close(log);

        acknowledged.subList(15, acknowledged.size()).clear();
        assertReopensWithAcknowledgedRecords();
    }

    @Test
    void shouldFailTheLogWhenANewSegmentCannotBeOpened() throws IOException {
        Log log = open();
        for (int i = 0; i < 5; i++) {
            appendAcknowledged(log, "a" + i + "-");
        }

        faults.failOpen();
        assertThatThrownBy(log::roll).isInstanceOf(LogFailedException.class).hasMessageContaining("Too many open files");
        faults.heal();
        assertRefusesEveryWrite(log);
        assertThat(readAll(log)).containsExactlyElementsOf(acknowledged);
        close(log);

        assertReopensWithAcknowledgedRecords();
        assertThat(segmentBases(dir)).hasSizeLessThanOrEqualTo(2);
    }

    @Test
    void shouldWriteAndReadCorrectlyThroughShortWritesAndReads() throws IOException {
        faults.shortWrites(7).shortReads(13);
        Log log = open();
        for (int i = 0; i < 40; i++) {
            appendAcknowledged(log, "s" + i + "-");
        }
        assertThat(log.numberOfSegments()).isGreaterThan(2);
        assertThat(faults.shortWrites.get()).isGreaterThan(40);
        assertThat(readAll(log)).containsExactlyElementsOf(acknowledged);
        for (LogReadResult r = log.read(0, 1 << 20, Long.MAX_VALUE); ; r = log.read(r.nextOffset(), 1 << 20,
                Long.MAX_VALUE)) {
            assertThat(io.tributary.record.RecordBatches.validateAll(r.records().duplicate())).isPositive();
            if (r.nextOffset() == log.logEndOffset()) {
                break;
            }
        }
        assertThat(faults.shortReads.get()).isPositive();
        close(log);

        // Recovery reads through short reads too (a crash: the checkpoint says nothing was flushed).
        Files.delete(dir.resolve(LogFiles.CHECKPOINT_FILE));
        faults.shortWrites(7).shortReads(13);
        Log again = open();
        assertThat(readAll(again)).containsExactlyElementsOf(acknowledged);
        close(again);
        assertReopensWithAcknowledgedRecords();
    }

    @Test
    void shouldNotFailTheLogForWritesWhenAReadFails() throws IOException {
        Log log = open();
        for (int i = 0; i < 5; i++) {
            appendAcknowledged(log, "a" + i + "-");
        }

        faults.failReads();
        assertThatThrownBy(() -> log.read(0, 1000, Long.MAX_VALUE)).isInstanceOf(LogException.class)
                .hasMessageContaining("read failed");
        assertThat(log.isFailed()).isFalse();
        appendAcknowledged(log, "b-");
        faults.heal();
        assertThat(readAll(log)).containsExactlyElementsOf(acknowledged);
        ByteBuffer empty = log.read(log.logEndOffset(), 100, Long.MAX_VALUE).records();
        assertThat(empty.hasRemaining()).isFalse();
    }
}
