package io.tributary.client.serde;

import java.nio.ByteBuffer;

/**
 * Turns the bytes of a key or value back into an object. {@code null} bytes (a null key or value)
 * must deserialize to {@code null}. A failure becomes a
 * {@link io.tributary.client.errors.SerializationException} naming the topic, partition and offset.
 *
 * <p>Thread-safety: implementations must be safe for concurrent use (the built-in ones are
 * stateless).
 */
@FunctionalInterface
public interface Deserializer<T> extends AutoCloseable {

    /** The object of {@code data} (null for null); {@code topic} is the record's topic. */
    T deserialize(String topic, byte[] data);

    /**
     * The object of the bytes between the buffer's position and limit (which it must not move),
     * null for null. The default copies them into an array; override to avoid the copy.
     */
    default T deserialize(String topic, ByteBuffer data) {
        if (data == null) {
            return deserialize(topic, (byte[]) null);
        }
        byte[] bytes = new byte[data.remaining()];
        data.duplicate().get(bytes);
        return deserialize(topic, bytes);
    }

    /** Releases resources; called by the client's close. Default: nothing. */
    @Override
    default void close() {
    }
}
