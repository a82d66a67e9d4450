package io.tributary.broker.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.proto.v1.ErrorCode;
import io.tributary.replication.PartitionReplica;
import io.tributary.replication.TopicPartition;
import java.lang.reflect.Proxy;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The range check of reads: a position above the high watermark but within the local log is
 * "wait", not "out of range". A leader just elected holds every committed record but its high
 * watermark lags until it commits an entry of its term (seen: a consumer told OFFSET_OUT_OF_RANGE
 * at offset 20 with "readable 0 to 0" reset to earliest and read 20 records twice).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PartitionReadsTest {

    /** The offsets of a replica; reading records is not expected in these cases. */
    private static PartitionReplica replica(long logStart, long highWatermark, long logEnd) {
        TopicPartition tp = new TopicPartition("t", 0);
        return (PartitionReplica) Proxy.newProxyInstance(PartitionReplica.class.getClassLoader(),
                new Class<?>[] {PartitionReplica.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "topicPartition" -> tp;
                    case "logStartOffset" -> logStart;
                    case "highWatermark" -> highWatermark;
                    case "logEndOffset" -> logEnd;
                    case "toString" -> "replica of " + tp;
                    default -> throw new AssertionError("unexpected call " + method.getName());
                });
    }

    @Test
    void shouldReturnNothingForAnOffsetAboveTheHighWatermarkButInTheLocalLog() {
        PartitionReads.Read r = PartitionReads.read(replica(0, 0, 40), 20, 1 << 20, true);
        assertThat(r.bytes()).isZero();
        assertThat(r.nextOffset()).isEqualTo(20);
        assertThat(r.records().getRecords().isEmpty()).isTrue();
        assertThat(r.records().hasError()).isFalse();
    }

    @Test
    void shouldRefuseOffsetsBelowTheLogStartOrBeyondTheLocalLogWithTheValidRange() {
        assertThatThrownBy(() -> PartitionReads.read(replica(5, 10, 40), 41, 1 << 20, true))
                .isInstanceOfSatisfying(RequestException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.OFFSET_OUT_OF_RANGE);
                    assertThat(e.detail().getMessage()).contains("41");
                });
        assertThatThrownBy(() -> PartitionReads.read(replica(5, 10, 40), 4, 1 << 20, true))
                .isInstanceOfSatisfying(RequestException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.OFFSET_OUT_OF_RANGE));
    }

    @Test
    void shouldReturnNothingAtTheHighWatermark() {
        PartitionReads.Read r = PartitionReads.read(replica(0, 10, 10), 10, 1 << 20, true);
        assertThat(r.bytes()).isZero();
        assertThat(r.nextOffset()).isEqualTo(10);
    }
}
