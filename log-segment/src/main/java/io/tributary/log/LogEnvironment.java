package io.tributary.log;

import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * What a log takes from its surroundings: the clock (for {@code segment.ms}, retention and
 * {@code LogAppendTime}) and the way files are opened. Tests inject a manual clock and a
 * fault-injecting {@link FileChannelProvider}.
 *
 * @param clockMs wall-clock milliseconds
 * @param channels opens segment files
 */
public record LogEnvironment(LongSupplier clockMs, FileChannelProvider channels) {

    public LogEnvironment {
        Objects.requireNonNull(clockMs, "clockMs");
        Objects.requireNonNull(channels, "channels");
    }

    /** The system clock and plain file channels. */
    public static LogEnvironment defaults() {
        return new LogEnvironment(System::currentTimeMillis, FileChannelProvider.DEFAULT);
    }

    public LogEnvironment withClock(LongSupplier clock) {
        return new LogEnvironment(clock, channels);
    }

    public LogEnvironment withChannels(FileChannelProvider provider) {
        return new LogEnvironment(clockMs, provider);
    }
}
