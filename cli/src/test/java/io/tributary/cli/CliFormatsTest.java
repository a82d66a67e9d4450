package io.tributary.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/** The CLI's small formats: times users type, tables, perf summaries, error lines. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CliFormatsTest {

    private final CommandLine cmd = TributaryCommand.newCommandLine();

    @Test
    void shouldParseTheTimesUsersType() {
        assertThat(Times.parse(cmd, "--to-time", "1700000000000")).isEqualTo(1_700_000_000_000L);
        assertThat(Times.parse(cmd, "--to-time", "2023-11-14T22:13:20Z")).isEqualTo(1_700_000_000_000L);
        assertThat(Times.parse(cmd, "--to-time", "2023-11-14T23:13:20+01:00")).isEqualTo(1_700_000_000_000L);
        assertThat(Times.parse(cmd, "--to-time", "2023-11-14")).isEqualTo(
                LocalDate.of(2023, 11, 14).atStartOfDay(ZoneId.systemDefault()).toInstant().toEpochMilli());
        assertThatThrownBy(() -> Times.parse(cmd, "--to-time", "yesterday"))
                .isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("--to-time 'yesterday'").hasMessageContaining("ISO-8601");
    }

    @Test
    void shouldAlignTableColumns() {
        StringWriter out = new StringWriter();
        new Table("NAME", "N", "IDS").row("orders", 3, Table.ids(List.of(1, 2))).row("a", 12, Table.ids(List.of()))
                .print(new PrintWriter(out));
        assertThat(out.toString()).isEqualTo(
                "NAME    N   IDS\n"
                + "orders  3   1,2\n"
                + "a       12  -\n");
        assertThat(Table.offset(-1)).isEqualTo("-");
        assertThat(Table.offset(7)).isEqualTo("7");
    }

    @Test
    void shouldSummarizeAPerfRunAsTextAndJson() throws Exception {
        PerfStats stats = new PerfStats("produce");
        for (int i = 1; i <= 1000; i++) {
            stats.record(i * 1_000_000L, 100); // 1..1000 ms
        }
        stats.close();
        JsonNode json = new ObjectMapper().readTree(stats.summaryText(true));
        assertThat(json.get("records").asLong()).isEqualTo(1000);
        assertThat(json.get("bytes").asLong()).isEqualTo(100_000);
        assertThat(json.get("errors").asLong()).isZero();
        JsonNode lat = json.get("latency_ms");
        assertThat(lat.get("p50").asDouble()).isBetween(495.0, 505.0);
        assertThat(lat.get("p95").asDouble()).isBetween(945.0, 955.0);
        assertThat(lat.get("p99").asDouble()).isBetween(985.0, 995.0);
        assertThat(lat.get("p99_9").asDouble()).isBetween(995.0, 1001.0);
        assertThat(stats.summaryText(false)).startsWith("produce: 1000 records in ")
                .contains("records/s").contains("MB/s").contains("p50").contains("p99.9");
    }

    @Test
    void shouldDescribeErrorsInOneLineWithoutClassNames() {
        assertThat(TributaryCommand.describe(new CliException("3 of 5 lines were acknowledged")))
                .isEqualTo("3 of 5 lines were acknowledged");
        assertThat(TributaryCommand.describe(new io.tributary.client.errors.InvalidTopicException("bad name")))
                .isEqualTo("bad name");
        assertThat(TributaryCommand.describe(new IllegalStateException()))
                .isEqualTo("unexpected error: IllegalStateException (run with --verbose for details)");
    }
}
