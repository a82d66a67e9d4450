package io.tributary.log;

/**
 * Parsing and range checks shared by this module's config builders, so every invalid value is
 * reported the same way: {@code key=value is not valid: must be ...}.
 *
 * <p>Thread-safety: stateless.
 */
final class ConfigValues {
    private ConfigValues() {
    }

    static void require(boolean ok, String key, Object value, String expected) {
        if (!ok) {
            throw invalid(key, String.valueOf(value), expected);
        }
    }

    static IllegalArgumentException invalid(String key, String value, String expected) {
        return new IllegalArgumentException(key + "=" + value + " is not valid: must be " + expected);
    }

    static int parseInt(String key, String v) {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw invalid(key, v, "an integer");
        }
    }

    static long parseLong(String key, String v) {
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw invalid(key, v, "an integer");
        }
    }
}
