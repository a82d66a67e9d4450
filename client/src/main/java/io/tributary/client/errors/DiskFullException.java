package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;

/**
 * The broker's log directory is out of space; nothing was written. Not retriable ({@link ErrorCode#DISK_FULL}).
 *
 * <p>Thread-safety: immutable.
 */
public class DiskFullException extends TributaryException {

    private static final long serialVersionUID = 1L;

    public DiskFullException(String message) {
        super(ErrorCode.DISK_FULL, message, false);
    }

    public DiskFullException(String message, Throwable cause) {
        super(ErrorCode.DISK_FULL, message, false, cause);
    }
}
