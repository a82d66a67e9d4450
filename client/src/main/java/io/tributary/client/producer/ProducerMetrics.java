package io.tributary.client.producer;

/**
 * Counters of a producer since it was created ({@link Producer#metrics()}).
 *
 * <p>Thread-safety: immutable snapshot.
 *
 * @param recordsSent     records acknowledged
 * @param bytesSent       bytes of acknowledged batches as sent (after compression, batch headers included)
 * @param recordErrors    records whose send failed
 * @param batchesSent     batches acknowledged
 * @param retries         batch sends that were retries
 * @param requestsSent    produce requests sent
 * @param bufferedBytes   bytes of records held now (buffered or in flight)
 * @param epochBumps      times the producer bumped its epoch to reset its sequences
 */
public record ProducerMetrics(long recordsSent, long bytesSent, long recordErrors, long batchesSent, long retries,
                              long requestsSent, long bufferedBytes, long epochBumps) {
}
