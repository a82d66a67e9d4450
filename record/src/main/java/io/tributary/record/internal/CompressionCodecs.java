package io.tributary.record.internal;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import io.tributary.record.Compression;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4FrameInputStream;
import net.jpountz.lz4.LZ4FrameOutputStream;
import net.jpountz.xxhash.XXHashFactory;
import org.xerial.snappy.SnappyError;
import org.xerial.snappy.SnappyInputStream;
import org.xerial.snappy.SnappyOutputStream;

/**
 * The stream framings Kafka uses for each codec, so batches interoperate with Kafka clients and
 * brokers in both directions:
 * <ul>
 *   <li>gzip: JDK {@link GZIPOutputStream} (RFC 1952), 8 KiB deflater buffer like Kafka.</li>
 *   <li>snappy: snappy-java {@link SnappyOutputStream} (its "xerial" block framing, 32 KiB
 *       blocks), not the snappy framing format.</li>
 *   <li>lz4: the LZ4 frame format (magic 0x184D2204) with independent 64 KiB blocks and no
 *       block or content checksum, what Kafka's {@code Lz4BlockOutputStream} writes.</li>
 *   <li>zstd: one standard zstd frame (level 3, Kafka's default).</li>
 * </ul>
 *
 * <p>Design note: a batch is compressed once from a complete records buffer and decompressed
 * completely into a fresh buffer; nothing streams record by record, so each codec sees large
 * writes and reads and no intermediate buffering is needed.
 *
 * <p>Not API. Thread-safety: stateless; the codec factories it uses are thread-safe.
 */
public final class CompressionCodecs {

    private static final int GZIP_BUFFER_BYTES = 8 * 1024;
    private static final int ZSTD_LEVEL = 3;

    private CompressionCodecs() {
    }

    /**
     * Compresses the remaining bytes of {@code records} (consuming them) onto {@code out}.
     *
     * @throws IllegalArgumentException for {@link Compression#NONE}
     */
    public static void compress(Compression compression, ByteBuffer records, ByteBufferOutputStream out)
            throws IOException {
        try (OutputStream stream = wrapForOutput(compression, out)) {
            if (records.hasArray()) {
                stream.write(records.array(), records.arrayOffset() + records.position(), records.remaining());
                records.position(records.limit());
            } else {
                byte[] chunk = new byte[Math.min(records.remaining(), 64 * 1024)];
                while (records.hasRemaining()) {
                    int n = Math.min(chunk.length, records.remaining());
                    records.get(chunk, 0, n);
                    stream.write(chunk, 0, n);
                }
            }
        }
    }

    /**
     * Decompresses all remaining bytes of {@code compressed} (consuming them) into a fresh heap
     * buffer positioned at 0 with the uncompressed size as limit.
     *
     * @throws IOException (or a codec's RuntimeException) if the stream is malformed
     */
    public static ByteBuffer decompress(Compression compression, ByteBuffer compressed) throws IOException {
        try {
            return decompressStream(compression, compressed);
        } catch (SnappyError e) {
            // snappy-java reports corrupt input (e.g. an impossible chunk size) as an Error.
            throw new IOException("corrupt snappy stream: " + e.getMessage(), e);
        }
    }

    private static ByteBuffer decompressStream(Compression compression, ByteBuffer compressed) throws IOException {
        int sizeHint = Math.max(256, (int) Math.min((long) compressed.remaining() * 4, 1 << 24));
        try (InputStream in = wrapForInput(compression, new ByteBufferInputStream(compressed))) {
            byte[] out = new byte[sizeHint];
            int size = 0;
            while (true) {
                if (size == out.length) {
                    if (out.length >= Integer.MAX_VALUE - 8) {
                        throw new IOException("decompressed records exceed 2 GiB");
                    }
                    byte[] grown = new byte[(int) Math.min((long) out.length * 2, Integer.MAX_VALUE - 8)];
                    System.arraycopy(out, 0, grown, 0, size);
                    out = grown;
                }
                int n = in.read(out, size, out.length - size);
                if (n < 0) {
                    break;
                }
                size += n;
            }
            return ByteBuffer.wrap(out, 0, size).slice();
        }
    }

    static OutputStream wrapForOutput(Compression compression, OutputStream out) throws IOException {
        switch (compression) {
            case GZIP:
                return new GZIPOutputStream(out, GZIP_BUFFER_BYTES);
            case SNAPPY:
                return new SnappyOutputStream(out);
            case LZ4:
                return new LZ4FrameOutputStream(out, LZ4FrameOutputStream.BLOCKSIZE.SIZE_64KB, -1L,
                        LZ4Factory.fastestInstance().fastCompressor(),
                        XXHashFactory.fastestInstance().hash32(),
                        LZ4FrameOutputStream.FLG.Bits.BLOCK_INDEPENDENCE);
            case ZSTD:
                return new ZstdOutputStreamNoFinalizer(out, ZSTD_LEVEL);
            default:
                throw new IllegalArgumentException("no stream for compression " + compression);
        }
    }

    static InputStream wrapForInput(Compression compression, InputStream in) throws IOException {
        switch (compression) {
            case GZIP:
                return new GZIPInputStream(in, GZIP_BUFFER_BYTES);
            case SNAPPY:
                return new SnappyInputStream(in);
            case LZ4:
                return new LZ4FrameInputStream(in);
            case ZSTD:
                return new ZstdInputStreamNoFinalizer(in);
            default:
                throw new IllegalArgumentException("no stream for compression " + compression);
        }
    }
}
