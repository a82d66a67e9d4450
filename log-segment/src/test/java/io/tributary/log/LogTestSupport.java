package io.tributary.log;

import io.tributary.record.Compression;
import io.tributary.record.RecordBatch;
import io.tributary.record.RecordBatchBuilder;
import io.tributary.record.RecordBatches;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Builds batches and reads records back, for the log tests. */
final class LogTestSupport {
    private LogTestSupport() {
    }

    /** A batch of {@code count} records with values "v&lt;i&gt;" (padded to {@code valueBytes}) and timestamp {@code ts}. */
    static ByteBuffer batch(int count, int valueBytes, long ts, String prefix) {
        RecordBatchBuilder b = new RecordBatchBuilder(Compression.NONE, Integer.MAX_VALUE);
        for (int i = 0; i < count; i++) {
            b.append(ts, ByteBuffer.wrap(("k" + i).getBytes(StandardCharsets.UTF_8)),
                    ByteBuffer.wrap(value(prefix + i, valueBytes)));
        }
        return b.build().buffer();
    }

    static byte[] value(String text, int size) {
        byte[] t = text.getBytes(StandardCharsets.UTF_8);
        byte[] v = new byte[Math.max(size, t.length)];
        System.arraycopy(t, 0, v, 0, t.length);
        return v;
    }

    /** The values (up to the first zero byte) of every record in the buffer, with their offsets. */
    static List<String> offsetsAndValues(ByteBuffer buf) {
        List<String> out = new ArrayList<>();
        for (RecordBatch batch : RecordBatches.iterate(buf.duplicate())) {
            batch.records().forEachRemaining(r -> {
                ByteBuffer v = r.value();
                byte[] bytes = new byte[v.remaining()];
                v.duplicate().get(bytes);
                int len = 0;
                while (len < bytes.length && bytes[len] != 0) {
                    len++;
                }
                out.add(r.offset() + ":" + new String(bytes, 0, len, StandardCharsets.UTF_8));
            });
        }
        return out;
    }
}
