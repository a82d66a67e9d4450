package io.tributary.log;

import java.nio.file.Path;

/**
 * Stored bytes failed their check (CRC, length or magic) in a place where a torn write cannot
 * explain it: a flushed, closed part of the log. The bytes are never served. Names the file and
 * the byte position so an operator can inspect it. Maps to {@code DATA_LOSS} at the API.
 */
public final class CorruptLogException extends LogException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final long position;

    public CorruptLogException(Path file, long position, String what, Throwable cause) {
        super("corrupt data in " + file + " at position " + position + ": " + what, cause);
        this.file = file;
        this.position = position;
    }

    public Path file() {
        return file;
    }

    public long position() {
        return position;
    }
}
