package io.tributary.cli;

/**
 * A command failed in a way the user can act on; its message is the one line printed.
 *
 * <p>Thread-safety: immutable.
 */
final class CliException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    CliException(String message) {
        super(message);
    }

    CliException(String message, Throwable cause) {
        super(message, cause);
    }
}
