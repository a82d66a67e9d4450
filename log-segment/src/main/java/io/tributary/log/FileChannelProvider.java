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

    /**
     * {@link FileChannel#open}, with channels a thread interrupt cannot close (see
     * {@link io.tributary.log.internal.UninterruptibleChannels}).
     */
    FileChannelProvider DEFAULT = io.tributary.log.internal.UninterruptibleChannels::open;

    FileChannel open(Path path, OpenOption... options) throws IOException;
}
