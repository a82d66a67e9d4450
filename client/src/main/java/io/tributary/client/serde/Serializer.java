package io.tributary.client.serde;

/**
 * Turns a key or value into bytes. Called by the producer on the thread that calls {@code send};
 * a failure becomes a {@link io.tributary.client.errors.SerializationException} thrown by
 * {@code send}. {@code null} must serialize to {@code null} (a null key or value).
 *
 * <p>Thread-safety: implementations must be safe for concurrent use (the built-in ones are
 * stateless).
 */
@FunctionalInterface
public interface Serializer<T> extends AutoCloseable {

    /** The bytes of {@code data} (null for null); {@code topic} is the record's topic. */
    byte[] serialize(String topic, T data);

    /** Releases resources; called by the client's close. Default: nothing. */
    @Override
    default void close() {
    }
}
