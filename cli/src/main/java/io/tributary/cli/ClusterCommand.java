package io.tributary.cli;

import io.tributary.client.admin.Admin;
import io.tributary.client.admin.BrokerDescription;
import io.tributary.client.admin.ClusterDescription;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code tributary cluster describe}. */
@Command(
        name = "cluster",
        mixinStandardHelpOptions = true,
        description = "Look at the cluster.",
        subcommands = {ClusterCommand.Describe.class})
final class ClusterCommand implements Runnable {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand");
    }

    @Command(name = "describe", mixinStandardHelpOptions = true,
            description = "The cluster: id, controller, health, and every broker with its partitions.")
    static final class Describe implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Mixin
        ClientOptions client;

        @Override
        public Integer call() {
            try (Admin admin = client.admin()) {
                ClusterDescription c = admin.describeCluster();
                PrintWriter out = spec.commandLine().getOut();
                out.printf("Cluster %s%n", c.clusterId());
                out.printf("Controller: %s (voters %s)%n",
                        c.controllerId() < 0 ? "none" : "broker " + c.controllerId(), Table.ids(c.controllerVoterIds()));
                out.printf("Health: %s%n", health(c));
                out.println();
                Table t = new Table("BROKER", "ADDRESS", "RACK", "ALIVE", "LEADERS", "REPLICAS");
                for (BrokerDescription b : c.brokers()) {
                    t.row(b.id() + (b.id() == c.controllerId() ? " (controller)" : ""), b.host() + ":" + b.port(),
                            b.rack().isEmpty() ? "-" : b.rack(), b.alive() ? "yes" : "NO", b.leaderCount(),
                            b.replicaCount());
                }
                t.print(out);
                return 0;
            }
        }

        static String health(ClusterDescription c) {
            if (c.healthy()) {
                return "OK";
            }
            List<String> problems = new ArrayList<>();
            long down = c.brokers().stream().filter(b -> !b.alive()).count();
            if (c.controllerId() < 0) {
                problems.add("no controller");
            }
            if (down > 0) {
                problems.add(down + " broker" + (down == 1 ? "" : "s") + " down");
            }
            if (c.offlinePartitions() > 0) {
                problems.add(c.offlinePartitions() + " partitions without a leader");
            }
            if (c.underReplicatedPartitions() > 0) {
                problems.add(c.underReplicatedPartitions() + " under-replicated partitions");
            }
            return "DEGRADED: " + String.join(", ", problems);
        }
    }
}
