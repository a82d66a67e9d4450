package io.tributary.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The harness end to end on a tiny volume: every phase runs (the reopen phase with its child
 * JVMs), the report and its JSON line come out, and the data directory is cleaned up. Figures
 * are not checked: performance is printed by {@code scripts/bench/storage}, never asserted.
 */
@Timeout(60)
class StorageBenchSmokeTest {

    @TempDir
    Path dir;

    @Test
    void shouldRunEveryPhaseOnATinyVolumeAndCleanUp() throws Exception {
        BenchOptions options = BenchOptions.parse(new String[] {
            "--dir", dir.resolve("bench").toString(),
            "--append-mib", "2", "--rounds", "1", "--records", "100", "--batch-kib", "16,1024",
            "--flush-every-mib", "1", "--pool-mib", "1",
            "--read-mib", "2", "--read-rounds", "1",
            "--reopen-mib", "4", "--reopen-segment-mib", "2", "--reopen-opens", "1", "--reopen-unflushed-mib", "1",
            // Never drop the page cache of the machine running the build.
            "--drop-caches", "false"});
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        Map<String, Object> json = new StorageBench(options, new PrintStream(bytes, true, StandardCharsets.UTF_8)).run();

        String report = bytes.toString(StandardCharsets.UTF_8);
        assertThat(report).contains("== Append:", "== Read:", "== Reopen after an unclean stop:", "BENCH_JSON {");
        assertThat((List<?>) json.get("append")).hasSize(2 * new AppendBench(options, dir, null).contenders().size());
        assertThat(json).containsKeys("read", "reopen");
        assertThat(dir.resolve("bench")).doesNotExist(); // created by the run, so removed with its data
        try (Stream<Path> left = Files.list(dir)) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void shouldRejectUnknownFlagsNamingThem() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> BenchOptions.parse(new String[] {"--nope", "1"}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--nope");
    }
}
