package io.tributary.cli;

import io.tributary.broker.BrokerMain;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tributary broker start --config FILE}: runs one broker in this JVM until it is stopped
 * (SIGTERM stops it gracefully, handing off leadership first).
 *
 * <p>The broker itself ({@link BrokerMain}) reads the properties file, applies the
 * {@code TRIBUTARY_<KEY>} environment overrides, logs its effective configuration and refuses a
 * bad one with a message naming the key. This command only checks what the launcher is
 * responsible for: the file is readable and the JVM carries the flags Chronicle Bytes needs.
 *
 * <p>Design note: this is the one place where cli depends on the broker module. It hands over
 * the command-line arguments and nothing else, so cli never touches replication or storage
 * code (enforced by {@code CliArchitectureTest} and the pom's enforcer rule).
 */
@Command(
        name = "start",
        mixinStandardHelpOptions = true,
        description = {
            "Start a broker with the given configuration and run it until SIGTERM (graceful shutdown).",
            "Every key of the file can be overridden by an environment variable TRIBUTARY_<KEY>,"
                    + " e.g. TRIBUTARY_NODE_ID=2 for node.id."
        })
final class BrokerStartCommand implements Callable<Integer> {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Option(
            names = {"-c", "--config"},
            required = true,
            paramLabel = "FILE",
            description = "The broker's properties file (node.id, client.port, raft.port, data.dirs, controller.voters, ...).")
    private Path config;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        if (!Files.isRegularFile(config) || !Files.isReadable(config)) {
            err.println("tributary broker start: cannot read the configuration file " + config.toAbsolutePath());
            return 1;
        }
        List<String> missing = JvmFlags.missing();
        if (!missing.isEmpty()) {
            err.println("tributary broker start: this JVM lacks flags that Chronicle Bytes needs on Java 17: "
                    + String.join(" ", missing)
                    + ". Start the broker with scripts/tributary or `java -jar tributary-cli.jar`, or pass them to java.");
            return 1;
        }
        BrokerMain.main(new String[] {"--config", config.toString()});
        return 0;
    }
}
