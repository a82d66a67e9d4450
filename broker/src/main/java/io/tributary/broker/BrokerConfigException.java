package io.tributary.broker;

/**
 * A broker configuration that cannot be used. The message names the key and the value, in one
 * line an operator can act on (e.g. {@code client.port=70000 is not valid: must be 1..65535}).
 *
 * <p>Thread-safety: immutable.
 */
public final class BrokerConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String key;

    public BrokerConfigException(String key, String message) {
        super(message);
        this.key = key;
    }

    public BrokerConfigException(String key, String message, Throwable cause) {
        super(message, cause);
        this.key = key;
    }

    /** The offending key, or {@code null} when the problem is the file itself. */
    public String key() {
        return key;
    }
}
