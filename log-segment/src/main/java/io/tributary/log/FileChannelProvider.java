package io.tributary.log;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;

/**
 * Opens the channels a log writes and reads its segment files through. The seam where tests
 * inject I/O errors, short writes, slow fsync and a full disk (BookKeeper's
 * {@code FileChannelProvider}).
 */
@FunctionalInterface
public interface FileChannelProvider {

    /** Plain {@link FileChannel#open}. */
    FileChannelProvider DEFAULT = FileChannel::open;

    FileChannel open(Path path, OpenOption... options) throws IOException;
}
