package io.tributary.broker.internal;

import io.tributary.record.Compression;
import io.tributary.record.RecordBatch;
import io.tributary.record.RecordBatchBuilder;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** Record batches for tests, built with the real record format. */
public final class TestBatches {
    private TestBatches() {
    }

    /** One uncompressed batch of {@code count} records "prefix-i", base offset 0. */
    public static byte[] batch(String prefix, int count) {
        return batch(prefix, count, 0, Compression.NONE);
    }

    public static byte[] batch(String prefix, int count, int valuePadding, Compression compression) {
        RecordBatchBuilder b = new RecordBatchBuilder(compression, Integer.MAX_VALUE);
        long now = System.currentTimeMillis();
        for (int i = 0; i < count; i++) {
            String v = prefix + "-" + i + "x".repeat(valuePadding);
            b.append(now, ByteBuffer.wrap(("k" + i).getBytes(StandardCharsets.UTF_8)),
                    ByteBuffer.wrap(v.getBytes(StandardCharsets.UTF_8)));
        }
        RecordBatch batch = b.build();
        ByteBuffer buf = batch.buffer();
        byte[] out = new byte[buf.remaining()];
        buf.get(out);
        return out;
    }

    public static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
