package io.tributary.log.internal;

import net.openhft.chronicle.core.io.AbstractReferenceCounted;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link TimeIndex}: growing-only entries, lookups (warm tail and cold head), the final entry, truncation, trim, reopen. */
@Timeout(30)
class TimeIndexTest {
    private static final long BASE = 500;

    @TempDir
    Path dir;

    final List<AbstractIndex> opened = new ArrayList<>();

    @BeforeAll
    static void trace() {
        AbstractReferenceCounted.enableReferenceTracing();
    }

    @AfterEach
    void closeAll() throws IOException {
        for (AbstractIndex index : opened) {
            index.close();
        }
        AbstractReferenceCounted.assertReferencesReleased();
    }

    TimeIndex open(int maxIndexBytes, boolean writable) throws IOException {
        TimeIndex index = new TimeIndex(file(), BASE, maxIndexBytes, writable);
        opened.add(index);
        return index;
    }

    Path file() {
        return dir.resolve(LogFiles.filenamePrefix(BASE) + LogFiles.TIME_INDEX_SUFFIX);
    }

    /** Entry i: every record below offset BASE + 10(i + 1) has a timestamp at most 1000 + 5i. */
    static void fill(TimeIndex index, int entries) {
        for (int i = 0; i < entries; i++) {
            index.maybeAppend(1000 + 5L * i, BASE + 10L * (i + 1));
        }
    }

    /** The offset of the last entry fill() wrote whose timestamp is below {@code timestamp}, or BASE. */
    static long expectedLookup(long timestamp, int entries) {
        long last = Math.min(entries - 1, Math.floorDiv(timestamp - 1001, 5)); // largest i: 1000 + 5i < timestamp
        return last < 0 ? BASE : BASE + 10L * (last + 1);
    }

    @Test
    void shouldStartScansAfterTheLastEntryBelowATimestampInTheWarmTailAndTheColdHead() throws IOException {
        int entries = 3_000; // the warm tail is the last 8 KiB: 682 entries
        TimeIndex index = open(64 * 1024, true);
        assertThat(index.lookup(5_000)).isEqualTo(BASE);
        assertThat(index.lastEntry()).isNull();
        fill(index, entries);
        assertThat(index.entries()).isEqualTo(entries);
        assertThat(index.lookup(Long.MIN_VALUE)).isEqualTo(BASE);
        for (long t = 990; t < 1000 + 5L * entries + 10; t++) {
            assertThat(index.lookup(t)).as("lookup(%d)", t).isEqualTo(expectedLookup(t, entries));
        }
    }

    @Test
    void shouldOnlyAddEntriesThatRaiseTheTimestamp() throws IOException {
        TimeIndex index = open(4096, true);
        index.maybeAppend(2000, BASE + 10);
        index.maybeAppend(2000, BASE + 20); // same timestamp: nothing new to say
        index.maybeAppend(1500, BASE + 30); // lower: ignored
        assertThat(index.entries()).isEqualTo(1);
        index.maybeAppend(2500, BASE + 40);
        assertThat(index.entries()).isEqualTo(2);
        assertThat(index.lastEntry()).isEqualTo(new TimeIndex.TimestampOffsetEntry(2500, BASE + 40));
        assertThatThrownBy(() -> index.maybeAppend(3000, BASE + 40)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> index.maybeAppend(3000, BASE)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldWriteTheFinalEntryOnceEvenWhenTheTimestampDidNotGrow() throws IOException {
        TimeIndex index = open(4096, true);
        fill(index, 3); // last: (1010, BASE + 30)
        index.appendFinal(1005, BASE + 45); // the segment's newest record is older than the last entry says
        assertThat(index.lastEntry()).isEqualTo(new TimeIndex.TimestampOffsetEntry(1010, BASE + 45));
        index.appendFinal(1010, BASE + 45);
        assertThat(index.entries()).isEqualTo(4);

        TimeIndex empty = new TimeIndex(dir.resolve("empty.timeindex"), BASE, 4096, true);
        opened.add(empty);
        empty.appendFinal(-1, BASE); // an empty segment: nothing to describe
        assertThat(empty.entries()).isZero();
    }

    @Test
    void shouldTruncateEntriesAtOrBeyondAnOffset() throws IOException {
        TimeIndex index = open(4096, true);
        fill(index, 20);
        index.truncateToOffset(BASE + 150); // drops entries with offset >= BASE + 150: i >= 14
        assertThat(index.entries()).isEqualTo(14);
        index.truncateToOffset(BASE + 141); // BASE + 140 stays
        assertThat(index.entries()).isEqualTo(14);
        index.truncateToOffset(BASE + 140);
        assertThat(index.entries()).isEqualTo(13);
        assertThat(index.lookup(Long.MAX_VALUE)).isEqualTo(BASE + 130);
        index.maybeAppend(2000, BASE + 140);
        index.close();
        opened.remove(index);

        TimeIndex again = open(4096, false);
        assertThat(again.entries()).isEqualTo(14);
        assertThat(again.lastEntry()).isEqualTo(new TimeIndex.TimestampOffsetEntry(2000, BASE + 140));
    }

    @Test
    void shouldTrimOnRollAndBeFoundWhenReopened() throws IOException {
        TimeIndex index = open(4096, true);
        assertThat(index.maxEntries()).isEqualTo(341); // 4092 bytes of whole entries
        assertThat(Files.size(file())).as("preallocated (the mapping may round it up)").isGreaterThanOrEqualTo(4092);
        fill(index, 7);
        index.trimToValidSize();
        assertThat(Files.size(file())).isEqualTo(7L * TimeIndex.ENTRY_SIZE);
        assertThat(index.isWritable()).isFalse();
        assertThatThrownBy(() -> index.maybeAppend(9_999, BASE + 1_000)).isInstanceOf(IllegalStateException.class);
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file())).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(bytes.getLong(0)).isEqualTo(1000);
        assertThat(bytes.getInt(8)).isEqualTo(10);
        index.close();
        opened.remove(index);

        TimeIndex again = open(4096, false);
        assertThat(again.entries()).isEqualTo(7);
        assertThat(again.lookup(1016)).isEqualTo(expectedLookup(1016, 7));
    }

    @Test
    void shouldSayWhenItIsFull() throws IOException {
        TimeIndex index = open(60, true);
        assertThat(index.maxEntries()).isEqualTo(5);
        fill(index, 5);
        assertThat(index.isFull()).isTrue();
        assertThatThrownBy(() -> index.maybeAppend(99_999, BASE + 1_000)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("full");
    }

    @Test
    void shouldFailItsSanityCheckWhenTimestampsGoBackwards() throws IOException {
        ByteBuffer backwards = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        backwards.putLong(5000).putInt(10).putLong(1000).putInt(20);
        Files.write(file(), backwards.array());
        TimeIndex damaged = open(4096, false);
        assertThat(damaged.entries()).isEqualTo(2);
        assertThatThrownBy(() -> damaged.sanityCheck(1 << 20)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not increasing");
    }
}
