package io.tributary.record.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class VarintsTest {

    @Test
    void shouldEncodeZigzagLikeProtobufSint() {
        assertThat(encodeInt(0)).containsExactly(0x00);
        assertThat(encodeInt(-1)).containsExactly(0x01);
        assertThat(encodeInt(1)).containsExactly(0x02);
        assertThat(encodeInt(63)).containsExactly(0x7E);
        assertThat(encodeInt(64)).containsExactly(0x80, 0x01);
        assertThat(encodeInt(Integer.MAX_VALUE)).containsExactly(0xFE, 0xFF, 0xFF, 0xFF, 0x0F);
        assertThat(encodeInt(Integer.MIN_VALUE)).containsExactly(0xFF, 0xFF, 0xFF, 0xFF, 0x0F);
        assertThat(encodeLong(Long.MIN_VALUE)).hasSize(10);
    }

    @Test
    void shouldRejectOverlongAndTruncatedVarints() {
        ByteBuffer overlong = ByteBuffer.wrap(new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80,
                (byte) 0x80, 0x01});
        assertThatThrownBy(() -> Varints.readVarint(overlong)).isInstanceOf(IllegalArgumentException.class);
        ByteBuffer cut = ByteBuffer.wrap(new byte[] {(byte) 0x80});
        assertThatThrownBy(() -> Varints.readVarint(cut)).isInstanceOf(BufferUnderflowException.class);
        byte[] elevenBytes = new byte[11];
        java.util.Arrays.fill(elevenBytes, (byte) 0x80);
        assertThatThrownBy(() -> Varints.readVarlong(ByteBuffer.wrap(elevenBytes)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Property(tries = 500)
    void varintRoundTripsAndSizeMatches(@ForAll int value) {
        ByteBuffer b = ByteBuffer.allocate(5);
        Varints.writeVarint(value, b);
        assertThat(b.position()).isEqualTo(Varints.sizeOfVarint(value));
        b.flip();
        assertThat(Varints.readVarint(b)).isEqualTo(value);
        assertThat(b.hasRemaining()).isFalse();
    }

    @Property(tries = 500)
    void varlongRoundTripsAndSizeMatches(@ForAll long value) {
        ByteBuffer b = ByteBuffer.allocate(10);
        Varints.writeVarlong(value, b);
        assertThat(b.position()).isEqualTo(Varints.sizeOfVarlong(value));
        b.flip();
        assertThat(Varints.readVarlong(b)).isEqualTo(value);
        assertThat(b.hasRemaining()).isFalse();
    }

    private static int[] encodeInt(int v) {
        ByteBuffer b = ByteBuffer.allocate(5);
        Varints.writeVarint(v, b);
        return unsigned(b);
    }

    private static int[] encodeLong(long v) {
        ByteBuffer b = ByteBuffer.allocate(10);
        Varints.writeVarlong(v, b);
        return unsigned(b);
    }

    private static int[] unsigned(ByteBuffer b) {
        b.flip();
        int[] out = new int[b.remaining()];
        for (int i = 0; i < out.length; i++) {
            out[i] = b.get() & 0xFF;
        }
        return out;
    }
}
