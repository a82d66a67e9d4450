package io.tributary.broker.internal;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import io.tributary.replication.PartitionReplica;
import io.tributary.replication.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collection;
import java.util.function.Supplier;

/**
 * This broker's Prometheus metrics, in a registry of its own (several brokers may share a JVM in
 * tests). Request counters and latency histograms are updated by the services; partition gauges
 * are computed at scrape time from the replicas hosted here.
 *
 * <p>Thread-safety: thread-safe (Prometheus metrics are).
 */
public final class BrokerMetrics {
    private static final Logger LOG = LoggerFactory.getLogger(BrokerMetrics.class);

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter requests;
    private final Counter bytes;
    private final Histogram latency;
    private final Counter errors;
    private final Counter groupRebalances;
    private final Counter partitionMoves;
    private final Counter offsetCommits;
    private final Counter groupsExpired;
    private final Counter coordinatorLoads;
    private final Histogram coordinatorLoadTime;
    private volatile Supplier<GroupCounts> groupCounts = () -> GroupCounts.NONE;

    /**
     * Groups and members of the groups this broker coordinates now, by state: groups
     * {@code empty|stable|reconciling} (group.proto's states), members {@code stable} (nothing to
     * give up, has its whole target) or {@code reconciling}.
     */
    public record GroupCounts(java.util.Map<String, Integer> groups, java.util.Map<String, Integer> members) {
        public static final GroupCounts NONE = new GroupCounts(java.util.Map.of(), java.util.Map.of());
    }

    public BrokerMetrics(int nodeId, Supplier<Collection<PartitionReplica>> replicas) {
        requests = Counter.builder().name("tributary_requests_total")
                .help("gRPC requests served, by RPC").labelNames("rpc").register(registry);
        bytes = Counter.builder().name("tributary_record_bytes_total")
                .help("Record batch bytes produced (in) and fetched or pushed (out)").labelNames("direction")
                .register(registry);
        errors = Counter.builder().name("tributary_request_errors_total")
                .help("Errors answered, by RPC and error code").labelNames("rpc", "code").register(registry);
        latency = Histogram.builder().name("tributary_request_latency_seconds")
                .help("Time from receiving a request to answering it, by RPC").unit(Unit.SECONDS)
                .classicUpperBounds(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
                .labelNames("rpc").register(registry);
        GaugeWithCallback.builder().name("tributary_partitions_led")
                .help("Partitions this broker leads")
                .callback(cb -> cb.call(count(replicas.get(), true, false))).register(registry);
        GaugeWithCallback.builder().name("tributary_partitions_hosted")
                .help("Partition replicas this broker hosts")
                .callback(cb -> cb.call(safe(() -> replicas.get().size()))).register(registry);
        GaugeWithCallback.builder().name("tributary_under_replicated_partitions")
                .help("Partitions led here whose in-sync replicas are fewer than their replicas")
                .callback(cb -> cb.call(count(replicas.get(), true, true))).register(registry);
        GaugeWithCallback.builder().name("tributary_partition_raft_term")
                .help("Raft term (leader epoch) of each partition replica hosted here")
                .labelNames("topic", "partition")
                .callback(cb -> each(replicas.get(), (tp, r) -> cb.call(r.leaderEpoch(), tp.topic(),
                        Integer.toString(tp.partition())))).register(registry);
        GaugeWithCallback.builder().name("tributary_partition_commit_index")
                .help("Raft commit index of each partition replica hosted here")
                .labelNames("topic", "partition")
                .callback(cb -> each(replicas.get(), (tp, r) -> cb.call(r.commitIndex(), tp.topic(),
                        Integer.toString(tp.partition())))).register(registry);
        GaugeWithCallback.builder().name("tributary_partition_log_size_bytes")
                .help("Bytes of each partition replica's log on disk").unit(Unit.BYTES)
                .labelNames("topic", "partition")
                .callback(cb -> each(replicas.get(), (tp, r) -> cb.call(r.sizeInBytes(), tp.topic(),
                        Integer.toString(tp.partition())))).register(registry);
        GaugeWithCallback.builder().name("tributary_partition_high_watermark")
                .help("High watermark (end of committed records) of each partition replica hosted here")
                .labelNames("topic", "partition")
                .callback(cb -> each(replicas.get(), (tp, r) -> cb.call(r.highWatermark(), tp.topic(),
                        Integer.toString(tp.partition())))).register(registry);
        GaugeWithCallback.builder().name("tributary_partition_is_leader")
                .help("1 when this broker leads the partition, else 0")
                .labelNames("topic", "partition")
                .callback(cb -> each(replicas.get(), (tp, r) -> cb.call(r.isLeader() ? 1 : 0, tp.topic(),
                        Integer.toString(tp.partition())))).register(registry);
        groupRebalances = Counter.builder().name("tributary_group_rebalances_total")
                .help("Times a group coordinated here recomputed its target assignment (a member joined, left or"
                        + " changed its subscription, or a subscribed topic changed)").register(registry);
        partitionMoves = Counter.builder().name("tributary_group_partition_moves_total")
                .help("Partitions a member was asked to give up so that another member can have them")
                .register(registry);
        offsetCommits = Counter.builder().name("tributary_group_offset_commits_total")
                .help("Committed offsets (one per partition) written, by result")
                .labelNames("result").register(registry);
        groupsExpired = Counter.builder().name("tributary_group_expired_total")
                .help("Groups deleted with their offsets after group.offsets.retention.ms without members or commits")
                .register(registry);
        coordinatorLoads = Counter.builder().name("tributary_group_coordinator_loads_total")
                .help("Loads of a __consumer_offsets partition when this broker became its coordinator, by result")
                .labelNames("result").register(registry);
        coordinatorLoadTime = Histogram.builder().name("tributary_group_coordinator_load_seconds")
                .help("Time from becoming a __consumer_offsets partition's leader to serving its groups")
                .unit(Unit.SECONDS)
                .classicUpperBounds(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
                .register(registry);
        GaugeWithCallback.builder().name("tributary_groups")
                .help("Consumer groups coordinated by this broker, by state").labelNames("state")
                .callback(cb -> counts(true).forEach((state, n) -> cb.call(n, state))).register(registry);
        GaugeWithCallback.builder().name("tributary_group_members")
                .help("Members of the groups coordinated by this broker, by state (stable, reconciling)")
                .labelNames("state")
                .callback(cb -> counts(false).forEach((state, n) -> cb.call(n, state))).register(registry);
        io.prometheus.metrics.core.metrics.Info.builder().name("tributary_broker_info").help("This broker")
                .labelNames("node_id").register(registry).setLabelValues(Integer.toString(nodeId));
    }

    /** Where the group gauges read their counts from (the group coordinator, once it exists). */
    public void groupCounts(Supplier<GroupCounts> counts) {
        groupCounts = counts;
    }

    private java.util.Map<String, Integer> counts(boolean groups) {
        try {
            GroupCounts c = groupCounts.get();
            return groups ? c.groups() : c.members();
        } catch (RuntimeException e) {
            LOG.debug("skipping group gauges: {}", e.toString());
            return java.util.Map.of();
        }
    }

    /** A group's target assignment was recomputed. */
    public void groupRebalance() {
        groupRebalances.inc();
    }

    /** {@code n} partitions were asked back from their members. */
    public void partitionMoves(int n) {
        if (n > 0) {
            partitionMoves.inc(n);
        }
    }

    /** Offsets of {@code accepted} partitions were committed and {@code refused} were not. */
    public void offsetCommits(int accepted, int refused) {
        if (accepted > 0) {
            offsetCommits.labelValues("accepted").inc(accepted);
        }
        if (refused > 0) {
            offsetCommits.labelValues("refused").inc(refused);
        }
    }

    /** {@code n} groups were deleted by offsets retention. */
    public void groupsExpired(int n) {
        if (n > 0) {
            groupsExpired.inc(n);
        }
    }

    /** A coordinator load ended after {@code nanos}: {@code ok}, or failed (it is retried). */
    public void coordinatorLoad(long nanos, boolean ok) {
        coordinatorLoads.labelValues(ok ? "ok" : "failed").inc();
        if (ok) {
            coordinatorLoadTime.observe(nanos / 1e9);
        }
    }

    public PrometheusRegistry registry() {
        return registry;
    }

    /** Records one answered request of {@code rpc} that started at {@code startNanos}. */
    public void request(String rpc, long startNanos) {
        requests.labelValues(rpc).inc();
        latency.labelValues(rpc).observe((System.nanoTime() - startNanos) / 1e9);
    }

    public void error(String rpc, String code) {
        errors.labelValues(rpc, code).inc();
    }

    public void bytesIn(long n) {
        if (n > 0) {
            bytes.labelValues("in").inc(n);
        }
    }

    public void bytesOut(long n) {
        if (n > 0) {
            bytes.labelValues("out").inc(n);
        }
    }

    private interface ReplicaConsumer {
        void accept(TopicPartition tp, PartitionReplica r);
    }

    private static void each(Collection<PartitionReplica> replicas, ReplicaConsumer c) {
        for (PartitionReplica r : replicas) {
            try {
                c.accept(r.topicPartition(), r);
            } catch (RuntimeException e) {
                // A replica being closed while scraped: skip it this time.
                LOG.debug("skipping {} in metrics: {}", r.topicPartition(), e.toString());
            }
        }
    }

    private static double count(Collection<PartitionReplica> replicas, boolean led, boolean underReplicated) {
        int n = 0;
        for (PartitionReplica r : replicas) {
            try {
                if (led && !r.isLeader()) {
                    continue;
                }
                if (underReplicated && r.inSyncReplicas().size() >= r.replicas().size()) {
                    continue;
                }
                n++;
            } catch (RuntimeException e) {
                LOG.debug("skipping {} in metrics: {}", r.topicPartition(), e.toString());
            }
        }
        return n;
    }

    private static double safe(Supplier<Integer> s) {
        try {
            return s.get();
        } catch (RuntimeException e) {
            return 0;
        }
    }
}
