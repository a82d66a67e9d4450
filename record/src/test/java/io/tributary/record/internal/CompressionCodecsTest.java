package io.tributary.record.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.record.Compression;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CompressionCodecsTest {

    @ParameterizedTest
    @EnumSource(value = Compression.class, names = "NONE", mode = EnumSource.Mode.EXCLUDE)
    void shouldRoundTripAcrossManyCodecBlocks(Compression compression) throws IOException {
        // 300 KiB: several snappy (32 KiB) and lz4 (64 KiB) blocks; half random, half repetitive.
        byte[] data = new byte[300 * 1024];
        new Random(42).nextBytes(data);
        for (int i = data.length / 2; i < data.length; i++) {
            data[i] = (byte) (i % 7);
        }
        ByteBuffer compressed = compress(compression, data, 17);
        assertThat(compressed.remaining()).isLessThan(data.length);
        ByteBuffer out = CompressionCodecs.decompress(compression, compressed);
        byte[] roundTripped = new byte[out.remaining()];
        out.get(roundTripped);
        assertThat(roundTripped).isEqualTo(data);
    }

    @ParameterizedTest
    @EnumSource(value = Compression.class, names = "NONE", mode = EnumSource.Mode.EXCLUDE)
    void shouldRoundTripEmptyInput(Compression compression) throws IOException {
        ByteBuffer compressed = compress(compression, new byte[0], 0);
        assertThat(CompressionCodecs.decompress(compression, compressed).remaining()).isZero();
    }

    @ParameterizedTest
    @EnumSource(value = Compression.class, names = "NONE", mode = EnumSource.Mode.EXCLUDE)
    void shouldFailOnGarbage(Compression compression) {
        byte[] garbage = new byte[64];
        new Random(1).nextBytes(garbage);
        assertThatThrownBy(() -> CompressionCodecs.decompress(compression, ByteBuffer.wrap(garbage)))
                .isInstanceOfAny(IOException.class, RuntimeException.class);
    }

    @ParameterizedTest
    @EnumSource(value = Compression.class, names = "NONE", mode = EnumSource.Mode.EXCLUDE)
    void shouldWriteTheFramingKafkaExpects(Compression compression) throws IOException {
        ByteBuffer c = compress(compression, "hello hello hello".getBytes(), 0);
        switch (compression) {
            case GZIP -> assertThat(c.getShort(0)).isEqualTo((short) 0x1f8b);
            case SNAPPY -> assertThat(c.get(0)).isEqualTo((byte) 0x82); // xerial header "\x82SNAPPY\0"
            case LZ4 -> {
                assertThat(c.order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(0)).isEqualTo(0x184D2204);
                assertThat(c.get(4)).isEqualTo((byte) 0x60); // version 01, block independence, no checksums
                assertThat(c.get(5)).isEqualTo((byte) 0x40); // 64 KiB blocks
            }
            case ZSTD -> assertThat(c.order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(0)).isEqualTo(0xFD2FB528);
            default -> throw new AssertionError(compression);
        }
    }

    @org.junit.jupiter.api.Test
    void shouldTurnSnappyErrorForCorruptChunkSizeIntoIOException() throws IOException {
        ByteBuffer c = compress(Compression.SNAPPY, "hello hello hello".getBytes(), 0);
        ByteBuffer corrupt = ByteBuffer.allocate(c.remaining());
        corrupt.put(c.duplicate()).flip();
        corrupt.putInt(16, -16_777_196); // first chunk's size, right after the 16-byte xerial header
        assertThatThrownBy(() -> CompressionCodecs.decompress(Compression.SNAPPY, corrupt))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("snappy");
    }

    private static ByteBuffer compress(Compression compression, byte[] data, int reserved) throws IOException {
        ByteBuffer initial = ByteBuffer.allocate(reserved + 16);
        initial.position(reserved);
        ByteBufferOutputStream out = new ByteBufferOutputStream(initial);
        CompressionCodecs.compress(compression, ByteBuffer.wrap(data), out);
        ByteBuffer b = out.buffer();
        b.flip().position(reserved);
        return b.slice();
    }
}
