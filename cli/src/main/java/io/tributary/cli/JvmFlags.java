package io.tributary.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The JVM flags a broker needs for Chronicle Bytes on Java 17: the root pom's
 * {@code chronicle.jvm.flags}, copied into the resource {@code io/tributary/cli/jvm.flags} at
 * build time (Maven resource filtering), so there is one source of truth.
 *
 * <p>Two kinds of flag, carried two ways:
 * <ul>
 *   <li>{@code --add-opens} / {@code --add-exports}: the runnable jar's manifest carries them as
 *       {@code Add-Opens} / {@code Add-Exports} (JEP 261), which {@code java -jar} honours;
 *       {@code scripts/tributary} passes them on the command line as well. {@link #missing()}
 *       tells which ones the running JVM lacks (e.g. when started with {@code -cp} without them),
 *       so {@code broker start} can refuse to start with a clear message instead of failing later
 *       inside Chronicle.</li>
 *   <li>{@code -Dkey=value}: a manifest cannot carry system properties;
 *       {@link #applySystemProperties()} sets each one that the command line did not, before any
 *       Chronicle class loads.</li>
 * </ul>
 *
 * <p>Thread-safety: stateless; call from main.
 */
final class JvmFlags {

    private static final String RESOURCE = "jvm.flags";

    private JvmFlags() {
    }

    /** The flags, split on whitespace, from the build's {@code chronicle.jvm.flags}. */
    static List<String> all() {
        try (InputStream in = JvmFlags.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource io/tributary/cli/" + RESOURCE + " is missing from the cli jar");
            }
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            if (text.isEmpty() || text.contains("${")) {
                throw new IllegalStateException("resource io/tributary/cli/" + RESOURCE
                        + " was not filtered by the build: '" + text + "'");
            }
            return Arrays.asList(text.split("\\s+"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read io/tributary/cli/" + RESOURCE, e);
        }
    }

    /** Sets every {@code -Dkey=value} of the flags whose key the command line left unset. */
    static void applySystemProperties() {
        for (String flag : all()) {
            if (flag.startsWith("-D")) {
                int eq = flag.indexOf('=');
                String key = eq < 0 ? flag.substring(2) : flag.substring(2, eq);
                String value = eq < 0 ? "" : flag.substring(eq + 1);
                if (System.getProperty(key) == null) {
                    System.setProperty(key, value);
                }
            }
        }
    }

    /**
     * The {@code --add-opens} and {@code --add-exports} flags that this JVM does not have in
     * effect for the unnamed module (where the launcher's classes and Chronicle live). Empty when
     * the JVM was started right.
     */
    static List<String> missing() {
        Module unnamed = JvmFlags.class.getModule();
        List<String> missing = new ArrayList<>();
        for (String flag : all()) {
            boolean opens = flag.startsWith("--add-opens=");
            boolean exports = flag.startsWith("--add-exports=");
            if (!opens && !exports) {
                continue;
            }
            // --add-opens=java.base/java.nio=ALL-UNNAMED
            String spec = flag.substring(flag.indexOf('=') + 1);
            int slash = spec.indexOf('/');
            int eq = spec.indexOf('=', slash);
            String moduleName = spec.substring(0, slash);
            String pkg = spec.substring(slash + 1, eq < 0 ? spec.length() : eq);
            Module module = ModuleLayer.boot().findModule(moduleName).orElse(null);
            if (module == null) {
                missing.add(flag);
                continue;
            }
            boolean granted = opens ? module.isOpen(pkg, unnamed) : module.isExported(pkg, unnamed);
            if (!granted) {
                missing.add(flag);
            }
        }
        return missing;
    }
}
