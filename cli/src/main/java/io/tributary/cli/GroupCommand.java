package io.tributary.cli;

import io.tributary.client.TopicPartition;
import io.tributary.client.admin.Admin;
import io.tributary.client.admin.GroupDescription;
import io.tributary.client.admin.GroupListing;
import io.tributary.client.admin.MemberDescription;
import io.tributary.client.admin.OffsetReset;
import io.tributary.client.admin.OffsetResetTarget;
import io.tributary.client.admin.PartitionLag;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tributary group list|describe|reset-offsets|delete}. */
@Command(
        name = "group",
        mixinStandardHelpOptions = true,
        description = "List, describe, reset and delete consumer groups.",
        subcommands = {GroupCommand.ListGroups.class, GroupCommand.Describe.class, GroupCommand.ResetOffsets.class,
            GroupCommand.Delete.class})
final class GroupCommand implements Runnable {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand");
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List every consumer group.")
    static final class ListGroups implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Mixin
        ClientOptions client;

        @Override
        public Integer call() {
            try (Admin admin = client.admin()) {
                Table t = new Table("GROUP", "STATE", "MEMBERS");
                for (GroupListing g : admin.listGroups()) {
                    t.row(g.groupId(), g.state(), g.memberCount());
                }
                t.print(spec.commandLine().getOut());
                return 0;
            }
        }
    }

    @Command(name = "describe", mixinStandardHelpOptions = true,
            description = "Describe a group: members and, per partition, committed offset, end offset, lag, owner.")
    static final class Describe implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Mixin
        ClientOptions client;
        @Parameters(paramLabel = "GROUP", description = "The group id.")
        String group;

        @Override
        public Integer call() {
            try (Admin admin = client.admin()) {
                GroupDescription g = admin.describeGroup(group);
                PrintWriter out = spec.commandLine().getOut();
                out.printf("Group %s: %s, %d member%s, assignor %s, epoch %d, total lag %d%n", g.groupId(), g.state(),
                        g.members().size(), g.members().size() == 1 ? "" : "s",
                        g.assignor().isEmpty() ? "-" : g.assignor(), g.groupEpoch(), g.totalLag());
                if (!g.members().isEmpty()) {
                    out.println();
                    Table m = new Table("MEMBER", "CLIENT-ID", "HOST", "GENERATION", "TOPICS", "ASSIGNED", "REVOKING");
                    for (MemberDescription d : g.members()) {
                        m.row(d.memberId(), d.clientId(), d.clientHost(), d.generation(), String.join(",", d.topics()),
                                partitions(d.assigned()), partitions(d.toRevoke()));
                    }
                    m.print(out);
                }
                out.println();
                Table t = new Table("TOPIC", "PARTITION", "COMMITTED", "END", "LAG", "OWNER");
                for (PartitionLag p : g.offsets()) {
                    t.row(p.partition().topic(), p.partition().partition(), Table.offset(p.committedOffset()),
                            p.error() != null ? "? (" + p.error().getMessage() + ")" : Table.offset(p.endOffset()),
                            Table.offset(p.lag()), p.ownerMemberId().isEmpty() ? "-" : p.ownerMemberId());
                }
                t.print(out);
                return 0;
            }
        }

        static String partitions(List<TopicPartition> list) {
            return list.isEmpty() ? "-" : list.stream().map(TopicPartition::toString).collect(Collectors.joining(","));
        }
    }

    @Command(name = "reset-offsets", mixinStandardHelpOptions = true,
            description = {"Move a group's committed offsets. The group must have no members (stop its consumers).",
                "Example: tributary group reset-offsets billing --topic orders --to-earliest --dry-run"})
    static final class ResetOffsets implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Mixin
        ClientOptions client;
        @Parameters(paramLabel = "GROUP", description = "The group id.")
        String group;
        @Option(names = {"-t", "--topic"}, required = true, paramLabel = "TOPIC[:PARTITION]",
                description = "A topic (every partition) or one partition of it, e.g. orders:3 (repeatable).")
        List<String> topics;
        @ArgGroup(exclusive = true, multiplicity = "1")
        Target target;
        @Option(names = "--dry-run", description = "Show the new offsets, commit nothing.")
        boolean dryRun;

        static final class Target {
            @Option(names = "--to-earliest", required = true, description = "Each partition's log start offset.")
            boolean earliest;
            @Option(names = "--to-latest", required = true, description = "Each partition's end (high watermark).")
            boolean latest;
            @Option(names = "--to-offset", required = true, paramLabel = "N",
                    description = "This offset, clamped to each partition's range.")
            Long offset;
            @Option(names = "--to-time", required = true, paramLabel = "TIME",
                    description = "The first record at or after TIME: ISO-8601 (2026-11-26T10:00:00Z, "
                            + "2026-11-26T10:00:00 local, 2026-11-26) or ms since the epoch.")
            String time;
        }

        @Override
        public Integer call() {
            OffsetResetTarget to;
            if (target.earliest) {
                to = OffsetResetTarget.earliest();
            } else if (target.latest) {
                to = OffsetResetTarget.latest();
            } else if (target.offset != null) {
                if (target.offset < 0) {
                    throw new CommandLine.ParameterException(spec.commandLine(),
                            "--to-offset must be >= 0, got " + target.offset);
                }
                to = OffsetResetTarget.offset(target.offset);
            } else {
                to = OffsetResetTarget.time(Times.parse(spec.commandLine(), "--to-time", target.time));
            }
            List<String> whole = new ArrayList<>();
            List<TopicPartition> single = new ArrayList<>();
            for (String t : topics) {
                int colon = t.lastIndexOf(':');
                if (colon < 0) {
                    whole.add(t);
                    continue;
                }
                try {
                    single.add(new TopicPartition(t.substring(0, colon), Integer.parseInt(t.substring(colon + 1))));
                } catch (IllegalArgumentException e) {
                    throw new CommandLine.ParameterException(spec.commandLine(),
                            "--topic " + t + ": expected TOPIC or TOPIC:PARTITION with a partition >= 0");
                }
            }
            try (Admin admin = client.admin()) {
                List<OffsetReset> results = admin.resetOffsets(group, whole, single, to, dryRun);
                PrintWriter out = spec.commandLine().getOut();
                Table t = new Table("TOPIC", "PARTITION", "PREVIOUS", "NEW", "ERROR");
                int failed = 0;
                for (OffsetReset r : results) {
                    t.row(r.partition().topic(), r.partition().partition(), Table.offset(r.previousOffset()),
                            Table.offset(r.newOffset()), r.error() == null ? "" : r.error().getMessage());
                    failed += r.error() == null ? 0 : 1;
                }
                t.print(out);
                if (dryRun) {
                    out.println("(dry run: nothing was committed)");
                }
                if (failed > 0) {
                    throw new CliException(failed + " of " + results.size() + " partitions were not reset");
                }
                return 0;
            }
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = "Delete a group and its committed offsets (only a group without members).")
    static final class Delete implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Mixin
        ClientOptions client;
        @Parameters(paramLabel = "GROUP", description = "The group id.")
        String group;

        @Override
        public Integer call() {
            try (Admin admin = client.admin()) {
                admin.deleteGroup(group);
                spec.commandLine().getOut().printf("Deleted group %s%n", group);
                return 0;
            }
        }
    }
}
