package io.tributary.record;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Writes the golden batches of {@link GoldenBatches} to {@code src/test/resources/format/v2/}.
 * Disabled unless asked for: golden files are written once per format version and then only
 * read. To regenerate (only when deliberately changing what the files hold; never to make a
 * failing compatibility test pass), from the repository root:
 * <pre>
 *   mvn -B -ntp -pl record test -Dtest=GoldenFileGeneratorTest -Dtributary.golden.regenerate=true
 * </pre>
 * then update the literals in {@link RecordFormatCompatibilityTest} and commit both.
 */
class GoldenFileGeneratorTest {

    @Test
    @EnabledIfSystemProperty(named = "tributary.golden.regenerate", matches = "true")
    void regenerateGoldenFiles() throws IOException {
        Path directory = Path.of("src/test/resources").resolve(GoldenBatches.DIRECTORY);
        Files.createDirectories(directory);
        for (Map.Entry<String, RecordBatch> golden : GoldenBatches.all().entrySet()) {
            try (FileChannel channel = FileChannel.open(directory.resolve(golden.getKey()), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                var bytes = golden.getValue().buffer();
                while (bytes.hasRemaining()) {
                    channel.write(bytes);
                }
            }
        }
    }
}
