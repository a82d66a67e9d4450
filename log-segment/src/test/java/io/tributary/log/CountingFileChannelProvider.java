package io.tributary.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/** Opens plain file channels and counts the bytes read and written through them. Thread-safe. */
final class CountingFileChannelProvider implements FileChannelProvider {
    final AtomicLong bytesRead = new AtomicLong();
    final AtomicLong bytesWritten = new AtomicLong();

    @Override
    public FileChannel open(Path path, OpenOption... options) throws IOException {
        return new DelegatingFileChannel(FileChannel.open(path, options)) {
            @Override
            public int read(ByteBuffer dst) throws IOException {
                return counted(bytesRead, delegate.read(dst));
            }

            @Override
            public int read(ByteBuffer dst, long position) throws IOException {
                return counted(bytesRead, delegate.read(dst, position));
            }

            @Override
            public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
                long n = delegate.read(dsts, offset, length);
                bytesRead.addAndGet(Math.max(0, n));
                return n;
            }

            @Override
            public int write(ByteBuffer src) throws IOException {
                return counted(bytesWritten, delegate.write(src));
            }

            @Override
            public int write(ByteBuffer src, long position) throws IOException {
                return counted(bytesWritten, delegate.write(src, position));
            }
        };
    }

    private static int counted(AtomicLong counter, int n) {
        counter.addAndGet(Math.max(0, n));
        return n;
    }
}
