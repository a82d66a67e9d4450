package io.tributary.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Counts records, bytes and latencies of a perf run: a progress line each second on stderr
 * (records/s, MB/s and latency over that second) and a final summary (records/s, MB/s, latency
 * p50/p95/p99/p99.9/max over the whole run), as text or JSON. MB is 10^6 bytes; latencies are
 * recorded in microseconds in an HdrHistogram (3 significant digits) and printed in ms.
 *
 * <p>Thread-safety: {@link #record} and {@link #error} from any thread; the rest from the
 * command's thread and its one reporter thread.
 */
final class PerfStats implements AutoCloseable {

    private final String what;
    private final Recorder recorder = new Recorder(3);
    private final Histogram total = new Histogram(3);
    private final LongAdder records = new LongAdder();
    private final LongAdder bytes = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final AtomicReference<Throwable> firstError = new AtomicReference<>();
    private volatile long startNanos = System.nanoTime();
    private volatile long endNanos;
    private ScheduledExecutorService reporter;
    private long windowNanos = startNanos;
    private long windowRecords;
    private long windowBytes;

    PerfStats(String what) {
        this.what = what;
    }

    /**
     * Starts the clock (setup such as connecting and metadata is not counted) and prints a
     * progress line to {@code err} every second.
     */
    synchronized PerfStats startProgress(PrintWriter err) {
        startNanos = System.nanoTime();
        windowNanos = startNanos;
        reporter = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tributary-perf-progress");
            t.setDaemon(true);
            return t;
        });
        reporter.scheduleAtFixedRate(() -> {
            err.println(progressLine());
            err.flush();
        }, 1, 1, TimeUnit.SECONDS);
        return this;
    }

    /** One record of {@code size} bytes done, {@code latencyNanos} after it started (negative: no latency). */
    void record(long latencyNanos, long size) {
        if (latencyNanos >= 0) {
            recorder.recordValue(Math.max(1, latencyNanos / 1_000));
        }
        records.increment();
        bytes.add(size);
    }

    /** A latency sample that is not a record (e.g. one poll). */
    void latency(long latencyNanos) {
        recorder.recordValue(Math.max(1, latencyNanos / 1_000));
    }

    void error(Throwable e) {
        errors.increment();
        firstError.compareAndSet(null, e);
    }

    long records() {
        return records.sum();
    }

    long errors() {
        return errors.sum();
    }

    Throwable firstError() {
        return firstError.get();
    }

    /** The latency (and progress window) since the previous line. */
    synchronized String progressLine() {
        Histogram window = recorder.getIntervalHistogram();
        total.add(window);
        long now = System.nanoTime();
        long r = records.sum();
        long b = bytes.sum();
        double secs = Math.max(1e-9, (now - windowNanos) / 1e9);
        String line = String.format(Locale.ROOT, "%s: %d records, %.1f records/s, %.2f MB/s%s%s", what, r,
                (r - windowRecords) / secs, (b - windowBytes) / secs / 1e6, latencyText(window, false),
                errors.sum() == 0 ? "" : ", " + errors.sum() + " errors");
        windowNanos = now;
        windowRecords = r;
        windowBytes = b;
        return line;
    }

    /** Stops the progress lines and the clock. */
    @Override
    public synchronized void close() {
        if (reporter != null) {
            reporter.shutdownNow();
            reporter = null;
        }
        if (endNanos == 0) {
            endNanos = System.nanoTime();
            total.add(recorder.getIntervalHistogram());
        }
    }

    /** The whole run, as a map (the JSON form). */
    synchronized Map<String, Object> summary() {
        close();
        double secs = Math.max(1e-9, (endNanos - startNanos) / 1e9);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("test", what);
        m.put("records", records.sum());
        m.put("bytes", bytes.sum());
        m.put("errors", errors.sum());
        m.put("seconds", round(secs, 3));
        m.put("records_per_sec", round(records.sum() / secs, 1));
        m.put("mb_per_sec", round(bytes.sum() / secs / 1e6, 3));
        Map<String, Object> lat = new LinkedHashMap<>();
        if (total.getTotalCount() > 0) {
            lat.put("count", total.getTotalCount());
            lat.put("avg", round(total.getMean() / 1e3, 3));
            lat.put("p50", ms(total.getValueAtPercentile(50)));
            lat.put("p95", ms(total.getValueAtPercentile(95)));
            lat.put("p99", ms(total.getValueAtPercentile(99)));
            lat.put("p99_9", ms(total.getValueAtPercentile(99.9)));
            lat.put("max", ms(total.getMaxValue()));
        }
        m.put("latency_ms", lat);
        return m;
    }

    /** The summary as text (one line) or JSON (one object). */
    String summaryText(boolean json) {
        Map<String, Object> s = summary();
        if (json) {
            try {
                return new ObjectMapper().disable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(s);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
        return String.format(Locale.ROOT, "%s: %d records in %.2f s, %.1f records/s, %.2f MB/s%s%s", what,
                records.sum(), (double) s.get("seconds"), (double) s.get("records_per_sec"),
                (double) s.get("mb_per_sec"), latencyText(total, true),
                errors.sum() == 0 ? "" : ", " + errors.sum() + " errors");
    }

    private static String latencyText(Histogram h, boolean full) {
        if (h.getTotalCount() == 0) {
            return "";
        }
        if (full) {
            return String.format(Locale.ROOT, ", latency ms avg %.2f p50 %.2f p95 %.2f p99 %.2f p99.9 %.2f max %.2f",
                    h.getMean() / 1e3, ms(h.getValueAtPercentile(50)), ms(h.getValueAtPercentile(95)),
                    ms(h.getValueAtPercentile(99)), ms(h.getValueAtPercentile(99.9)), ms(h.getMaxValue()));
        }
        return String.format(Locale.ROOT, ", latency ms avg %.2f p50 %.2f p99 %.2f max %.2f", h.getMean() / 1e3,
                ms(h.getValueAtPercentile(50)), ms(h.getValueAtPercentile(99)), ms(h.getMaxValue()));
    }

    private static double ms(long micros) {
        return round(micros / 1e3, 3);
    }

    private static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }
}
