package io.tributary.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code tributary} command: the entry point of {@code scripts/tributary} and of the runnable
 * jar {@code cli/target/tributary-cli.jar}.
 *
 * <p>Subcommands today: {@code broker start --config FILE}. The client commands (topics,
 * produce, consume, groups) come with the client SDK.
 *
 * <p>Exit codes: 0 success, 1 a command failed at run time, 2 bad usage (picocli's default).
 *
 * <p>Thread-safety: used once, from {@code main}.
 */
@Command(
        name = "tributary",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Tributary, a replicated commit log: run brokers and talk to a cluster.",
        subcommands = {BrokerCommand.class, CommandLine.HelpCommand.class})
public final class TributaryCommand implements Runnable {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    /** Without a subcommand, print the usage and fail (there is nothing to do). */
    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand");
    }

    /**
     * Runs the command line and exits with its code. Applies the Chronicle system properties of
     * the build's {@code chronicle.jvm.flags} first ({@link JvmFlags}), before any class that
     * loads Chronicle Bytes.
     */
    public static void main(String[] args) {
        JvmFlags.applySystemProperties();
        int exitCode = newCommandLine().execute(args);
        if (exitCode != 0) {
            System.exit(exitCode);
        }
        // Success: a long-running command (broker start) returns only once its work is over;
        // let its non-daemon threads, if any are left, decide when the JVM ends.
    }

    /** The command tree, for main and for tests. */
    static CommandLine newCommandLine() {
        return new CommandLine(new TributaryCommand());
    }
}
