package io.tributary.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BrokerMainTest {

    @TempDir
    Path dir;

    private String run(Map<String, String> env, int expectedStatus, String... args) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        BrokerMain.ExitException e = catchThrowableOfType(BrokerMain.ExitException.class,
                () -> BrokerMain.start(args, env, err));
        assertThat(e).isNotNull();
        assertThat(e.status).isEqualTo(expectedStatus);
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertThat(out.lines().count()).as("one line: %s", out).isEqualTo(1);
        return out;
    }

    @Test
    void shouldExitWithOneLineNamingTheBadKey() throws Exception {
        Path file = dir.resolve("broker.properties");
        Files.writeString(file, "node.id=1\nclient.port=99999\nraft.port=7501\ndata.dirs=" + dir
                + "\ncontroller.voters=1@127.0.0.1:7501\n");
        String out = run(Map.of(), BrokerMain.EXIT_CONFIG, "--config", file.toString());
        assertThat(out).contains("client.port=99999").contains(file.toString());
    }

    @Test
    void shouldNameTheEnvironmentVariableOfAMissingKey() throws Exception {
        Path file = dir.resolve("broker.properties");
        Files.writeString(file, "client.port=7401\nraft.port=7501\ndata.dirs=" + dir
                + "\ncontroller.voters=1@127.0.0.1:7501\n");
        assertThat(run(Map.of(), BrokerMain.EXIT_CONFIG, "--config", file.toString()))
                .contains("node.id is required").contains("TRIBUTARY_NODE_ID");
        assertThat(run(Map.of("TRIBUTARY_NODE_ID", "x"), BrokerMain.EXIT_CONFIG, "--config=" + file))
                .contains("node.id=x");
    }

    @Test
    void shouldRefuseABadCommandLine() {
        assertThat(run(Map.of(), BrokerMain.EXIT_CONFIG)).contains("--config");
        assertThat(run(Map.of(), BrokerMain.EXIT_CONFIG, "--config", dir.resolve("nope").toString()))
                .contains("does not exist");
        assertThat(run(Map.of(), BrokerMain.EXIT_CONFIG, "--bogus")).contains("--bogus");
    }
}
