package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.record.RecordBatch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Issue 3 §4 (a): three brokers, a topic with 3 partitions and RF 3, produce and fetch over gRPC. */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
@ExtendWith(BrokerLogsOnFailure.class)
class ProduceFetchIT {

    @Test
    void shouldReadBackEveryAcknowledgedBatchAtItsOffsetByteForByte() {
        try (TestCluster cluster = TestCluster.start(3)) {
            cluster.awaitReady();
            cluster.createTopic("orders", 3, 3);
            TestClient client = cluster.client();

            List<Acked> acked = new ArrayList<>();
            for (int partition = 0; partition < 3; partition++) {
                TopicPartition tp = TopicPartition.of("orders", partition);
                long expectedOffset = 0;
                for (int seq = 0; seq < 25; seq++) {
                    // Sizes vary from one record of 10 bytes to 13 records of ~3 KiB.
                    RecordBatch batch = Batches.batch("orders", partition * 1000L + seq, 1 + seq % 13, 10 + seq * 120);
                    long offset = client.produce(tp, batch, Duration.ofSeconds(30));
                    assertThat(offset).as("offset of batch %d of %s", seq, tp).isEqualTo(expectedOffset);
                    expectedOffset += batch.recordCount();
                    acked.add(new Acked(tp, offset, batch));
                }
            }

            Checks.assertReadableFromLeaders(client, acked, Duration.ofSeconds(30));
        }
    }
}
