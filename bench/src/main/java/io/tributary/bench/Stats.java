package io.tributary.bench;

import java.util.Arrays;
import java.util.List;

/**
 * Order statistics over a handful of repetitions: the median is what the tables report, the
 * range shows how noisy the machine was.
 *
 * <p>Thread-safety: stateless.
 */
final class Stats {

    private Stats() {
    }

    static double median(List<Double> values) {
        double[] v = sorted(values);
        if (v.length == 0) {
            return Double.NaN;
        }
        int mid = v.length / 2;
        return v.length % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
    }

    static double min(List<Double> values) {
        double[] v = sorted(values);
        return v.length == 0 ? Double.NaN : v[0];
    }

    static double max(List<Double> values) {
        double[] v = sorted(values);
        return v.length == 0 ? Double.NaN : v[v.length - 1];
    }

    private static double[] sorted(List<Double> values) {
        double[] v = values.stream().filter(d -> !Double.isNaN(d)).mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(v);
        return v;
    }
}
