package io.tributary.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TributaryCommandTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine commandLine = TributaryCommand.newCommandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        return commandLine.execute(args);
    }

    @Test
    void shouldDescribeBrokerStartInTheHelp() {
        assertThat(run("broker", "start", "--help")).isZero();
        assertThat(out.toString()).contains("--config=FILE").contains("TRIBUTARY_");
    }

    @Test
    void shouldFailWithUsageWithoutASubcommand() {
        assertThat(run()).isEqualTo(2);
        assertThat(err.toString()).contains("Missing required subcommand").contains("broker");
        assertThat(run("broker")).isEqualTo(2);
    }

    @Test
    void shouldRequireTheConfigOption() {
        assertThat(run("broker", "start")).isEqualTo(2);
        assertThat(err.toString()).contains("--config");
    }

    @Test
    void shouldRefuseAConfigFileThatDoesNotExist(@TempDir Path dir) {
        Path missing = dir.resolve("nope.properties");
        assertThat(run("broker", "start", "--config", missing.toString())).isEqualTo(1);
        assertThat(err.toString()).contains("cannot read the configuration file").contains(missing.toString());
    }

    @Test
    void shouldPrintAVersion() {
        assertThat(run("--version")).isZero();
        assertThat(out.toString()).startsWith("tributary ");
    }
}
