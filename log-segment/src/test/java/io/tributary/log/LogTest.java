package io.tributary.log;

import io.tributary.log.internal.LogSegment;
import io.tributary.log.internal.TimeIndex;
import io.tributary.record.RecordBatch;
import io.tributary.record.RecordBatches;
import net.openhft.chronicle.core.io.AbstractReferenceCounted;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static io.tributary.log.LogTestSupport.batch;
import static io.tributary.log.LogTestSupport.offsetsAndValues;
import static io.tributary.log.LogTestSupport.readAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(60)
class LogTest {
    @TempDir
    Path dir;

    final AtomicLong clock = new AtomicLong(1_000_000);
    final List<Log> opened = new ArrayList<>();

    @BeforeAll
    static void trace() {
        AbstractReferenceCounted.enableReferenceTracing();
    }

    @AfterEach
    void closeAll() {
        opened.forEach(Log::close);
        AbstractReferenceCounted.assertReferencesReleased();
    }

    Log open(LogConfig config) throws Exception {
        Log log = Log.open(dir, config, LogEnvironment.defaults().withClock(clock::get));
        opened.add(log);
        return log;
    }

    static LogConfig small() {
        return LogConfig.builder().segmentBytes(4096).indexIntervalBytes(256).segmentIndexBytes(4096)
                .maxMessageBytes(4096).build();
    }

    @Test
    void shouldAssignDenseOffsetsAndReadBack() throws Exception {
        Log log = open(LogConfig.defaults());
        LogAppendInfo a = log.append(batch(3, 10, 5, "a"), 7);
        LogAppendInfo b = log.append(batch(2, 10, 6, "b"), 7);
        assertThat(a.firstOffset()).isZero();
        assertThat(a.lastOffset()).isEqualTo(2);
        assertThat(b.firstOffset()).isEqualTo(3);
        assertThat(log.logEndOffset()).isEqualTo(5);
        LogReadResult r = log.read(0, 1 << 20, Long.MAX_VALUE);
        assertThat(offsetsAndValues(r.records())).containsExactly("0:a0", "1:a1", "2:a2", "3:b0", "4:b1");
        assertThat(r.nextOffset()).isEqualTo(5);
        for (RecordBatch rb : RecordBatches.iterate(r.records())) {
            assertThat(rb.partitionLeaderEpoch()).isEqualTo(7);
            assertThat(rb.isValid()).isTrue();
        }
    }

    /**
     * A thread interrupted while it reads or writes (Ratis interrupts its log appender threads,
     * which read entries from the log) must not close the segment's file channel for everyone:
     * the log goes on serving appends, truncations and reads.
     */
    @Test
    void shouldKeepWorkingAfterAnInterruptedThreadUsedIt() throws Exception {
        assertThat(io.tributary.log.internal.UninterruptibleChannels.supported())
                .as("the test JVM runs with --add-opens java.base/sun.nio.ch=ALL-UNNAMED").isTrue();
        Log log = open(LogConfig.defaults());
        log.append(batch(3, 10, 5, "a"), 7);
        Thread.currentThread().interrupt();
        try {
            LogReadResult r = log.read(0, 1 << 20, Long.MAX_VALUE);
            assertThat(offsetsAndValues(r.records())).containsExactly("0:a0", "1:a1", "2:a2");
            log.append(batch(1, 10, 6, "i"), 7);
            log.flush();
        } finally {
            assertThat(Thread.interrupted()).as("the interrupt is left for the thread to handle").isTrue();
        }
        log.append(batch(2, 10, 6, "b"), 7);
        log.truncateTo(4);
        assertThat(offsetsAndValues(log.read(0, 1 << 20, Long.MAX_VALUE).records()))
                .containsExactly("0:a0", "1:a1", "2:a2", "3:i0");
    }

    @Test
    void shouldBoundReadsByTheCommittedOffset() throws Exception {
        Log log = open(LogConfig.defaults());
        log.append(batch(3, 10, 5, "a"), 0);
        log.append(batch(2, 10, 6, "b"), 0);
        LogReadResult r = log.read(0, 1 << 20, 3);
        assertThat(offsetsAndValues(r.records())).containsExactly("0:a0", "1:a1", "2:a2");
        assertThat(log.read(3, 1 << 20, 3).isEmpty()).isTrue();
        assertThatThrownBy(() -> log.read(4, 100, 3)).isInstanceOf(OffsetOutOfRangeException.class)
                .hasMessageContaining("[0, 3]");
    }

    @Test
    void shouldRollAndReadAcrossSegmentsAndReopen() throws Exception {
        Log log = open(small());
        for (int i = 0; i < 100; i++) {
            log.append(batch(2, 100, i, "r" + i + "-"), 1);
        }
        assertThat(log.numberOfSegments()).isGreaterThan(5);
        List<String> all = readAll(log);
        assertThat(all).hasSize(200);
        assertThat(all.get(57)).isEqualTo("57:r28-1");
        log.close();
        opened.remove(log);
        Log again = open(small());
        assertThat(again.logEndOffset()).isEqualTo(200);
        assertThat(readAll(again)).isEqualTo(all);
        again.append(batch(1, 10, 1, "x"), 2);
        assertThat(again.logEndOffset()).isEqualTo(201);
    }

    @Test
    void shouldFindOffsetsByTimestamp() throws Exception {
        Log log = open(small());
        for (int i = 0; i < 50; i++) {
            log.append(batch(2, 100, 1000 + i * 10L, "t"), 1);
        }
        assertThat(log.offsetForTimestamp(0)).contains(new TimestampOffset(1000, 0));
        assertThat(log.offsetForTimestamp(1255)).contains(new TimestampOffset(1260, 52));
        assertThat(log.offsetForTimestamp(1260)).contains(new TimestampOffset(1260, 52));
        assertThat(log.offsetForTimestamp(99999)).isEmpty();
    }

    @Test
    void shouldTruncateAcrossSegments() throws Exception {
        Log log = open(small());
        for (int i = 0; i < 60; i++) {
            log.append(batch(2, 100, i, "r"), 1);
        }
        long end = log.truncateTo(31);
        assertThat(end).isEqualTo(30);
        assertThat(log.logEndOffset()).isEqualTo(30);
        assertThat(readAll(log)).hasSize(30);
        log.append(batch(1, 10, 5, "after"), 2);
        assertThat(readAll(log)).last().isEqualTo("30:after0");
    }

    @Test
    void shouldEnforceRetentionBySizeAndTime() throws Exception {
        Log log = open(small().toBuilder().retentionBytes(8192).retentionMs(-1).build());
        for (int i = 0; i < 100; i++) {
            log.append(batch(2, 100, clock.get(), "r"), 1);
        }
        int before = log.numberOfSegments();
        assertThat(log.enforceRetention()).isGreaterThan(0);
        assertThat(log.sizeInBytes()).isLessThanOrEqualTo(8192 + 4096);
        assertThat(log.logStartOffset()).isEqualTo(log.segmentBaseOffsets().get(0));
        assertThat(log.numberOfSegments()).isLessThan(before);
        assertThatThrownBy(() -> log.read(0, 100, Long.MAX_VALUE)).isInstanceOf(OffsetOutOfRangeException.class);

        log.updateConfig(log.config().toBuilder().retentionBytes(-1).retentionMs(1000).build());
        clock.addAndGet(5000);
        log.roll();
        log.append(batch(1, 10, clock.get(), "new"), 1);
        log.roll();
        log.enforceRetention();
        assertThat(log.numberOfSegments()).isEqualTo(2); // the new record's segment and the empty active one
        assertThat(readAll(log)).containsExactly("200:new0");
    }

    @Test
    void shouldRollWhenAnIndexIsFullBeforeTheSegmentIs() throws Exception {
        // index.interval.bytes=0: an entry before every batch but the first; 4 KiB indexes hold 511
        // offset and 341 time entries, long before 1 MiB of small batches.
        LogConfig config = LogConfig.builder().segmentBytes(1 << 20).maxMessageBytes(4096).indexIntervalBytes(0)
                .segmentIndexBytes(4096).build();
        Log log = open(config);
        for (int i = 0; i < 1000; i++) {
            log.append(batch(1, 10, 1000 + i, "i" + i + "-"), 1); // growing timestamps: a time entry per batch
        }
        assertThat(log.numberOfSegments()).isGreaterThanOrEqualTo(3);
        List<LogSegment> segments = new ArrayList<>(log.segmentsView());
        for (LogSegment seg : segments.subList(0, segments.size() - 1)) {
            assertThat(seg.size()).isLessThan(1 << 16);
            assertThat(seg.timeIndex().entries()).as("time index of %s", seg)
                    .isEqualTo(seg.timeIndex().maxEntries()); // filled up, the last slot for the final entry
            TimeIndex.TimestampOffsetEntry last = seg.timeIndex().lastEntry();
            assertThat(last.offset()).isEqualTo(seg.nextOffset());
            assertThat(last.timestamp()).isEqualTo(seg.maxTimestamp());
        }
        List<String> all = readAll(log);
        assertThat(all).hasSize(1000);
        assertThat(log.offsetForTimestamp(1500)).contains(new TimestampOffset(1500, 500));
        log.close();
        opened.remove(log);

        Log again = open(config);
        assertThat(readAll(again)).isEqualTo(all);
        assertThat(again.offsetForTimestamp(1999)).contains(new TimestampOffset(1999, 999));
        assertThat(again.append(batch(1, 10, 5000, "x"), 1).firstOffset()).isEqualTo(1000);
    }

    @Test
    void shouldRollOnSegmentAge() throws Exception {
        Log log = open(LogConfig.builder().segmentMs(10_000).build());
        log.append(batch(1, 10, 1, "a"), 1);
        clock.addAndGet(5_000);
        log.append(batch(1, 10, 1, "b"), 1);
        assertThat(log.numberOfSegments()).isEqualTo(1);
        clock.addAndGet(5_001);
        log.append(batch(1, 10, 1, "c"), 1);
        assertThat(log.segmentBaseOffsets()).containsExactly(0L, 2L);
        assertThat(readAll(log)).containsExactly("0:a0", "1:b0", "2:c0");
    }

    @Test
    void shouldRejectBadInputWithoutWriting() throws Exception {
        Log log = open(small());
        ByteBuffer b = batch(2, 10, 1, "x");
        b.put(b.limit() - 1, (byte) (b.get(b.limit() - 1) ^ 1));
        assertThatThrownBy(() -> log.append(b, 1)).isInstanceOf(InvalidAppendException.class)
                .hasMessageContaining("CRC");
        assertThatThrownBy(() -> log.append(ByteBuffer.allocate(0), 1)).isInstanceOf(InvalidAppendException.class);
        assertThatThrownBy(() -> log.append(batch(1, 5000, 1, "big"), 1))
                .isInstanceOf(InvalidAppendException.class).hasMessageContaining("max.message.bytes");
        assertThat(log.logEndOffset()).isZero();
        assertThat(log.isFailed()).isFalse();
    }
}
