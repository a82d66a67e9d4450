package io.tributary.cli;

import io.tributary.client.ClientConfig;
import io.tributary.client.admin.Admin;
import io.tributary.client.admin.AdminConfig;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The options every command that talks to a cluster takes (a picocli mixin): where to bootstrap
 * from, how long to wait, and {@code --verbose}.
 *
 * <p>Thread-safety: filled by picocli, then read by one command.
 */
final class ClientOptions {

    static final String BOOTSTRAP_ENV = "TRIBUTARY_BOOTSTRAP";
    static final String BOOTSTRAP_DEFAULT = "127.0.0.1:7401";

    @Option(names = {"-b", "--bootstrap"}, paramLabel = "HOST:PORT[,HOST:PORT...]",
            defaultValue = "${env:" + BOOTSTRAP_ENV + ":-" + BOOTSTRAP_DEFAULT + "}",
            description = "Brokers to bootstrap from (any one suffices). Default: $" + BOOTSTRAP_ENV
                    + ", else " + BOOTSTRAP_DEFAULT + ". Now: ${DEFAULT-VALUE}.")
    String bootstrap;

    @Option(names = "--api-timeout-ms", paramLabel = "MS", defaultValue = "30000",
            description = "The longest one call to the cluster may take, retries included (default ${DEFAULT-VALUE}).")
    int apiTimeoutMs;

    @Option(names = {"-v", "--verbose"},
            description = "Log the client's activity to stderr and print stack traces of errors.")
    boolean verbose;

    /** The settings every client gets from these options. */
    Map<String, Object> clientConfig() {
        if (apiTimeoutMs < 1) {
            throw new CliException("--api-timeout-ms must be positive, got " + apiTimeoutMs);
        }
        Map<String, Object> c = new HashMap<>();
        c.put(ClientConfig.BOOTSTRAP_SERVERS, bootstrap);
        c.put(ClientConfig.CLIENT_ID, "tributary-cli");
        c.put(ClientConfig.REQUEST_TIMEOUT_MS, Integer.toString(Math.min(apiTimeoutMs, 30_000)));
        return c;
    }

    /** An admin client for these options. */
    Admin admin() {
        Map<String, Object> c = clientConfig();
        c.put(AdminConfig.DEFAULT_API_TIMEOUT_MS, Integer.toString(apiTimeoutMs));
        return Admin.create(c);
    }
}
