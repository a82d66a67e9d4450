package io.tributary.broker.internal;

import io.tributary.proto.v1.ErrorCode;

/**
 * Topic name rules (errors.proto, INVALID_TOPIC_NAME): 1..249 characters of [a-zA-Z0-9._-], not
 * "." or "..", and for new topics not starting with "__" (reserved for internal topics).
 *
 * <p>Thread-safety: stateless.
 */
public final class TopicNames {
    public static final int MAX_LENGTH = 249;
    public static final String INTERNAL_PREFIX = "__";

    private TopicNames() {
    }

    /** Checks a name used to look a topic up (internal names allowed). */
    public static void validate(String name) {
        String problem = problem(name);
        if (problem != null) {
            throw new RequestException(ErrorCode.INVALID_TOPIC_NAME, problem);
        }
    }

    /** Checks the name of a topic to create (internal names refused). */
    public static void validateNew(String name) {
        validate(name);
        if (name.startsWith(INTERNAL_PREFIX)) {
            throw new RequestException(ErrorCode.INVALID_TOPIC_NAME, "topic name '" + name + "' is not valid: names"
                    + " starting with '__' are reserved for internal topics");
        }
    }

    public static boolean isInternal(String name) {
        return name.startsWith(INTERNAL_PREFIX);
    }

    static String problem(String name) {
        if (name == null || name.isEmpty()) {
            return "topic name is empty: give 1 to " + MAX_LENGTH + " characters of [a-zA-Z0-9._-]";
        }
        if (name.length() > MAX_LENGTH) {
            return "topic name '" + name.substring(0, 20) + "...' is " + name.length() + " characters long: at most "
                    + MAX_LENGTH + " are allowed";
        }
        if (name.equals(".") || name.equals("..")) {
            return "topic name '" + name + "' is not valid: '.' and '..' are not allowed";
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.'
                    || c == '_' || c == '-';
            if (!ok) {
                return "topic name '" + printable(name) + "' is not valid: character " + describe(c) + " at index " + i
                        + " is not one of [a-zA-Z0-9._-]";
            }
        }
        return null;
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && i < 80; i++) {
            char c = s.charAt(i);
            b.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return b.toString();
    }

    private static String describe(char c) {
        return c < 0x20 || c > 0x7e ? String.format("U+%04X", (int) c) : "'" + c + "'";
    }
}
