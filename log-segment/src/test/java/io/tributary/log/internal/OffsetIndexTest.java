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

/** {@link OffsetIndex}: lookups (warm tail and cold head), truncation, trim on roll, reopen, full. */
@Timeout(30)
class OffsetIndexTest {
    private static final long BASE = 1_000;

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

    OffsetIndex open(Path file, int maxIndexBytes, boolean writable) throws IOException {
        OffsetIndex index = new OffsetIndex(file, BASE, maxIndexBytes, writable);
        opened.add(index);
        return index;
    }

    Path file() {
        return dir.resolve(LogFiles.filenamePrefix(BASE) + LogFiles.INDEX_SUFFIX);
    }

    /** Entry i: offset BASE + 3i + 1, position 100(i + 1). */
    static void fill(OffsetIndex index, int entries) {
        for (int i = 0; i < entries; i++) {
            index.append(BASE + 3L * i + 1, 100 * (i + 1));
        }
    }

    /** What a lookup must return, by brute force over the entries fill() wrote. */
    static OffsetPosition expectedLookup(long target, int entries) {
        OffsetPosition best = new OffsetPosition(BASE, 0);
        for (int i = 0; i < entries; i++) {
            if (BASE + 3L * i + 1 <= target) {
                best = new OffsetPosition(BASE + 3L * i + 1, 100 * (i + 1));
            }
        }
        return best;
    }

    @Test
    void shouldFindTheLastEntryAtOrBelowAnOffsetInTheWarmTailAndTheColdHead() throws IOException {
        int entries = 5_000; // the warm tail is the last 8 KiB: 1024 entries
        OffsetIndex index = open(file(), 64 * 1024, true);
        assertThat(index.lookup(BASE + 10)).isEqualTo(new OffsetPosition(BASE, 0));
        fill(index, entries);
        assertThat(index.entries()).isEqualTo(entries);

        int warmFirst = entries - 8192 / OffsetIndex.ENTRY_SIZE;
        List<Long> targets = new ArrayList<>(List.of(BASE - 5, BASE, BASE + 1, BASE + 2, Long.MAX_VALUE / 2));
        for (int slot : new int[] {0, 1, warmFirst - 1, warmFirst, warmFirst + 1, entries - 2, entries - 1}) {
            long offset = BASE + 3L * slot + 1;
            targets.addAll(List.of(offset - 1, offset, offset + 1, offset + 2));
        }
        for (long t = BASE; t < BASE + 3L * entries + 10; t += 7) {
            targets.add(t);
        }
        for (long target : targets) {
            assertThat(index.lookup(target)).as("lookup(%d)", target).isEqualTo(expectedLookup(target, entries));
        }
        assertThat(index.lastEntry()).isEqualTo(new OffsetPosition(BASE + 3L * (entries - 1) + 1, 100 * entries));
    }

    @Test
    void shouldRefuseEntriesThatDoNotFollowTheLastOne() throws IOException {
        OffsetIndex index = open(file(), 4096, true);
        index.append(BASE + 10, 500);
        assertThatThrownBy(() -> index.append(BASE + 10, 600)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not follow");
        assertThatThrownBy(() -> index.append(BASE + 11, 500)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> index.append(BASE + 5, 700)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> index.append(BASE, 800)).as("relative offset 0")
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> index.append(BASE + 20, 0)).as("position 0")
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> index.append(BASE + Integer.MAX_VALUE + 1L, 900)).as("relative offset overflow")
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(index.entries()).isEqualTo(1);
    }

    @Test
    void shouldTruncateByOffsetAndByPositionAndKeepTheCutAfterReopen() throws IOException {
        OffsetIndex index = open(file(), 4096, true);
        fill(index, 100);

        index.truncateToOffset(BASE + 3L * 60 + 1); // drops entry 60 and later
        assertThat(index.entries()).isEqualTo(60);
        assertThat(index.lookup(Long.MAX_VALUE / 2)).isEqualTo(expectedLookup(Long.MAX_VALUE / 2, 60));
        index.truncateToOffset(BASE + 3L * 50 + 2); // entry 50 (offset +1) stays
        assertThat(index.entries()).isEqualTo(51);
        index.truncateToPosition(100 * 41); // drops entry 40 (position 4100) and later
        assertThat(index.entries()).isEqualTo(40);
        index.truncateToPosition(100 * 30 + 1); // entry 29 (position 3000) stays
        assertThat(index.entries()).isEqualTo(30);
        index.truncateToOffset(BASE + 1_000_000); // nothing beyond: no change
        assertThat(index.entries()).isEqualTo(30);
        // The cut slots are zero again, so appends continue and a reopen finds 31 entries.
        index.append(BASE + 3L * 30 + 1, 100 * 31);
        index.close();
        opened.remove(index);

        OffsetIndex again = open(file(), 4096, true);
        assertThat(again.entries()).isEqualTo(31);
        assertThat(again.lookup(Long.MAX_VALUE / 2)).isEqualTo(expectedLookup(Long.MAX_VALUE / 2, 31));
        again.reset();
        assertThat(again.entries()).isZero();
        assertThat(again.lookup(BASE + 50)).isEqualTo(new OffsetPosition(BASE, 0));
    }

    @Test
    void shouldTrimToItsEntriesWhenItsSegmentRollsAndRefuseAppendsAfter() throws IOException {
        OffsetIndex index = open(file(), 4096, true);
        assertThat(Files.size(file())).as("preallocated").isEqualTo(4096);
        fill(index, 25);

        index.trimToValidSize();

        assertThat(Files.size(file())).isEqualTo(25L * OffsetIndex.ENTRY_SIZE);
        assertThat(index.isWritable()).isFalse();
        assertThat(index.lookup(BASE + 3L * 20 + 2)).isEqualTo(expectedLookup(BASE + 3L * 20 + 2, 25));
        assertThatThrownBy(() -> index.append(BASE + 500, 100_000)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("read-only");
        // The trimmed file is the format of FORMAT.md: little-endian (relative offset, position) pairs.
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file())).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(bytes.getInt(0)).isEqualTo(1);
        assertThat(bytes.getInt(4)).isEqualTo(100);
        assertThat(bytes.getInt(24 * 8)).isEqualTo(3 * 24 + 1);
        assertThat(bytes.getInt(24 * 8 + 4)).isEqualTo(2500);
    }

    @Test
    void shouldFindItsEntryCountWhenReopenedTrimmedOrPreallocated() throws IOException {
        OffsetIndex index = open(file(), 8192, true);
        fill(index, 333);
        index.flush();
        // A crash: the preallocated file with its zero tail, as the open index has it.
        Path crashed = dir.resolve(LogFiles.filenamePrefix(BASE) + ".crashed" + LogFiles.INDEX_SUFFIX);
        Files.copy(file(), crashed);
        assertThat(Files.size(crashed)).isEqualTo(8192);
        index.close();
        opened.remove(index);

        OffsetIndex readOnly = open(file(), 8192, false);
        assertThat(readOnly.entries()).isEqualTo(333);
        assertThat(readOnly.isWritable()).isFalse();
        assertThat(readOnly.lookup(BASE + 500)).isEqualTo(expectedLookup(BASE + 500, 333));

        OffsetIndex fromCrash = open(crashed, 8192, true);
        assertThat(fromCrash.entries()).isEqualTo(333);
        assertThat(fromCrash.maxEntries()).isEqualTo(8192 / OffsetIndex.ENTRY_SIZE);
        fromCrash.append(BASE + 3L * 333 + 1, 100 * 334);
        assertThat(fromCrash.entries()).isEqualTo(334);
    }

    @Test
    void shouldOpenAnEmptyTrimmedIndex() throws IOException {
        OffsetIndex index = open(file(), 4096, true);
        index.trimToValidSize();
        assertThat(Files.size(file())).isZero();
        index.close();
        opened.remove(index);

        OffsetIndex again = open(file(), 4096, false);
        assertThat(again.entries()).isZero();
        assertThat(again.maxEntries()).isZero();
        assertThat(again.lookup(BASE + 7)).isEqualTo(new OffsetPosition(BASE, 0));
        assertThat(again.lastEntry()).isEqualTo(new OffsetPosition(BASE, 0));
        again.sanityCheck(0);
    }

    @Test
    void shouldSayWhenItIsFull() throws IOException {
        OffsetIndex index = open(file(), 80, true);
        assertThat(index.maxEntries()).isEqualTo(10);
        fill(index, 10);
        assertThat(index.isFull()).isTrue();
        assertThatThrownBy(() -> index.append(BASE + 1_000, 100_000)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("full");
    }

    @Test
    void shouldFailItsSanityCheckWhenDamaged() throws IOException {
        OffsetIndex index = open(file(), 4096, true);
        fill(index, 10);
        index.sanityCheck(100 * 10 + 1);
        assertThatThrownBy(() -> index.sanityCheck(100 * 10)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("beyond the log size");
        index.close();
        opened.remove(index);

        // Entries written backwards: the last is below the first.
        ByteBuffer backwards = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        backwards.putInt(30).putInt(3000).putInt(10).putInt(1000);
        Files.write(file(), backwards.array());
        OffsetIndex damaged = open(file(), 4096, false);
        assertThatThrownBy(() -> damaged.sanityCheck(1 << 20)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not increasing");
    }
}
