package io.tributary.client.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.client.ProducerRecord;
import io.tributary.client.RawReader;
import io.tributary.client.RecordMetadata;
import io.tributary.client.TestBrokers;
import io.tributary.client.errors.ClientTimeoutException;
import io.tributary.client.serde.Serdes;
import io.tributary.record.Record;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The producer while its only broker is down: back-pressure, then delivery after the restart. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ProducerRecoveryIT {

    @Test
    void shouldBlockUpToMaxBlockMsWhileTheBrokerIsDownThenDeliverEverythingInOrderAfterItsRestart(
            @TempDir Path dir) throws Exception {
        try (TestBrokers brokers = new TestBrokers(dir, 1).start()) {
            String topic = "outage";
            brokers.createTopic(topic, 1, 1, Map.of());
            Producer<Long, Long> p = new Producer<>(Map.of("bootstrap.servers", brokers.bootstrap(),
                    "buffer.memory", 16 * 1024, "max.block.ms", 300, "linger.ms", 1,
                    "retry.backoff.ms", 50, "retry.backoff.max.ms", 200),
                    Serdes.longSerializer(), Serdes.longSerializer());
            List<CompletableFuture<RecordMetadata>> accepted = new ArrayList<>();
            accepted.add(p.send(new ProducerRecord<>(topic, 0L, 0L)));
            assertThat(accepted.get(0).get(30, TimeUnit.SECONDS).offset()).isZero();

            brokers.stopBroker(1);
            CompletableFuture<RecordMetadata> refused = null;
            long refusedAfterMs = 0;
            for (long i = 1; i < 10_000 && refused == null; i++) {
                long start = System.nanoTime();
                CompletableFuture<RecordMetadata> f = p.send(new ProducerRecord<>(topic, i, i));
                if (f.isCompletedExceptionally()) {
                    refused = f;
                    refusedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                } else {
                    accepted.add(f);
                }
            }
            assertThat(refused).as("a send is refused once 16 KiB are buffered").isNotNull();
            assertThat(refusedAfterMs).as("send blocked max.block.ms first").isGreaterThanOrEqualTo(290);
            assertThatThrownBy(refused::get).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(ClientTimeoutException.class)
                    .hasMessageContaining("buffer.memory=16384").hasMessageContaining("max.block.ms=300");
            assertThat(accepted.size()).isGreaterThan(100);

            brokers.startBroker(1);
            p.close();
            for (int i = 0; i < accepted.size(); i++) {
                assertThat(accepted.get(i).get(1, TimeUnit.SECONDS).offset()).isEqualTo(i);
            }
            List<Long> values = new ArrayList<>();
            for (Record r : RawReader.records(brokers, topic, 0)) {
                values.add(r.value().getLong(0));
            }
            assertThat(values).hasSize(accepted.size());
            for (int i = 0; i < values.size(); i++) {
                assertThat(values.get(i)).isEqualTo(i);
            }
        }
    }
}
