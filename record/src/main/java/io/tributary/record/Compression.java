package io.tributary.record;

/**
 * The compression codec of a record batch, stored in bits 0-2 of the batch attributes
 * ({@link RecordBatchFormat#COMPRESSION_CODEC_MASK}). The ids are Kafka's and never change.
 *
 * <p>Thread-safety: immutable enum, safe for any use.
 */
public enum Compression {
    /** Records stored as they are. */
    NONE(0),
    /** JDK gzip (RFC 1952) stream. */
    GZIP(1),
    /** snappy-java's framed stream ({@code SnappyOutputStream}), as Kafka writes it. */
    SNAPPY(2),
    /** The LZ4 frame format (independent 64 KiB blocks), as Kafka writes it. */
    LZ4(3),
    /** A standard zstd frame. */
    ZSTD(4);

    private static final Compression[] BY_ID = values();

    private final int id;

    Compression(int id) {
        this.id = id;
    }

    /** The codec id stored in the attributes (0..4). */
    public int id() {
        return id;
    }

    /**
     * The codec with the given attribute id.
     *
     * @throws IllegalArgumentException naming the id if it is not 0..4
     */
    public static Compression forId(int id) {
        if (id < 0 || id >= BY_ID.length) {
            throw new IllegalArgumentException(
                    "Unknown compression codec id " + id + " (known: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd)");
        }
        return BY_ID[id];
    }
}
