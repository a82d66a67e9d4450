package io.tributary.record;

import java.util.Arrays;
import java.util.Objects;

/**
 * A record header: a non-null UTF-8 key and a value that may be {@code null}.
 *
 * <p>Equality compares the value bytes, not the array identity.
 *
 * <p>Thread-safety: immutable as long as nobody mutates the value array it was given.
 *
 * @param key   header key, not null
 * @param value header value bytes, or {@code null}
 */
public record Header(String key, byte[] value) {

    public Header {
        Objects.requireNonNull(key, "header key");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Header other && key.equals(other.key) && Arrays.equals(value, other.value);
    }

    @Override
    public int hashCode() {
        return 31 * key.hashCode() + Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return "Header(key=" + key + ", value=" + (value == null ? "null" : value.length + " bytes") + ")";
    }
}
