package io.tributary.log;

import org.junit.jupiter.api.extension.AnnotatedElementContext;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.io.TempDirFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Temporary directories on tmpfs ({@code /dev/shm}) when the machine has one, else in the default
 * temporary directory: for tests that exercise logic and threads, where a real fsync (a
 * millisecond or more on a busy disk) only costs time. Crash behaviour is simulated by copying and
 * cutting files, never by relying on what fsync did.
 */
public final class ScratchSpace implements TempDirFactory {
    /** The parent for scratch directories. */
    public static Path root() {
        Path shm = Path.of("/dev/shm");
        return Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
    }

    @Override
    public Path createTempDirectory(AnnotatedElementContext elementContext, ExtensionContext extensionContext)
            throws IOException {
        return Files.createTempDirectory(root(), "tributary-test");
    }
}
