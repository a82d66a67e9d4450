package io.tributary.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The launcher carries the root pom's {@code chronicle.jvm.flags}: the filtered resource holds
 * them, the runnable jar's manifest (configured in cli/pom.xml) holds the same opens and exports,
 * and the test JVM (surefire gets the same flags) has them all in effect.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class JvmFlagsTest {

    @Test
    void shouldReadTheFlagsOfTheBuild() {
        List<String> flags = JvmFlags.all();
        assertThat(flags).contains("--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
                "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED", "-Dchronicle.analytics.disable=true");
    }

    @Test
    void shouldFindEveryFlagInEffectInAJvmStartedWithThem() {
        assertThat(JvmFlags.missing()).isEmpty();
    }

    @Test
    void shouldCarryTheSameOpensAndExportsInTheJarManifest() throws IOException {
        String pom = Files.readString(pomPath(), StandardCharsets.UTF_8);
        List<String> manifestOpens = manifestEntry(pom, "Add-Opens");
        List<String> manifestExports = manifestEntry(pom, "Add-Exports");

        List<String> flags = JvmFlags.all();
        assertThat(manifestOpens).as("Add-Opens in cli/pom.xml vs chronicle.jvm.flags")
                .containsExactlyInAnyOrderElementsOf(packagesOf(flags, "--add-opens="));
        assertThat(manifestExports).as("Add-Exports in cli/pom.xml vs chronicle.jvm.flags")
                .containsExactlyInAnyOrderElementsOf(packagesOf(flags, "--add-exports="));
    }

    @Test
    void shouldSetTheSystemPropertiesOfTheFlags() {
        System.clearProperty("chronicle.disk.monitor.disable");
        JvmFlags.applySystemProperties();
        assertThat(System.getProperty("chronicle.disk.monitor.disable")).isEqualTo("true");
    }

    /** {@code --add-opens=java.base/java.nio=ALL-UNNAMED} → {@code java.base/java.nio}. */
    private static List<String> packagesOf(List<String> flags, String prefix) {
        return flags.stream().filter(f -> f.startsWith(prefix))
                .map(f -> f.substring(prefix.length()).replace("=ALL-UNNAMED", ""))
                .collect(Collectors.toList());
    }

    private static List<String> manifestEntry(String pom, String name) {
        Matcher m = Pattern.compile("<" + name + ">([^<]*)</" + name + ">").matcher(pom);
        assertThat(m.find()).as("cli/pom.xml has a manifest entry %s", name).isTrue();
        return Arrays.asList(m.group(1).trim().split("\\s+"));
    }

    private static Path pomPath() throws IOException {
        try (InputStream in = JvmFlagsTest.class.getResourceAsStream("pom.path")) {
            return Path.of(new String(in.readAllBytes(), StandardCharsets.UTF_8).trim());
        }
    }
}
