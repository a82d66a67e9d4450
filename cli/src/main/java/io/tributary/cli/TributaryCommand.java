package io.tributary.cli;

import io.tributary.client.errors.TributaryException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code tributary} command: the entry point of {@code scripts/tributary} and of the runnable
 * jar {@code cli/target/tributary-cli.jar}.
 *
 * <p>Subcommands: {@code topic}, {@code produce}, {@code consume}, {@code group},
 * {@code cluster}, {@code perf} (over the client SDK; bootstrap from {@code --bootstrap}, else
 * {@code $TRIBUTARY_BOOTSTRAP}, else 127.0.0.1:7401) and {@code broker start --config FILE}.
 *
 * <p>Errors: one line on stderr, {@code tributary <command>: <what went wrong>}, and a non-zero
 * exit code; the stack trace only with {@code --verbose}. Exit codes: 0 success, 1 the command
 * failed (the cluster refused, a timeout, records not acknowledged), 2 bad usage (picocli's).
 *
 * <p>Thread-safety: used once, from {@code main} (or a test).
 */
@Command(
        name = "tributary",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Tributary, a replicated commit log: run brokers and talk to a cluster.",
        subcommands = {TopicCommand.class, ProduceCommand.class, ConsumeCommand.class, GroupCommand.class, ClusterCommand.class,
            PerfCommand.class, BrokerCommand.class, CommandLine.HelpCommand.class})
public final class TributaryCommand implements Runnable {

    /** The client commands' logback configuration (stderr only, off unless --verbose). */
    static final String CLI_LOGBACK = "io/tributary/cli/logback-cli.xml";
    /** The root log level of {@link #CLI_LOGBACK}. */
    static final String LOG_LEVEL_PROPERTY = "tributary.cli.log.level";

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    private final InputStream stdin;

    TributaryCommand(InputStream stdin) {
        this.stdin = stdin;
    }

    /** What {@code produce} reads its records from. */
    InputStream stdin() {
        return stdin;
    }

    /** Without a subcommand, print the usage and fail (there is nothing to do). */
    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand");
    }

    /**
     * Runs the command line and exits with its code. Applies the Chronicle system properties of
     * the build's {@code chronicle.jvm.flags} first ({@link JvmFlags}), before any class that
     * loads Chronicle Bytes; for client commands, points logback at {@link #CLI_LOGBACK}.
     */
    public static void main(String[] args) {
        JvmFlags.applySystemProperties();
        boolean broker = args.length > 0 && args[0].equals("broker");
        if (!broker && System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", CLI_LOGBACK);
            List<String> list = Arrays.asList(args);
            if (list.contains("--verbose") || list.contains("-v")) {
                System.setProperty(LOG_LEVEL_PROPERTY, "DEBUG");
            }
        }
        int exitCode = newCommandLine(System.in).execute(args);
        System.out.flush();
        System.err.flush();
        if (exitCode != 0 || !broker) {
            System.exit(exitCode);
        }
        // Success of `broker start`: it returns only once its work is over; let its non-daemon
        // threads, if any are left, decide when the JVM ends.
    }

    /** The command tree reading stdin from {@code System.in}, for tests that need no input. */
    static CommandLine newCommandLine() {
        return newCommandLine(System.in);
    }

    /** The command tree, for main and for tests; {@code stdin} feeds {@code produce}. */
    static CommandLine newCommandLine(InputStream stdin) {
        CommandLine cl = new CommandLine(new TributaryCommand(stdin));
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            err.println("tributary " + path(commandLine) + ": " + describe(ex));
            if (verbose(parseResult)) {
                ex.printStackTrace(err);
            }
            err.flush();
            return commandLine.getCommandSpec().exitCodeOnExecutionException();
        });
        return cl;
    }

    /** The one line that says what went wrong: the message, never a class name unless there is nothing else. */
    static String describe(Throwable ex) {
        if (ex instanceof TributaryException || ex instanceof CliException) {
            return ex.getMessage();
        }
        String msg = ex.getMessage();
        return "unexpected error: " + (msg == null ? ex.getClass().getSimpleName() : msg)
                + " (run with --verbose for details)";
    }

    private static boolean verbose(CommandLine.ParseResult parseResult) {
        for (CommandLine.ParseResult p = parseResult; p != null; p = p.subcommand()) {
            if (p.commandSpec().optionsMap().containsKey("--verbose") && p.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }

    private static String path(CommandLine commandLine) {
        List<String> names = new ArrayList<>();
        for (CommandLine c = commandLine; c != null && c.getParent() != null; c = c.getParent()) {
            names.add(0, c.getCommandName());
        }
        return String.join(" ", names);
    }

}
