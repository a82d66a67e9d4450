package io.tributary.broker;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;

/**
 * The broker process: {@code BrokerMain --config broker.properties}. Reads the configuration
 * (with {@code TRIBUTARY_*} environment overrides), starts a {@link Broker}, and on SIGTERM (or
 * SIGINT) shuts it down gracefully: new calls refused, leadership handed off, calls drained.
 * A bad configuration or an unusable port ends the process with a non-zero status and one line on
 * standard error naming the problem.
 */
public final class BrokerMain {

    /** Exit status for a bad command line or configuration. */
    public static final int EXIT_CONFIG = 2;
    /** Exit status when the broker cannot start (a port in use, an unusable directory). */
    public static final int EXIT_START = 1;

    private static final String LOGBACK_CONFIG = "io/tributary/broker/logback-broker.xml";

    private BrokerMain() {
    }

    public static void main(String[] args) {
        if (System.getProperty("logback.configurationFile") == null
                && BrokerMain.class.getClassLoader().getResource("logback.xml") == null) {
            System.setProperty("logback.configurationFile", LOGBACK_CONFIG);
        }
        Broker broker;
        try {
            broker = start(args, System.getenv(), System.err);
        } catch (ExitException e) {
            System.exit(e.status);
            return;
        }
        Thread hook = new Thread(broker::close, "broker-" + broker.nodeId() + "-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            broker.awaitClosed();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Thrown by {@link #start} instead of exiting, so tests can see the status and the message. */
    static final class ExitException extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;

        ExitException(int status) {
            super(null, null, false, false);
            this.status = status;
        }
    }

    /** Parses the command line, loads the configuration and starts the broker; reports failures in one line. */
    static Broker start(String[] args, Map<String, String> env, PrintStream err) throws ExitException {
        Path file = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--config") && i + 1 < args.length) {
                file = Paths.get(args[++i]);
            } else if (a.startsWith("--config=")) {
                file = Paths.get(a.substring("--config=".length()));
            } else if (a.equals("--help") || a.equals("-h")) {
                err.println("usage: broker --config FILE   (keys may be overridden by TRIBUTARY_<KEY> variables)");
                throw new ExitException(0);
            } else {
                err.println("tributary broker: unexpected argument '" + a + "'; usage: broker --config FILE");
                throw new ExitException(EXIT_CONFIG);
            }
        }
        if (file == null) {
            err.println("tributary broker: no configuration given; usage: broker --config FILE");
            throw new ExitException(EXIT_CONFIG);
        }
        if (!Files.isRegularFile(file)) {
            err.println("tributary broker: configuration file " + file + " does not exist or is not a file");
            throw new ExitException(EXIT_CONFIG);
        }
        BrokerConfig config;
        try {
            config = BrokerConfig.load(file, env);
        } catch (BrokerConfigException e) {
            err.println("tributary broker: invalid configuration in " + file + ": " + e.getMessage());
            throw new ExitException(EXIT_CONFIG);
        }
        try {
            return Broker.start(config);
        } catch (IOException | RuntimeException e) {
            err.println("tributary broker " + config.nodeId() + ": cannot start: " + e.getMessage());
            throw new ExitException(EXIT_START);
        }
    }
}
