package io.tributary.client.serde;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tributary.client.errors.SerializationException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The built-in serializers and deserializers: bytes (as they are), String (UTF-8), Long (8 bytes
 * big-endian, as Kafka's {@code LongSerializer}), and JSON (Jackson) for a given class.
 * {@code null} always maps to {@code null}.
 *
 * <p>Thread-safety: every serde returned here is stateless or uses a thread-safe
 * {@link ObjectMapper}, so it may be shared.
 */
public final class Serdes {

    private static final ObjectMapper DEFAULT_MAPPER = new ObjectMapper().findAndRegisterModules();

    private Serdes() {
    }

    /** The bytes as they are (the array itself, not a copy). */
    public static Serializer<byte[]> bytesSerializer() {
        return (topic, data) -> data;
    }

    /** The bytes as they are. */
    public static Deserializer<byte[]> bytesDeserializer() {
        return (topic, data) -> data;
    }

    /** UTF-8. */
    public static Serializer<String> stringSerializer() {
        return (topic, data) -> data == null ? null : data.getBytes(StandardCharsets.UTF_8);
    }

    /** UTF-8 (malformed input becomes U+FFFD, as {@code new String(bytes, UTF_8)} does). */
    public static Deserializer<String> stringDeserializer() {
        return new Deserializer<>() {
            @Override
            public String deserialize(String topic, byte[] data) {
                return data == null ? null : new String(data, StandardCharsets.UTF_8);
            }

            @Override
            public String deserialize(String topic, ByteBuffer data) {
                return data == null ? null : StandardCharsets.UTF_8.decode(data.duplicate()).toString();
            }
        };
    }

    /** 8 bytes, big-endian (Kafka's {@code LongSerializer}). */
    public static Serializer<Long> longSerializer() {
        return (topic, data) -> data == null ? null : ByteBuffer.allocate(Long.BYTES).putLong(0, data).array();
    }

    /** 8 bytes, big-endian; any other size fails with a {@link SerializationException}. */
    public static Deserializer<Long> longDeserializer() {
        return new Deserializer<>() {
            @Override
            public Long deserialize(String topic, byte[] data) {
                return data == null ? null : deserialize(topic, ByteBuffer.wrap(data));
            }

            @Override
            public Long deserialize(String topic, ByteBuffer data) {
                if (data == null) {
                    return null;
                }
                if (data.remaining() != Long.BYTES) {
                    throw new SerializationException("cannot read a Long from " + data.remaining()
                            + " bytes of topic " + topic + ": expected exactly 8", null);
                }
                return data.getLong(data.position());
            }
        };
    }

    /** JSON with a default {@link ObjectMapper} (modules on the class path registered). */
    public static <T> Serializer<T> jsonSerializer() {
        return jsonSerializer(DEFAULT_MAPPER);
    }

    /** JSON with the given mapper (configure it before, do not change it after). */
    public static <T> Serializer<T> jsonSerializer(ObjectMapper mapper) {
        Objects.requireNonNull(mapper, "mapper");
        return (topic, data) -> {
            if (data == null) {
                return null;
            }
            try {
                return mapper.writeValueAsBytes(data);
            } catch (IOException e) {
                throw new SerializationException("cannot write " + data.getClass().getName()
                        + " as JSON for topic " + topic + ": " + e.getMessage(), e);
            }
        };
    }

    /** JSON into {@code type} with a default {@link ObjectMapper}. */
    public static <T> Deserializer<T> jsonDeserializer(Class<T> type) {
        return jsonDeserializer(type, DEFAULT_MAPPER);
    }

    /** JSON into {@code type} with the given mapper. */
    public static <T> Deserializer<T> jsonDeserializer(Class<T> type, ObjectMapper mapper) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(mapper, "mapper");
        return (topic, data) -> {
            if (data == null) {
                return null;
            }
            try {
                return mapper.readValue(data, type);
            } catch (IOException e) {
                throw new SerializationException("cannot read " + type.getName() + " from JSON of topic " + topic
                        + ": " + e.getMessage(), e);
            }
        };
    }
}
