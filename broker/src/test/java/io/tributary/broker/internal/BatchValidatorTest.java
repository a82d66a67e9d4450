package io.tributary.broker.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.proto.v1.ErrorCode;
import io.tributary.record.Compression;
import io.tributary.record.RecordBatchFormat;
import io.tributary.replication.TopicPartition;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BatchValidatorTest {

    private static final TopicPartition TP = new TopicPartition("orders", 3);

    private static ErrorCode codeOf(byte[] bytes, int max) {
        try {
            BatchValidator.validate(ByteBuffer.wrap(bytes), max, TP);
            return ErrorCode.NONE;
        } catch (RequestException e) {
            assertThat(e.getMessage()).contains("orders-3");
            return e.code();
        }
    }

    @Test
    void shouldAcceptWholeBatchesBackToBack() {
        byte[] two = TestBatches.concat(TestBatches.batch("a", 3), TestBatches.batch("b", 2, 100, Compression.ZSTD));
        ByteBuffer buf = ByteBuffer.wrap(two);
        BatchValidator.Summary s = BatchValidator.validate(buf, 1 << 20, TP);
        assertThat(s.batches()).isEqualTo(2);
        assertThat(s.records()).isEqualTo(5);
        assertThat(s.bytes()).isEqualTo(two.length);
        assertThat(buf.position()).isZero();
    }

    @Test
    void shouldRejectEmptyRecords() {
        assertThat(codeOf(new byte[0], 1000)).isEqualTo(ErrorCode.INVALID_REQUEST);
    }

    @Test
    void shouldRejectACrcMismatch() {
        byte[] b = TestBatches.batch("a", 3);
        b[b.length - 1] ^= 0x55;
        assertThatThrownBy(() -> BatchValidator.validate(ByteBuffer.wrap(b), 1 << 20, TP))
                .isInstanceOf(RequestException.class)
                .hasMessageContaining("CRC")
                .satisfies(e -> assertThat(((RequestException) e).code()).isEqualTo(ErrorCode.CORRUPT_BATCH));
    }

    @Test
    void shouldRejectBadMagic() {
        byte[] b = TestBatches.batch("a", 1);
        b[RecordBatchFormat.MAGIC_OFFSET] = 1;
        assertThat(codeOf(b, 1 << 20)).isEqualTo(ErrorCode.CORRUPT_BATCH);
    }

    @Test
    void shouldRejectATruncatedBatchAndTrailingGarbage() {
        byte[] b = TestBatches.batch("a", 3);
        assertThat(codeOf(Arrays.copyOf(b, b.length - 1), 1 << 20)).isEqualTo(ErrorCode.CORRUPT_BATCH);
        assertThat(codeOf(TestBatches.concat(b, new byte[] {1, 2, 3}), 1 << 20)).isEqualTo(ErrorCode.CORRUPT_BATCH);
        assertThat(codeOf(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff},
                1 << 20)).isEqualTo(ErrorCode.CORRUPT_BATCH);
    }

    @Test
    void shouldRejectABatchOverMaxMessageBytes() {
        byte[] b = TestBatches.batch("a", 10, 100, Compression.NONE);
        assertThatThrownBy(() -> BatchValidator.validate(ByteBuffer.wrap(b), b.length - 1, TP))
                .isInstanceOf(RequestException.class)
                .hasMessageContaining("max.message.bytes (" + (b.length - 1) + ")")
                .satisfies(e -> assertThat(((RequestException) e).code()).isEqualTo(ErrorCode.BATCH_TOO_LARGE));
        assertThat(codeOf(b, b.length)).isEqualTo(ErrorCode.NONE);
    }

    @Test
    void shouldRejectInconsistentOffsetDeltas() {
        byte[] b = TestBatches.batch("a", 3);
        // lastOffsetDelta below recordCount - 1; header fields outside the CRC are not enough to
        // hide it because lastOffsetDelta is inside the CRC: fix the CRC so only the delta is wrong.
        ByteBuffer buf = ByteBuffer.wrap(b);
        buf.putInt(RecordBatchFormat.LAST_OFFSET_DELTA_OFFSET, 0);
        io.tributary.record.RecordBatch batch = io.tributary.record.RecordBatch.wrap(buf);
        buf.putInt(RecordBatchFormat.CRC_OFFSET, (int) batch.computeChecksum());
        assertThat(codeOf(b, 1 << 20)).isEqualTo(ErrorCode.CORRUPT_BATCH);
    }

    private static byte[] idempotent(long pid, int epoch, int seq, int records) {
        io.tributary.record.RecordBatchBuilder b = new io.tributary.record.RecordBatchBuilder(Compression.NONE,
                Integer.MAX_VALUE);
        b.producer(pid, (short) epoch, seq);
        for (int i = 0; i < records; i++) {
            b.append(1000, null, ByteBuffer.wrap(new byte[] {(byte) i}));
        }
        ByteBuffer buf = b.build().buffer();
        byte[] out = new byte[buf.remaining()];
        buf.duplicate().get(out);
        return out;
    }

    @Test
    void shouldAcceptConsecutiveBatchesOfOneIdempotentProducer() {
        byte[] two = TestBatches.concat(idempotent(7, 1, 10, 3), idempotent(7, 1, 13, 2));
        assertThat(BatchValidator.validate(ByteBuffer.wrap(two), 1 << 20, TP).records()).isEqualTo(5);
        byte[] wrapping = TestBatches.concat(idempotent(7, 1, Integer.MAX_VALUE - 1, 2), idempotent(7, 1, 0, 1));
        assertThat(BatchValidator.validate(ByteBuffer.wrap(wrapping), 1 << 20, TP).batches()).isEqualTo(2);
    }

    @Test
    void shouldRejectMixedProducersAndSequenceGapsInOneEntry() {
        assertThat(codeOf(TestBatches.concat(idempotent(7, 1, 0, 3), idempotent(8, 1, 3, 1)), 1 << 20))
                .isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(codeOf(TestBatches.concat(idempotent(7, 1, 0, 3), idempotent(7, 2, 3, 1)), 1 << 20))
                .isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(codeOf(TestBatches.concat(idempotent(7, 1, 0, 3), idempotent(7, 1, 4, 1)), 1 << 20))
                .isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(codeOf(TestBatches.concat(idempotent(7, 1, 0, 3), TestBatches.batch("plain", 1)), 1 << 20))
                .isEqualTo(ErrorCode.INVALID_REQUEST);
    }
}
