package io.tributary.client.errors;

import io.tributary.proto.v1.ErrorCode;

/**
 * A replica's log directory failed and leadership moves elsewhere; refresh metadata and retry. Retriable ({@link ErrorCode#STORAGE_ERROR}).
 *
 * <p>Thread-safety: immutable.
 */
public class StorageErrorException extends RetriableException {

    private static final long serialVersionUID = 1L;

    public StorageErrorException(String message) {
        super(ErrorCode.STORAGE_ERROR, message);
    }

    public StorageErrorException(String message, Throwable cause) {
        super(ErrorCode.STORAGE_ERROR, message, cause);
    }
}
