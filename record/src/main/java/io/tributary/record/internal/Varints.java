package io.tributary.record.internal;

import java.nio.ByteBuffer;

/**
 * Zigzag base-128 varints as used inside records (protobuf {@code sint32}/{@code sint64}),
 * identical to Kafka's {@code ByteUtils.writeVarint}/{@code readVarint}.
 *
 * <p>Not API. Thread-safety: stateless.
 */
public final class Varints {

    private Varints() {
    }

    /** Writes {@code value} zigzag-encoded at the buffer's position, advancing it. */
    public static void writeVarint(int value, ByteBuffer buffer) {
        int v = (value << 1) ^ (value >> 31);
        while ((v & 0xFFFFFF80) != 0) {
            buffer.put((byte) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        buffer.put((byte) v);
    }

    /** Writes {@code value} zigzag-encoded at the buffer's position, advancing it. */
    public static void writeVarlong(long value, ByteBuffer buffer) {
        long v = (value << 1) ^ (value >> 63);
        while ((v & 0xFFFFFFFFFFFFFF80L) != 0L) {
            buffer.put((byte) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        buffer.put((byte) v);
    }

    /**
     * Reads a zigzag varint at the buffer's position, advancing it.
     *
     * @throws IllegalArgumentException if it runs over 5 bytes
     * @throws java.nio.BufferUnderflowException if the buffer ends inside it
     */
    public static int readVarint(ByteBuffer buffer) {
        int value = 0;
        int shift = 0;
        int b;
        while (((b = buffer.get()) & 0x80) != 0) {
            value |= (b & 0x7F) << shift;
            shift += 7;
            if (shift > 28) {
                throw new IllegalArgumentException("varint longer than 5 bytes");
            }
        }
        value |= b << shift;
        return (value >>> 1) ^ -(value & 1);
    }

    /**
     * Reads a zigzag varlong at the buffer's position, advancing it.
     *
     * @throws IllegalArgumentException if it runs over 10 bytes
     * @throws java.nio.BufferUnderflowException if the buffer ends inside it
     */
    public static long readVarlong(ByteBuffer buffer) {
        long value = 0L;
        int shift = 0;
        long b;
        while (((b = buffer.get()) & 0x80) != 0) {
            value |= (b & 0x7F) << shift;
            shift += 7;
            if (shift > 63) {
                throw new IllegalArgumentException("varlong longer than 10 bytes");
            }
        }
        value |= b << shift;
        return (value >>> 1) ^ -(value & 1);
    }

    /** Encoded size of {@code value} as a zigzag varint: 1..5. */
    public static int sizeOfVarint(int value) {
        int v = (value << 1) ^ (value >> 31);
        // 1 byte per 7 significant bits, at least one
        int bits = 32 - Integer.numberOfLeadingZeros(v | 1);
        return (bits + 6) / 7;
    }

    /** Encoded size of {@code value} as a zigzag varlong: 1..10. */
    public static int sizeOfVarlong(long value) {
        long v = (value << 1) ^ (value >> 63);
        int bits = 64 - Long.numberOfLeadingZeros(v | 1);
        return (bits + 6) / 7;
    }
}
