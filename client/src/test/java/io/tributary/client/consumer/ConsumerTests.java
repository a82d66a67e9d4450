package io.tributary.client.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.client.ConsumerRecord;
import io.tributary.client.serde.Serdes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** What the consumer ITs share: a String consumer reading from the earliest offset, and polling until N records. */
final class ConsumerTests {

    private ConsumerTests() {
    }

    /** A String/String consumer of {@code bootstrap} with auto.offset.reset=earliest, then {@code extra}. */
    static Consumer<String, String> consumer(String bootstrap, Map<String, Object> extra) {
        Map<String, Object> cfg = new HashMap<>();
        cfg.put("bootstrap.servers", bootstrap);
        cfg.put("auto.offset.reset", "earliest");
        cfg.putAll(extra);
        return new Consumer<>(cfg, Serdes.stringDeserializer(), Serdes.stringDeserializer());
    }

    /** Polls until {@code n} records came (fails after 30 s). */
    static List<ConsumerRecord<String, String>> pollN(Consumer<String, String> c, int n) {
        List<ConsumerRecord<String, String>> out = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (out.size() < n) {
            assertThat(System.nanoTime() - deadline).as("got %s of %s records", out.size(), n).isNegative();
            c.poll(Duration.ofMillis(200)).forEach(out::add);
        }
        return out;
    }
}
