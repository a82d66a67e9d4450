package io.tributary.log;

/**
 * Base of every unchecked exception at the log's boundary. Storage I/O inside the module declares
 * {@link java.io.IOException}; at the partition boundary it becomes one of these subclasses.
 */
public class LogException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public LogException(String message) {
        super(message);
    }

    public LogException(String message, Throwable cause) {
        super(message, cause);
    }
}
