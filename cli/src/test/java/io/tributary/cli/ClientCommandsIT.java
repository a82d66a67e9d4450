package io.tributary.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The client commands of {@code tributary} against one real broker in this JVM. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ClientCommandsIT {

    TestBroker broker;

    @BeforeAll
    void start(@TempDir Path dir) {
        broker = new TestBroker(dir);
    }

    @AfterAll
    void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    /** The outcome of one command line. */
    record Run(int exitCode, String out, String err) {
        List<String> lines() {
            return out.isEmpty() ? List.of() : List.of(out.split("\n"));
        }
    }

    Run run(String... args) {
        return runWithInput("", args);
    }

    Run runWithInput(String stdin, String... args) {
        InputStream in = new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = TributaryCommand.newCommandLine(in);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        List<String> all = new ArrayList<>(List.of(args));
        if (!all.contains("--help") && !all.contains("--bootstrap")) {
            all.add("--bootstrap");
            all.add(broker.bootstrap());
        }
        int code = cl.execute(all.toArray(String[]::new));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void shouldCreateListDescribeAlterAndDeleteATopic() {
        Run create = run("topic", "create", "orders", "--partitions", "3", "--replication-factor", "1",
                "--config", "retention.ms=3600000");
        assertThat(create.exitCode()).as(create.err()).isZero();
        assertThat(create.out()).startsWith("Created topic orders: 3 partitions, replication factor 1, id ");

        Run list = run("topic", "list");
        assertThat(list.exitCode()).isZero();
        assertThat(list.lines().get(0)).startsWith("NAME").contains("PARTITIONS").contains("REPLICATION-FACTOR");
        assertThat(list.lines()).anyMatch(l -> l.matches("orders\\s+3\\s+1\\s+\\S+"));

        Run describe = run("topic", "describe", "orders");
        assertThat(describe.exitCode()).as(describe.err()).isZero();
        assertThat(describe.out()).contains("Topic orders: id ").contains("3 partitions, replication factor 1");
        assertThat(describe.lines()).anyMatch(l -> l.matches("0\\s+1\\s+\\d+\\s+1\\s+1\\s+0\\s+0"));
        assertThat(describe.lines()).anyMatch(l -> l.matches("retention\\.ms\\s+3600000\\s+topic override"));

        Run alter = run("topic", "alter", "orders", "--config", "retention.ms=60000", "--partitions", "4");
        assertThat(alter.exitCode()).as(alter.err()).isZero();
        Run after = run("topic", "describe", "orders");
        assertThat(after.out()).contains("4 partitions");
        assertThat(after.lines()).anyMatch(l -> l.matches("retention\\.ms\\s+60000\\s+topic override"));

        Run delete = run("topic", "delete", "orders");
        assertThat(delete.exitCode()).isZero();
        assertThat(delete.out()).isEqualTo("Deleted topic orders\n");
        Run gone = run("topic", "describe", "orders");
        assertThat(gone.exitCode()).isEqualTo(1);
    }

    @Test
    void shouldPrintOneClearLineForAnUnknownTopic() {
        Run r = run("topic", "describe", "no-such-topic");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).startsWith("tributary topic describe: ").contains("no-such-topic");
        assertThat(r.err().strip().lines()).hasSize(1);
        assertThat(r.err()).doesNotContain("Exception").doesNotContain("\tat ");

        Run produce = runWithInput("a\n", "produce", "no-such-topic");
        assertThat(produce.exitCode()).isEqualTo(1);
        assertThat(produce.err()).startsWith("tributary produce: ").contains("no-such-topic");
        assertThat(produce.err().strip().lines()).hasSize(1);
    }

    @Test
    void shouldPrintTheStackTraceOnlyWhenVerbose() {
        Run r = run("topic", "describe", "no-such-topic", "--verbose");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).startsWith("tributary topic describe: ").contains("\tat ");
    }

    @Test
    void shouldRefuseBadConfigs() {
        Run bad = run("topic", "create", "bad-config", "--config", "retention.ms=soon");
        assertThat(bad.exitCode()).isEqualTo(1);
        assertThat(bad.err()).startsWith("tributary topic create: ").contains("retention.ms").contains("soon");
        assertThat(bad.err().strip().lines()).hasSize(1);

        Run notKv = run("topic", "create", "bad-config", "--config", "retention.ms");
        assertThat(notKv.exitCode()).isEqualTo(2);
        assertThat(notKv.err()).contains("--config");

        Run unknownKey = run("topic", "create", "bad-config", "--config", "no.such.key=1");
        assertThat(unknownKey.exitCode()).isEqualTo(1);
        assertThat(unknownKey.err()).contains("no.such.key");

        Run badName = run("topic", "create", "bad name");
        assertThat(badName.exitCode()).isEqualTo(1);
        assertThat(badName.err()).startsWith("tributary topic create: ");

        Run nothing = run("topic", "alter", "whatever");
        assertThat(nothing.exitCode()).isEqualTo(2);
        assertThat(nothing.err()).contains("Nothing to change");
    }

    @Test
    void shouldFailClearlyAndQuicklyWhenTheBootstrapIsUnreachable() {
        String nowhere = "127.0.0.1:" + TestBroker.freePort();
        long start = System.nanoTime();
        Run r = run("topic", "list", "--bootstrap", nowhere, "--api-timeout-ms", "2000");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).startsWith("tributary topic list: listing topics did not complete in time")
                .contains(nowhere);
        assertThat(r.err().strip().lines()).hasSize(1);

        Run badAddress = run("cluster", "describe", "--bootstrap", "nohostport");
        assertThat(badAddress.exitCode()).isEqualTo(1);
        assertThat(badAddress.err()).contains("nohostport").contains("host:port");
    }

    @Test
    void shouldDescribeTheCluster() {
        Run r = run("cluster", "describe");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("Controller: broker 1").contains("Health: ");
        assertThat(r.lines()).anyMatch(l -> l.matches("1 \\(controller\\)\\s+" + broker.bootstrap().replace(".", "\\.")
                + "\\s+-\\s+yes\\s+\\d+\\s+\\d+"));
    }

    @Test
    void shouldProduceEveryLineOfStdin() {
        assertThat(run("topic", "create", "lines", "--partitions", "1").exitCode()).isZero();
        Run p = runWithInput("k1:first\nk2:second\nno separator\n\nk3:third:with:colons\n", "produce", "lines",
                "--key-separator", ":");
        assertThat(p.exitCode()).as(p.err()).isZero();
        assertThat(p.err()).isEqualTo("5 records written to lines\n");
        Run d = run("topic", "describe", "lines");
        assertThat(d.lines()).anyMatch(l -> l.matches("0\\s+1\\s+\\d+\\s+1\\s+1\\s+0\\s+5"));
    }

    @Test
    void shouldRunPerfProduceAndPrintJson() throws Exception {
        assertThat(run("topic", "create", "perf", "--partitions", "2").exitCode()).isZero();
        Run r = run("perf", "produce", "perf", "--records", "500", "--record-size", "100", "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertThat(json.get("records").asLong()).isEqualTo(500);
        assertThat(json.get("bytes").asLong()).isEqualTo(50_000);
        assertThat(json.get("errors").asLong()).isZero();
        assertThat(json.get("records_per_sec").asDouble()).isPositive();
        assertThat(json.get("latency_ms").get("p99_9").asDouble()).isPositive();
    }

    @Test
    void shouldListDescribeResetAndDeleteAGroup() {
        assertThat(run("topic", "create", "billed", "--partitions", "2").exitCode()).isZero();
        assertThat(runWithInput("a\nb\nc\n", "produce", "billed", "--partition", "0").exitCode()).isZero();
        // A standalone commit (the group has no members), as an offsets tool makes it; retried while
        // the broker creates __consumer_offsets on first use.
        io.grpc.ManagedChannel channel = io.grpc.ManagedChannelBuilder.forTarget(broker.bootstrap()).usePlaintext()
                .build();
        try {
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() ->
                    io.tributary.proto.v1.GroupServiceGrpc.newBlockingStub(channel).offsetCommit(
                            io.tributary.proto.v1.OffsetCommitRequest.newBuilder().setGroupId("billing")
                                    .addPartitions(io.tributary.proto.v1.OffsetCommitPartition.newBuilder()
                                            .setTopic("billed").setPartition(0).setOffset(1))
                                    .build())
                            .getPartitions(0).getError().getCodeValue() == 0);
        } finally {
            channel.shutdownNow();
        }

        Run list = run("group", "list");
        assertThat(list.exitCode()).as(list.err()).isZero();
        assertThat(list.lines()).anyMatch(l -> l.matches("billing\\s+EMPTY\\s+0"));

        Run describe = run("group", "describe", "billing");
        assertThat(describe.exitCode()).as(describe.err()).isZero();
        assertThat(describe.out()).startsWith("Group billing: EMPTY, 0 members").contains("total lag 2");
        assertThat(describe.lines()).anyMatch(l -> l.matches("billed\\s+0\\s+1\\s+3\\s+2\\s+-"));

        Run dry = run("group", "reset-offsets", "billing", "--topic", "billed:0", "--to-earliest", "--dry-run");
        assertThat(dry.exitCode()).as(dry.err()).isZero();
        assertThat(dry.lines()).anyMatch(l -> l.matches("billed\\s+0\\s+1\\s+0"));
        assertThat(dry.out()).contains("dry run");

        Run latest = run("group", "reset-offsets", "billing", "--topic", "billed", "--to-latest");
        assertThat(latest.exitCode()).as(latest.err()).isZero();
        assertThat(run("group", "describe", "billing").out()).contains("total lag 0");

        Run toTime = run("group", "reset-offsets", "billing", "--topic", "billed", "--to-time", "1970-01-02T00:00:00Z");
        assertThat(toTime.exitCode()).as(toTime.err()).isZero();
        assertThat(toTime.lines()).anyMatch(l -> l.matches("billed\\s+0\\s+3\\s+0"));

        Run badTime = run("group", "reset-offsets", "billing", "--topic", "billed", "--to-time", "yesterday");
        assertThat(badTime.exitCode()).isEqualTo(2);
        assertThat(badTime.err()).contains("--to-time").contains("ISO-8601");
        Run noTarget = run("group", "reset-offsets", "billing", "--topic", "billed");
        assertThat(noTarget.exitCode()).isEqualTo(2);
        Run twoTargets = run("group", "reset-offsets", "billing", "--topic", "billed", "--to-earliest", "--to-latest");
        assertThat(twoTargets.exitCode()).isEqualTo(2);

        assertThat(run("group", "delete", "billing").exitCode()).isZero();
        Run gone = run("group", "describe", "billing");
        assertThat(gone.exitCode()).isEqualTo(1);
        assertThat(gone.err()).startsWith("tributary group describe: ").contains("billing");
    }

    @Test
    void shouldConsumeFromTheBeginningTheLinesThatWereProduced() {
        assertThat(run("topic", "create", "echo", "--partitions", "1").exitCode()).isZero();
        String lines = "alpha\nbeta\ngamma with spaces\n\nunicode: \u00e9\u4e2d\n";
        Run p = runWithInput(lines, "produce", "echo");
        assertThat(p.exitCode()).as(p.err()).isZero();

        Run c = run("consume", "echo", "--from-beginning", "--max-messages", "5", "--timeout-ms", "20000");
        assertThat(c.exitCode()).as(c.err()).isZero();
        assertThat(c.out()).isEqualTo(lines);
        assertThat(c.err()).isEqualTo("Processed 5 records\n");

        Run keyed = runWithInput("k1:v1\nk2:v2\n", "produce", "echo", "--key-separator", ":");
        assertThat(keyed.exitCode()).isZero();
        Run fromOffset = run("consume", "echo", "--partition", "0", "--offset", "5", "--print-offset", "--print-key",
                "--max-messages", "2", "--timeout-ms", "20000");
        assertThat(fromOffset.exitCode()).as(fromOffset.err()).isZero();
        assertThat(fromOffset.out()).isEqualTo("0:5\tk1\tv1\n0:6\tk2\tv2\n");

        Run fromTime = run("consume", "echo", "--from-time", "1970-01-01T00:00:00Z", "--max-messages", "1",
                "--timeout-ms", "20000");
        assertThat(fromTime.out()).isEqualTo("alpha\n");
        Run future = run("consume", "echo", "--from-time", "2999-01-01T00:00:00Z", "--timeout-ms", "1000");
        assertThat(future.exitCode()).isZero();
        assertThat(future.out()).isEmpty();
    }

    @Test
    void shouldConsumeEveryPartitionAndShowLagZeroForTheGroup() {
        assertThat(run("topic", "create", "spread", "--partitions", "3").exitCode()).isZero();
        StringBuilder in = new StringBuilder();
        for (int i = 0; i < 30; i++) {
            in.append("key-").append(i).append('=').append("value-").append(i).append('\n');
        }
        assertThat(runWithInput(in.toString(), "produce", "spread", "--key-separator", "=").exitCode()).isZero();

        Run c = run("consume", "spread", "--group", "readers", "--from-beginning", "--max-messages", "30",
                "--timeout-ms", "30000");
        assertThat(c.exitCode()).as(c.err()).isZero();
        assertThat(c.lines()).hasSize(30).containsExactlyInAnyOrderElementsOf(
                java.util.stream.IntStream.range(0, 30).mapToObj(i -> "value-" + i).toList());

        Run d = run("group", "describe", "readers");
        assertThat(d.exitCode()).as(d.err()).isZero();
        assertThat(d.out()).contains("total lag 0");
        for (int part = 0; part < 3; part++) {
            int pp = part;
            assertThat(d.lines()).anyMatch(l -> l.matches("spread\\s+" + pp + "\\s+(\\d+)\\s+\\1\\s+0\\s+-"));
        }

        // The group resumes after what it printed: nothing new, so nothing printed.
        Run again = run("consume", "spread", "--group", "readers", "--timeout-ms", "3000");
        assertThat(again.exitCode()).as(again.err()).isZero();
        assertThat(again.out()).isEmpty();
    }

    @Test
    void shouldFailClearlyWhenConsumingGoesWrong() {
        Run unknown = run("consume", "no-such-topic", "--from-beginning", "--timeout-ms", "1000");
        assertThat(unknown.exitCode()).isEqualTo(1);
        assertThat(unknown.err()).startsWith("tributary consume: ").contains("no-such-topic");
        assertThat(unknown.err().strip().lines()).hasSize(1);

        assertThat(run("topic", "create", "short", "--partitions", "1").exitCode()).isZero();
        assertThat(runWithInput("only\n", "produce", "short").exitCode()).isZero();
        Run tooFew = run("consume", "short", "--from-beginning", "--max-messages", "3", "--timeout-ms", "1500");
        assertThat(tooFew.exitCode()).isEqualTo(1);
        assertThat(tooFew.out()).isEqualTo("only\n");
        assertThat(tooFew.err()).contains("printed 1 of the 3 records");

        Run badPartition = run("consume", "short", "--partition", "7", "--timeout-ms", "1000");
        assertThat(badPartition.exitCode()).isEqualTo(1);
        assertThat(badPartition.err()).contains("no partition 7");
        Run both = run("consume", "short", "--from-beginning", "--from-time", "2020-01-01", "--timeout-ms", "1000");
        assertThat(both.exitCode()).isEqualTo(2);
        Run groupAndPartition = run("consume", "short", "--group", "g", "--partition", "0", "--timeout-ms", "1000");
        assertThat(groupAndPartition.exitCode()).isEqualTo(2);
    }

    @Test
    void shouldRunPerfConsumeAndEndToEnd() throws Exception {
        assertThat(run("topic", "create", "perf-rw", "--partitions", "2").exitCode()).isZero();
        Run produce = run("perf", "produce", "perf-rw", "--records", "300", "--record-size", "50");
        assertThat(produce.exitCode()).as(produce.err()).isZero();
        assertThat(produce.out()).startsWith("produce: 300 records in ").contains("p99.9");

        Run consume = run("perf", "consume", "perf-rw", "--records", "300", "--json");
        assertThat(consume.exitCode()).as(consume.err()).isZero();
        JsonNode c = new ObjectMapper().readTree(consume.out());
        assertThat(c.get("records").asLong()).isEqualTo(300);

        Run e2e = run("perf", "e2e", "perf-rw", "--records", "200", "--record-size", "50", "--rate", "400", "--json");
        assertThat(e2e.exitCode()).as(e2e.err()).isZero();
        JsonNode e = new ObjectMapper().readTree(e2e.out());
        assertThat(e.get("test").asText()).isEqualTo("e2e");
        assertThat(e.get("records").asLong()).isEqualTo(200);
        assertThat(e.get("latency_ms").get("count").asLong()).isEqualTo(200);
    }

    @Test
    void shouldShowHelpEverywhere() {
        for (String[] cmd : new String[][] {{"--help"}, {"topic", "--help"}, {"topic", "create", "--help"},
            {"produce", "--help"}, {"consume", "--help"}, {"group", "reset-offsets", "--help"},
            {"perf", "consume", "--help"}, {"perf", "e2e", "--help"}, {"cluster", "describe", "--help"},
            {"perf", "produce", "--help"}}) {
            Run r = run(cmd);
            assertThat(r.exitCode()).as(String.join(" ", cmd)).isZero();
            assertThat(r.out()).startsWith("Usage: tributary");
        }
        assertThat(run("topic", "create", "--help").out()).contains("--bootstrap").contains("TRIBUTARY_BOOTSTRAP");
    }
}
