package io.tributary.client;

import io.tributary.client.errors.ConfigException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The keys a client accepts: name, type, default, validator and documentation, side by side. A
 * {@link ClientConfig} parses its properties against one (unknown keys, bad types and values fail
 * with a {@link ConfigException} that names the key and the value).
 *
 * <p>Values may be given as strings (as in a properties file: {@code "100"}, {@code "true"},
 * {@code "a,b"}) or as Java values of the key's type ({@code Integer}, {@code Long},
 * {@code Boolean}, {@code List}); numbers are widened or narrowed when they fit.
 *
 * <p>Thread-safety: mutable while keys are defined; share it only once defined (the client
 * classes build theirs in a static initializer and never change it).
 */
public final class ConfigDef {

    /** The type of a key's value. */
    public enum Type { STRING, INT, LONG, DOUBLE, BOOLEAN, LIST }

    /** Marks a key without a default: it must be given. */
    public static final Object NO_DEFAULT = new Object() {
        @Override
        public String toString() {
            return "(required)";
        }
    };

    /** Checks a parsed value; throws a {@link ConfigException} naming the key and value if it is bad. */
    @FunctionalInterface
    public interface Validator {
        void ensureValid(String key, Object value);
    }

    /** One key. */
    public record Key(String name, Type type, Object defaultValue, Validator validator, String doc) {
        public boolean required() {
            return defaultValue == NO_DEFAULT;
        }
    }

    private final Map<String, Key> keys = new LinkedHashMap<>();

    /** Defines a key; {@code defaultValue} is {@link #NO_DEFAULT} for a required key. */
    public ConfigDef define(String name, Type type, Object defaultValue, Validator validator, String doc) {
        Objects.requireNonNull(name, "name");
        if (keys.containsKey(name)) {
            throw new IllegalArgumentException("config key " + name + " defined twice");
        }
        Object parsedDefault = defaultValue == NO_DEFAULT || defaultValue == null
                ? defaultValue : parse(name, type, defaultValue);
        if (parsedDefault != NO_DEFAULT && parsedDefault != null && validator != null) {
            validator.ensureValid(name, parsedDefault);
        }
        keys.put(name, new Key(name, type, parsedDefault, validator, doc));
        return this;
    }

    public ConfigDef define(String name, Type type, Object defaultValue, String doc) {
        return define(name, type, defaultValue, null, doc);
    }

    /** Copies every key of {@code other} into this definition. */
    public ConfigDef defineAll(ConfigDef other) {
        other.keys.values().forEach(k -> {
            if (keys.containsKey(k.name())) {
                throw new IllegalArgumentException("config key " + k.name() + " defined twice");
            }
            keys.put(k.name(), k);
        });
        return this;
    }

    public Map<String, Key> keys() {
        return Collections.unmodifiableMap(keys);
    }

    /**
     * Parses {@code props}: every key must be defined here, every required key given, every value
     * of its type and valid. Returns every key's value (defaults filled in), in definition order.
     */
    Map<String, Object> parse(Map<String, ?> props) {
        Set<String> unknown = new TreeSet<>();
        for (String k : props.keySet()) {
            if (!keys.containsKey(k)) {
                unknown.add(k);
            }
        }
        if (!unknown.isEmpty()) {
            throw new ConfigException("unknown configuration key(s) " + unknown + "; known keys: " + keys.keySet());
        }
        Map<String, Object> values = new LinkedHashMap<>();
        for (Key key : keys.values()) {
            Object raw = props.get(key.name());
            Object value;
            if (raw == null || (raw instanceof String s && s.isBlank() && key.type() != Type.STRING
                    && key.type() != Type.LIST)) {
                if (key.required()) {
                    throw new ConfigException("missing required configuration " + key.name() + ": " + key.doc());
                }
                value = key.defaultValue();
            } else {
                value = parse(key.name(), key.type(), raw);
                if (key.validator() != null) {
                    key.validator().ensureValid(key.name(), value);
                }
            }
            values.put(key.name(), value);
        }
        return values;
    }

    static Object parse(String name, Type type, Object value) {
        try {
            switch (type) {
                case STRING:
                    if (value instanceof String s) {
                        return s.trim();
                    }
                    break;
                case INT:
                    if (value instanceof String s) {
                        return Integer.parseInt(s.trim());
                    }
                    if (value instanceof Number n && n.longValue() == n.intValue() && !(value instanceof Double)) {
                        return n.intValue();
                    }
                    break;
                case LONG:
                    if (value instanceof String s) {
                        return Long.parseLong(s.trim());
                    }
                    if (value instanceof Integer || value instanceof Long || value instanceof Short) {
                        return ((Number) value).longValue();
                    }
                    break;
                case DOUBLE:
                    if (value instanceof String s) {
                        return Double.parseDouble(s.trim());
                    }
                    if (value instanceof Number n) {
                        return n.doubleValue();
                    }
                    break;
                case BOOLEAN:
                    if (value instanceof Boolean b) {
                        return b;
                    }
                    if (value instanceof String s) {
                        String t = s.trim().toLowerCase(Locale.ROOT);
                        if (t.equals("true")) {
                            return true;
                        }
                        if (t.equals("false")) {
                            return false;
                        }
                    }
                    break;
                case LIST:
                    if (value instanceof String s) {
                        List<String> out = new ArrayList<>();
                        for (String part : s.split(",")) {
                            if (!part.isBlank()) {
                                out.add(part.trim());
                            }
                        }
                        return List.copyOf(out);
                    }
                    if (value instanceof List<?> l) {
                        List<String> out = new ArrayList<>();
                        for (Object o : l) {
                            out.add(String.valueOf(o).trim());
                        }
                        return List.copyOf(out);
                    }
                    break;
                default:
                    break;
            }
        } catch (NumberFormatException e) {
            // fall through to the error below
        }
        throw new ConfigException("invalid value '" + value + "' for configuration " + name + ": expected "
                + describe(type));
    }

    private static String describe(Type type) {
        return switch (type) {
            case STRING -> "a string";
            case INT -> "an integer (32-bit)";
            case LONG -> "an integer (64-bit)";
            case DOUBLE -> "a number";
            case BOOLEAN -> "true or false";
            case LIST -> "a comma-separated list";
        };
    }

    /** A number at least {@code min}. */
    public static Validator atLeast(long min) {
        return (key, value) -> {
            if (((Number) value).doubleValue() < min) {
                throw new ConfigException("invalid value " + value + " for configuration " + key
                        + ": must be at least " + min);
            }
        };
    }

    /** A number between {@code min} and {@code max} inclusive. */
    public static Validator between(long min, long max) {
        return (key, value) -> {
            double d = ((Number) value).doubleValue();
            if (d < min || d > max) {
                throw new ConfigException("invalid value " + value + " for configuration " + key
                        + ": must be between " + min + " and " + max);
            }
        };
    }

    /** A string equal (ignoring case) to one of {@code allowed}. */
    public static Validator oneOf(String... allowed) {
        List<String> list = List.of(allowed);
        return (key, value) -> {
            for (String a : list) {
                if (a.equalsIgnoreCase(String.valueOf(value))) {
                    return;
                }
            }
            throw new ConfigException("invalid value '" + value + "' for configuration " + key
                    + ": expected one of " + list);
        };
    }

    /** A non-empty string or list. */
    public static Validator nonEmpty() {
        return (key, value) -> {
            if ((value instanceof String s && s.isEmpty()) || (value instanceof List<?> l && l.isEmpty())) {
                throw new ConfigException("configuration " + key + " must not be empty");
            }
        };
    }
}
