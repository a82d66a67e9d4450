package io.tributary.client;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.tributary.proto.v1.FetchPartition;
import io.tributary.proto.v1.FetchRequest;
import io.tributary.proto.v1.FetchServiceGrpc;
import io.tributary.proto.v1.PartitionRecords;
import io.tributary.record.Record;
import io.tributary.record.RecordBatch;
import io.tributary.record.RecordBatches;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Reads a whole partition with the raw Fetch API (so producer tests do not depend on the
 * Consumer): every batch up to the high watermark, from the partition's leader.
 */
public final class RawReader {

    /** A batch and its records, copied. */
    public record ReadBatch(RecordBatch batch, List<Record> records) {
    }

    private RawReader() {
    }

    /** Every batch of the partition, in offset order, fetched from its leader (waits for one). */
    public static List<ReadBatch> readAll(TestBrokers brokers, String topic, int partition) {
        String[] hp = brokers.leaderAddress(topic, partition).split(":");
        ManagedChannel ch = ManagedChannelBuilder.forAddress(hp[0], Integer.parseInt(hp[1])).usePlaintext()
                .maxInboundMessageSize(256 * 1024 * 1024).build();
        try {
            List<ReadBatch> out = new ArrayList<>();
            long offset = 0;
            while (true) {
                PartitionRecords pr = FetchServiceGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS)
                        .fetch(FetchRequest.newBuilder().addPartitions(FetchPartition.newBuilder().setTopic(topic)
                                .setPartition(partition).setFetchOffset(offset)).setMaxWaitMs(0).build())
                        .getPartitions(0);
                if (pr.hasError()) {
                    throw new AssertionError("fetch " + topic + "-" + partition + "@" + offset + ": " + pr.getError());
                }
                if (pr.getRecords().isEmpty()) {
                    if (offset >= pr.getHighWatermark()) {
                        return out;
                    }
                    continue;
                }
                for (RecordBatch b : RecordBatches.iterate(pr.getRecords().asReadOnlyByteBuffer())) {
                    if (b.lastOffset() < offset) {
                        continue;
                    }
                    out.add(new ReadBatch(b, b.recordList()));
                    offset = b.nextOffset();
                }
            }
        } finally {
            ch.shutdownNow();
        }
    }

    /** Every record of the partition, in offset order. */
    public static List<Record> records(TestBrokers brokers, String topic, int partition) {
        List<Record> out = new ArrayList<>();
        for (ReadBatch b : readAll(brokers, topic, partition)) {
            out.addAll(b.records());
        }
        return out;
    }
}
