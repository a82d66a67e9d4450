package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * Issue 4 §5: the {@code tributary} command, each invocation its own JVM as an operator would run
 * it, against a running cluster: {@code produce} from stdin then {@code consume --from-beginning}
 * prints the same lines; a group that consumed everything shows lag 0 in {@code group describe};
 * bad input is one clear line and a non-zero exit code. Run by {@link SdkRoundTripIT} on its
 * cluster (a cluster of its own would add a cluster start to the suite for nothing).
 */
final class CliScenario {

    private CliScenario() {
    }

    private static final String MAIN = "io.tributary.cli.TributaryCommand";

    record Run(int exit, String out, String err) {
        List<String> lines() {
            return out.isEmpty() ? List.of() : List.of(out.split("\n"));
        }
    }

    private static Run run(TestCluster cluster, String stdin, String... args) throws Exception {
        List<String> command = new ArrayList<>(cluster.javaCommand(MAIN));
        command.addAll(List.of(args));
        // Options may follow the subcommand's parameters: the bootstrap goes last.
        command.add("--bootstrap");
        command.add(cluster.bootstrap());
        Process p = new ProcessBuilder(command).start();
        CompletableFuture<String> out = drain(p.getInputStream());
        CompletableFuture<String> err = drain(p.getErrorStream());
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("tributary " + String.join(" ", args) + " did not finish in 120 s; stderr: "
                    + err.getNow(""));
        }
        return new Run(p.exitValue(), out.get(10, TimeUnit.SECONDS), err.get(10, TimeUnit.SECONDS));
    }

    private static CompletableFuture<String> drain(InputStream stream) {
        return CompletableFuture.supplyAsync(() -> {
            try (InputStream in = stream) {
                ByteArrayOutputStream buf = new ByteArrayOutputStream();
                in.transferTo(buf);
                return buf.toString(StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    static void produceConsumeAndDescribeTheGroup(TestCluster cluster) throws Exception {
        Run created = run(cluster, null, "topic", "create", "cli-lines", "--partitions", "1", "--replication-factor", "3");
        assertThat(created.exit()).as("topic create: %s", created.err()).isZero();
        Run listed = run(cluster, null, "topic", "list");
        assertThat(listed.out()).contains("cli-lines");

        List<String> lines = IntStream.range(0, 200).mapToObj(i -> "line " + i + " with some text").toList();
        Run produced = run(cluster, String.join("\n", lines) + "\n", "produce", "cli-lines");
        assertThat(produced.exit()).as("produce: %s", produced.err()).isZero();

        Run consumed = run(cluster, null, "consume", "cli-lines", "--from-beginning", "--max-messages", "200",
                "--timeout-ms", "60000");
        assertThat(consumed.exit()).as("consume: %s", consumed.err()).isZero();
        assertThat(consumed.lines()).containsExactlyElementsOf(lines);

        // Keys before a separator, and a group that reads everything: lag 0.
        Run keyed = run(cluster, "a:1\nb:2\na:3\n", "produce", "cli-lines", "--key-separator", ":");
        assertThat(keyed.exit()).as("keyed produce: %s", keyed.err()).isZero();
        Run inGroup = run(cluster, null, "consume", "cli-lines", "--group", "cli-group", "--from-beginning",
                "--max-messages", "203", "--timeout-ms", "60000", "--print-key");
        assertThat(inGroup.exit()).as("group consume: %s", inGroup.err()).isZero();
        assertThat(inGroup.lines()).hasSize(203).endsWith("a\t1", "b\t2", "a\t3");

        Run described = run(cluster, null, "group", "describe", "cli-group");
        assertThat(described.exit()).as("group describe: %s", described.err()).isZero();
        assertThat(described.out()).contains("total lag 0");

        // Bad input: one clear line on stderr, a non-zero exit code, no stack trace.
        Run unknown = run(cluster, null, "topic", "describe", "no-such-topic");
        assertThat(unknown.exit()).isNotZero();
        assertThat(unknown.err()).contains("no-such-topic").doesNotContain("\tat ");
        Run badConfig = run(cluster, null, "topic", "create", "bad-config", "--config", "retention.ms=forever");
        assertThat(badConfig.exit()).isNotZero();
        assertThat(badConfig.err()).contains("retention.ms").doesNotContain("\tat ");
    }
}
