package io.tributary.client.admin;

import io.tributary.client.ClientConfig;
import io.tributary.client.ConfigDef;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;

/**
 * The settings of an {@link Admin}: the common keys of {@link ClientConfig} plus (default in
 * brackets):
 * <ul>
 *   <li>{@value #DEFAULT_API_TIMEOUT_MS} [60000]: the longest one {@link Admin} method takes,
 *       retries included (each request still has its own {@code request.timeout.ms} deadline).
 *       When it runs out the method throws a {@code ClientTimeoutException} naming the last error.
 * </ul>
 * {@code retry.backoff.ms} and {@code retry.backoff.max.ms} (common keys) space the retries.
 *
 * <p>Thread-safety: immutable.
 */
public final class AdminConfig extends ClientConfig {

    public static final String DEFAULT_API_TIMEOUT_MS = "default.api.timeout.ms";
    public static final int DEFAULT_API_TIMEOUT_MS_DEFAULT = 60_000;

    static final ConfigDef DEF = ClientConfig.commonDef()
            .define(DEFAULT_API_TIMEOUT_MS, ConfigDef.Type.INT, DEFAULT_API_TIMEOUT_MS_DEFAULT, ConfigDef.atLeast(1),
                    "the longest an admin call takes, retries included, in ms");

    public AdminConfig(Map<String, ?> props) {
        super(DEF, props);
    }

    public AdminConfig(Properties props) {
        this(toMap(props));
    }

    /** {@value #DEFAULT_API_TIMEOUT_MS} as a duration. */
    public Duration apiTimeout() {
        return Duration.ofMillis(getInt(DEFAULT_API_TIMEOUT_MS));
    }
}
