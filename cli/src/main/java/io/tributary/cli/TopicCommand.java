package io.tributary.cli;

import io.tributary.client.admin.Admin;
import io.tributary.client.admin.ConfigEntry;
import io.tributary.client.admin.CreatedTopic;
import io.tributary.client.admin.NewTopic;
import io.tributary.client.admin.PartitionDescription;
import io.tributary.client.admin.TopicDescription;
import io.tributary.client.admin.TopicListing;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tributary topic create|list|describe|delete|alter}. */
@Command(
        name = "topic",
        mixinStandardHelpOptions = true,
        description = "Create, list, describe, change and delete topics.",
        subcommands = {TopicCommand.Create.class, TopicCommand.ListTopics.class, TopicCommand.Describe.class,
            TopicCommand.Delete.class, TopicCommand.Alter.class})
final class TopicCommand implements Runnable {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand");
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a topic.")
    static final class Create implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Mixin
        ClientOptions client;
        @Parameters(paramLabel = "NAME", description = "Topic name: 1..249 of [a-zA-Z0-9._-], not starting with __.")
        String name;
        @Option(names = {"-p", "--partitions"}, paramLabel = "N", defaultValue = "0",
                description = "Number of partitions (default: the cluster's).")
        int partitions;
        @Option(names = {"-r", "--replication-factor"}, paramLabel = "R", defaultValue = "0",
                description = "Replicas of each partition, at most the live brokers (default: the cluster's).")
        int replicationFactor;
        @Option(names = {"-c", "--config"}, paramLabel = "KEY=VALUE",
                description = "A topic configuration override, e.g. retention.ms=86400000 (repeatable).")
        Map<String, String> configs = new LinkedHashMap<>();
        @Option(names = "--validate-only", description = "Check everything, create nothing.")
        boolean validateOnly;

        @Override
        public Integer call() {
            try (Admin admin = client.admin()) {
                CreatedTopic t = admin.createTopics(List.of(new NewTopic(name, partitions, replicationFactor, configs)),
                        validateOnly).values().iterator().next().value();
                spec.commandLine().getOut().printf("%s topic %s: %d partition%s, replication factor %d%s%n",
                        validateOnly ? "Would create" : "Created", t.name(), t.partitions(),
                        t.partitions() == 1 ? "" : "s", t.replicationFactor(),
                        t.topicId().isEmpty() ? "" : ", id " + t.topicId());
                return 0;
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List topics.")
    static final class ListTopics implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Mixin
        ClientOptions client;
        @Option(names = "--internal", description = "Also list internal topics (e.g. __consumer_offsets).")
        boolean internal;

        @Override
        public Integer call() {
            try (Admin admin = client.admin()) {
                Table t = new Table("NAME", "PARTITIONS", "REPLICATION-FACTOR", "ID");
                for (TopicListing l : admin.listTopics(internal)) {
                    t.row(l.name() + (l.internal() ? " (internal)" : ""), l.partitions(), l.replicationFactor(),
                            l.topicId());
                }
                t.print(spec.commandLine().getOut());
                return 0;
            }
        }
    }

    @Command(name = "describe", mixinStandardHelpOptions = true,
            description = "Describe a topic: per partition leader, replicas, in-sync replicas, offsets; its configuration.")
    static final class Describe implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Mixin
        ClientOptions client;
        @Parameters(paramLabel = "NAME", description = "Topic name.")
        String name;

        @Override
        public Integer call() {
            try (Admin admin = client.admin()) {
                TopicDescription d = admin.describeTopic(name);
                PrintWriter out = spec.commandLine().getOut();
                out.printf("Topic %s%s: id %s, %d partitions, replication factor %d%n", d.name(),
                        d.internal() ? " (internal)" : "", d.topicId(), d.partitions().size(), d.replicationFactor());
                out.println();
                Table t = new Table("PARTITION", "LEADER", "EPOCH", "REPLICAS", "IN-SYNC", "LOG-START",
                        "HIGH-WATERMARK", "ERROR");
                for (PartitionDescription p : d.partitions()) {
                    t.row(p.partition(), p.leaderId() < 0 ? "none" : p.leaderId(), p.leaderEpoch(),
                            Table.ids(p.replicas()), Table.ids(p.inSyncReplicas()), Table.offset(p.logStartOffset()),
                            Table.offset(p.highWatermark()), p.error() == null ? "" : p.error().getMessage());
                }
                t.print(out);
                if (!d.configs().isEmpty()) {
                    out.println();
                    Table c = new Table("CONFIG", "VALUE", "SOURCE");
                    for (ConfigEntry e : d.configs()) {
                        c.row(e.name(), e.value(), e.source() == ConfigEntry.Source.TOPIC ? "topic override"
                                : e.source() == ConfigEntry.Source.DEFAULT ? "default" : "");
                    }
                    c.print(out);
                }
                return 0;
            }
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a topic and all its records.")
    static final class Delete implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Mixin
        ClientOptions client;
        @Parameters(paramLabel = "NAME", description = "Topic name.")
        String name;

        @Override
        public Integer call() {
            try (Admin admin = client.admin()) {
                admin.deleteTopic(name);
                spec.commandLine().getOut().printf("Deleted topic %s%n", name);
                return 0;
            }
        }
    }

    @Command(name = "alter", mixinStandardHelpOptions = true,
            description = "Change a topic: set or remove configuration overrides, add partitions.")
    static final class Alter implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Mixin
        ClientOptions client;
        @Parameters(paramLabel = "NAME", description = "Topic name.")
        String name;
        @Option(names = {"-c", "--config"}, paramLabel = "KEY=VALUE",
                description = "Set a configuration override (repeatable).")
        Map<String, String> set = new LinkedHashMap<>();
        @Option(names = "--delete-config", paramLabel = "KEY",
                description = "Remove an override: the key goes back to the cluster default (repeatable).")
        List<String> remove = new java.util.ArrayList<>();
        @Option(names = {"-p", "--partitions"}, paramLabel = "N",
                description = "Grow the topic to N partitions (keyed records' new records may go elsewhere).")
        Integer partitions;
        @Option(names = "--validate-only", description = "Check the changes, change nothing.")
        boolean validateOnly;

        @Override
        public Integer call() {
            if (set.isEmpty() && remove.isEmpty() && partitions == null) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "Nothing to change: give --config KEY=VALUE, --delete-config KEY or --partitions N");
            }
            PrintWriter out = spec.commandLine().getOut();
            String verb = validateOnly ? "Would " : "";
            try (Admin admin = client.admin()) {
                if (!set.isEmpty() || !remove.isEmpty()) {
                    admin.alterConfigs(name, set, remove, validateOnly);
                    out.printf("%s%s the configuration of topic %s:%s%s%n", verb, validateOnly ? "change" : "Changed",
                            name, set.isEmpty() ? "" : " set " + set,
                            remove.isEmpty() ? "" : " removed " + remove);
                }
                if (partitions != null) {
                    admin.createPartitions(Map.of(name, partitions), validateOnly).get(name).value();
                    out.printf("%s%s topic %s to %d partitions%n", verb, validateOnly ? "grow" : "Grew", name,
                            partitions);
                }
                return 0;
            }
        }
    }
}
