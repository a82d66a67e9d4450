package io.tributary.record;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import io.tributary.record.internal.Varints;

/**
 * A {@link Record} read from a records section: positions into a read-only buffer whose limit
 * nobody changes, so {@link #key()}/{@link #value()} slices need no copying.
 *
 * <p>Thread-safety: immutable; see {@link Record}.
 */
final class RecordView implements Record {

    private final ByteBuffer records;
    private final long offset;
    private final long timestamp;
    private final int sequence;
    private final int keyPosition;
    private final int keySize;
    private final int valuePosition;
    private final int valueSize;
    private final int headersPosition;
    private final int headerCount;
    private final int sizeInBytes;

    RecordView(ByteBuffer records, long offset, long timestamp, int sequence, int keyPosition, int keySize,
               int valuePosition, int valueSize, int headersPosition, int headerCount, int sizeInBytes) {
        this.records = records;
        this.offset = offset;
        this.timestamp = timestamp;
        this.sequence = sequence;
        this.keyPosition = keyPosition;
        this.keySize = keySize;
        this.valuePosition = valuePosition;
        this.valueSize = valueSize;
        this.headersPosition = headersPosition;
        this.headerCount = headerCount;
        this.sizeInBytes = sizeInBytes;
    }

    @Override
    public long offset() {
        return offset;
    }

    @Override
    public long timestamp() {
        return timestamp;
    }

    @Override
    public int sequence() {
        return sequence;
    }

    @Override
    public ByteBuffer key() {
        return keySize < 0 ? null : records.slice(keyPosition, keySize);
    }

    @Override
    public ByteBuffer value() {
        return valueSize < 0 ? null : records.slice(valuePosition, valueSize);
    }

    @Override
    public boolean hasKey() {
        return keySize >= 0;
    }

    @Override
    public boolean hasValue() {
        return valueSize >= 0;
    }

    @Override
    public int keySize() {
        return keySize;
    }

    @Override
    public int valueSize() {
        return valueSize;
    }

    @Override
    public List<Header> headers() {
        if (headerCount == 0) {
            return Collections.emptyList();
        }
        // Framing was checked when the record was read, so this cannot run off the record.
        ByteBuffer in = records.duplicate();
        in.position(headersPosition);
        List<Header> headers = new ArrayList<>(headerCount);
        for (int i = 0; i < headerCount; i++) {
            int keyLength = Varints.readVarint(in);
            byte[] key = new byte[keyLength];
            in.get(key);
            int valueLength = Varints.readVarint(in);
            byte[] value = null;
            if (valueLength >= 0) {
                value = new byte[valueLength];
                in.get(value);
            }
            headers.add(new Header(new String(key, StandardCharsets.UTF_8), value));
        }
        return headers;
    }

    @Override
    public int sizeInBytes() {
        return sizeInBytes;
    }

    @Override
    public String toString() {
        return "Record(offset=" + offset + ", timestamp=" + timestamp + ", key=" + keySize + " bytes, value="
                + valueSize + " bytes, headers=" + headerCount + ")";
    }
}
