package io.tributary.log.internal;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens file channels that a thread interrupt cannot close.
 *
 * <p>A {@link FileChannel} is an {@link java.nio.channels.InterruptibleChannel}: when a thread is
 * interrupted during (or before) an I/O call on it, the JDK closes the channel for everyone, and
 * every later read, append or truncate of the segment fails with {@code ClosedChannelException}.
 * Threads we do not own call into the log and do get interrupted: Ratis stops a log appender
 * thread by interrupting it while it may be reading entries for a follower from the segment. That
 * closed a live segment on a broker and failed its partition (seen with leadership changes under
 * load). The JDK's own {@code sun.nio.ch.FileChannelImpl.setUninterruptible()} turns this off per
 * channel: the interrupted thread's I/O completes and its interrupt status stays set for it to
 * handle. It needs {@code --add-opens java.base/sun.nio.ch=ALL-UNNAMED}, which is part of the
 * JVM flags every Tributary JVM runs with (the root pom's {@code chronicle.jvm.flags}); without
 * it the channel stays interruptible and a warning says so once.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class UninterruptibleChannels {

    private static final Logger LOG = LoggerFactory.getLogger(UninterruptibleChannels.class);
    private static final Method SET_UNINTERRUPTIBLE = find();
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    private UninterruptibleChannels() {
    }

    private static Method find() {
        try {
            Class<?> impl = Class.forName("sun.nio.ch.FileChannelImpl");
            Method m = impl.getMethod("setUninterruptible");
            m.setAccessible(true);
            return m;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /** {@link FileChannel#open}, then made uninterruptible when the JVM allows it. */
    public static FileChannel open(Path path, OpenOption... options) throws IOException {
        FileChannel channel = FileChannel.open(path, options);
        makeUninterruptible(channel);
        return channel;
    }

    /** Whether channels opened here are protected from interrupts in this JVM. */
    public static boolean supported() {
        return SET_UNINTERRUPTIBLE != null;
    }

    static void makeUninterruptible(FileChannel channel) {
        if (SET_UNINTERRUPTIBLE != null && SET_UNINTERRUPTIBLE.getDeclaringClass().isInstance(channel)) {
            try {
                SET_UNINTERRUPTIBLE.invoke(channel);
                return;
            } catch (ReflectiveOperationException | RuntimeException e) {
                warnOnce(e.toString());
                return;
            }
        }
        warnOnce(SET_UNINTERRUPTIBLE == null ? "sun.nio.ch.FileChannelImpl.setUninterruptible is not accessible"
                : "the channel is a " + channel.getClass().getName());
    }

    private static void warnOnce(String why) {
        if (WARNED.compareAndSet(false, true)) {
            LOG.warn("Segment files are opened interruptible ({}): a thread interrupted during I/O will close a segment"
                    + " and fail its log. Run the JVM with --add-opens java.base/sun.nio.ch=ALL-UNNAMED", why);
        }
    }
}
