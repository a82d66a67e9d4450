package io.tributary.log.internal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(10)
class CleanerCheckpointFileTest {
    /** Written by a Python script from the layout in the class Javadoc, not by this code: offset 1234567890123. */
    private static final Path GOLDEN_V1 = Paths.get("src/test/resources/format/v1/cleaner/cleaner-offset.checkpoint");

    @TempDir
    Path dir;

    @Test
    void shouldReadTheVersion1GoldenFileAndWriteTheSameBytes() throws IOException {
        Files.copy(GOLDEN_V1, dir.resolve(LogFiles.CLEANER_CHECKPOINT_FILE));
        assertThat(CleanerCheckpointFile.read(dir)).hasValue(1234567890123L);

        CleanerCheckpointFile.write(dir, 1234567890123L);
        assertThat(Files.readAllBytes(dir.resolve(LogFiles.CLEANER_CHECKPOINT_FILE)))
                .isEqualTo(Files.readAllBytes(GOLDEN_V1));
        assertThat(Files.exists(dir.resolve(LogFiles.CLEANER_CHECKPOINT_FILE + ".tmp"))).isFalse();
    }

    @Test
    void shouldReadNothingWhenThereIsNoFile() throws IOException {
        assertThat(CleanerCheckpointFile.read(dir)).isEmpty();
    }

    @Test
    void shouldRefuseDamagedFilesNamingThem() throws IOException {
        Path file = dir.resolve(LogFiles.CLEANER_CHECKPOINT_FILE);
        byte[] good = Files.readAllBytes(GOLDEN_V1);

        byte[] badCrc = good.clone();
        badCrc[10] ^= 1;
        Files.write(file, badCrc);
        assertThatThrownBy(() -> CleanerCheckpointFile.read(dir)).isInstanceOf(IOException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("CRC");

        byte[] badVersion = good.clone();
        badVersion[5] = 2;
        Files.write(file, badVersion);
        assertThatThrownBy(() -> CleanerCheckpointFile.read(dir)).hasMessageContaining("version 2");

        byte[] badMagic = good.clone();
        badMagic[0] = 0;
        Files.write(file, badMagic);
        assertThatThrownBy(() -> CleanerCheckpointFile.read(dir)).hasMessageContaining("magic");

        Files.write(file, new byte[] {0x54, 0x52});
        assertThatThrownBy(() -> CleanerCheckpointFile.read(dir)).hasMessageContaining("too short");

        byte[] longer = new byte[good.length + 1];
        System.arraycopy(good, 0, longer, 0, good.length);
        Files.write(file, longer);
        assertThatThrownBy(() -> CleanerCheckpointFile.read(dir)).hasMessageContaining("expected 18");
    }
}
