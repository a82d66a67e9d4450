package io.tributary.log.internal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32C;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link CheckpointFile}: round trip, the byte layout of FORMAT.md, and the refusals with their messages. */
@Timeout(30)
class CheckpointFileTest {
    @TempDir
    Path dir;

    Path file() {
        return dir.resolve(LogFiles.CHECKPOINT_FILE);
    }

    @Test
    void shouldReadBackWhatItWrote() throws IOException {
        assertThat(CheckpointFile.read(dir)).isEmpty();
        CheckpointFile.write(dir, new CheckpointFile.Checkpoint(7, 1234));
        assertThat(CheckpointFile.read(dir)).contains(new CheckpointFile.Checkpoint(7, 1234));
        CheckpointFile.write(dir, new CheckpointFile.Checkpoint(Long.MAX_VALUE - 1, Long.MAX_VALUE));
        assertThat(CheckpointFile.read(dir)).contains(new CheckpointFile.Checkpoint(Long.MAX_VALUE - 1, Long.MAX_VALUE));
        assertThat(Files.exists(dir.resolve(LogFiles.CHECKPOINT_FILE + ".tmp"))).isFalse();
    }

    @Test
    void shouldWriteTheLayoutOfTheFormat() throws IOException {
        CheckpointFile.write(dir, new CheckpointFile.Checkpoint(0x0102030405060708L, 42));
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file())); // big-endian
        assertThat(bytes.limit()).isEqualTo(26);
        assertThat(bytes.getInt(0)).isEqualTo(0x54524350); // "TRCP"
        assertThat(new String(bytes.array(), 0, 4, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("TRCP");
        assertThat(bytes.getShort(4)).isEqualTo((short) 1);
        assertThat(bytes.getLong(6)).isEqualTo(0x0102030405060708L);
        assertThat(bytes.getLong(14)).isEqualTo(42);
        CRC32C crc = new CRC32C();
        crc.update(bytes.array(), 0, 22);
        assertThat(bytes.getInt(22)).isEqualTo((int) crc.getValue());
    }

    @Test
    void shouldRefuseABadMagicNamingTheFile() throws IOException {
        byte[] bytes = valid();
        bytes[0] = 'X';
        Files.write(file(), bytes);
        assertThatThrownBy(() -> CheckpointFile.read(dir)).isInstanceOf(IOException.class)
                .hasMessageContaining(file().toString()).hasMessageContaining("magic 0x58524350")
                .hasMessageContaining("expected 0x54524350");
    }

    @Test
    void shouldRefuseAVersionOutsideTheReadableRange() throws IOException {
        for (short version : new short[] {0, 2, -1}) {
            byte[] bytes = valid();
            ByteBuffer.wrap(bytes).putShort(4, version);
            Files.write(file(), bytes);
            assertThatThrownBy(() -> CheckpointFile.read(dir)).isInstanceOf(IOException.class)
                    .hasMessageContaining(file().toString())
                    .hasMessageContaining("version " + version + "; this build reads versions 1 to 1");
        }
    }

    @Test
    void shouldRefuseABadCrc() throws IOException {
        byte[] bytes = valid();
        bytes[16] ^= 1; // the recovery point: covered by the CRC
        Files.write(file(), bytes);
        assertThatThrownBy(() -> CheckpointFile.read(dir)).isInstanceOf(IOException.class)
                .hasMessageContaining(file().toString()).hasMessageContaining("CRC")
                .hasMessageContaining("computed");
    }

    @Test
    void shouldRefuseAFileOfTheWrongLength() throws IOException {
        Files.write(file(), java.util.Arrays.copyOf(valid(), 27));
        assertThatThrownBy(() -> CheckpointFile.read(dir)).isInstanceOf(IOException.class)
                .hasMessageContaining("27 bytes, expected 26");
        Files.write(file(), java.util.Arrays.copyOf(valid(), 20));
        assertThatThrownBy(() -> CheckpointFile.read(dir)).isInstanceOf(IOException.class)
                .hasMessageContaining("20 bytes, expected 26");
        Files.write(file(), new byte[3]);
        assertThatThrownBy(() -> CheckpointFile.read(dir)).isInstanceOf(IOException.class)
                .hasMessageContaining("too short for a header");
    }

    private byte[] valid() throws IOException {
        CheckpointFile.write(dir, new CheckpointFile.Checkpoint(5, 99));
        return Files.readAllBytes(file());
    }
}
