package io.tributary.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code tributary broker ...}: commands that run a broker on this host. */
@Command(
        name = "broker",
        mixinStandardHelpOptions = true,
        description = "Run a Tributary broker on this host.",
        subcommands = {BrokerStartCommand.class})
final class BrokerCommand implements Runnable {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand");
    }
}
