package io.tributary.replication.controller;

import io.tributary.log.LogConfig;
import io.tributary.replication.BrokerInfo;
import io.tributary.replication.ReplicationException;
import io.tributary.replication.ClusterMetadata;
import io.tributary.replication.PartitionInfo;
import io.tributary.replication.TopicInfo;
import io.tributary.replication.TopicPartition;
import io.tributary.replication.partition.LocalPartitions;
import io.tributary.replication.partition.ReplicaReport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Makes this broker's partition replicas match the committed assignments. Runs on every broker
 * (not only the controller), after each metadata change and periodically, so a broker that was
 * down, or missed an update, converges by itself:
 * <ul>
 * <li>a partition assigned here and not hosted (or hosted for an older topic id, or with other
 *     replicas or configs than last ensured) gets {@link LocalPartitions#ensureReplica} — creation,
 *     re-opening after a restart (Raft catches it up), and topic config changes;</li>
 * <li>a hosted partition no longer assigned here (topic deleted, replica moved away) gets
 *     {@link LocalPartitions#removeReplica} with its data deleted;</li>
 * <li>for a partition led here whose Raft group members differ from the committed replicas (the
 *     controller moved a replica off a dead broker), the leader performs the membership change
 *     ({@link LocalPartitions#changeReplicas}) once every new member is alive; being the leader
 *     proves the group still has a majority;</li>
 * <li>every leader-balance interval, a partition led here whose preferred replica (the first
 *     assigned replica that is alive and in sync) is another broker hands leadership to it, so
 *     leaders spread as evenly as the placement spread preferred leaders.</li>
 * </ul>
 * Creation and removal run on the calling thread (they are quick local group operations);
 * membership changes and leadership transfers are asynchronous, at most one in flight per
 * partition. A failure is logged and retried at a later pass. Nothing is removed before the first metadata from the controller
 * has arrived, nor on metadata that does not list this broker.
 *
 * <p>Thread-safety: {@link #reconcile} is called from one thread at a time (the reconciler
 * worker); completions of operations may arrive on any thread.
 */
public final class PartitionReconciler {

    private static final Logger LOG = LoggerFactory.getLogger(PartitionReconciler.class);

    /** What a replica was (or must be) ensured with; BrokerInfo liveness is left out on purpose. */
    record Desired(String topicId, List<Integer> replicaIds, List<String> raftAddresses, Map<String, String> configs) {
    }

    /** What one pass decided; pure data, for tests and logs. */
    public record Plan(List<TopicPartition> removals, List<TopicPartition> ensures,
                       List<TopicPartition> membershipChanges, Map<TopicPartition, Integer> transfers) {
        public boolean isEmpty() {
            return removals.isEmpty() && ensures.isEmpty() && membershipChanges.isEmpty() && transfers.isEmpty();
        }
    }

    /** How long an asynchronous operation (membership change, leadership transfer) may take before it is retried. */
    static final long OPERATION_TIMEOUT_MS = 60_000;

    private final int brokerId;
    private final LocalPartitions host;
    private final long leaderBalanceIntervalNanos;
    private final LongSupplier nanoClock;
    private final Map<TopicPartition, Desired> ensured = new ConcurrentHashMap<>();
    private final Set<TopicPartition> inFlight = ConcurrentHashMap.newKeySet();
    private long lastBalanceNanos;

    /**
     * @param brokerId this broker
     * @param host this broker's replicas
     * @param leaderBalanceIntervalMs how often leadership goes back to preferred replicas (&lt;= 0: never)
     * @param nanoClock monotonic clock
     */
    public PartitionReconciler(int brokerId, LocalPartitions host, long leaderBalanceIntervalMs,
                               LongSupplier nanoClock) {
        this.brokerId = brokerId;
        this.host = Objects.requireNonNull(host, "host");
        this.leaderBalanceIntervalNanos = leaderBalanceIntervalMs * 1_000_000L;
        this.nanoClock = nanoClock;
        this.lastBalanceNanos = nanoClock.getAsLong();
    }

    /**
     * One pass over {@code md}, the metadata from the controller.
     *
     * @param fromController whether {@code md} came from the controller (only then is anything removed)
     * @return what this pass issued
     */
    public Plan reconcile(ClusterMetadata md, boolean fromController) {
        long now = nanoClock.getAsLong();
        boolean balanceDue = leaderBalanceIntervalNanos > 0 && now - lastBalanceNanos >= leaderBalanceIntervalNanos;
        if (balanceDue) {
            lastBalanceNanos = now;
        }
        Map<TopicPartition, ReplicaReport> status = host.report();
        Map<TopicPartition, String> hosted = new HashMap<>();
        for (TopicPartition tp : host.hosted()) {
            ReplicaReport r = status.get(tp);
            hosted.put(tp, r == null ? "" : r.topicId());
        }
        Plan plan = plan(brokerId, md, fromController, hosted, status, Map.copyOf(ensured), Set.copyOf(inFlight),
                balanceDue);
        execute(md, plan);
        return plan;
    }

    /**
     * Decides one pass; pure.
     *
     * @param hosted hosted replicas and their topic ids ("" when unknown)
     * @param status the local replicas' reports
     * @param ensured what each partition was last ensured with
     * @param inFlight partitions with an operation in flight (left alone)
     */
    static Plan plan(int brokerId, ClusterMetadata md, boolean fromController, Map<TopicPartition, String> hosted,
                     Map<TopicPartition, ReplicaReport> status, Map<TopicPartition, Desired> ensured,
                     Set<TopicPartition> inFlight, boolean balanceDue) {
        Map<TopicPartition, Desired> desired = desired(brokerId, md);
        List<TopicPartition> removals = new ArrayList<>();
        List<TopicPartition> ensures = new ArrayList<>();
        List<TopicPartition> memberships = new ArrayList<>();
        Map<TopicPartition, Integer> transfers = new TreeMap<>();
        // Removal deletes data: only on a state from the controller that knows this broker (it
        // registered before any state could assign it a replica), never on an empty or foreign view.
        if (fromController && md.broker(brokerId).isPresent()) {
            for (Map.Entry<TopicPartition, String> h : new TreeMap<>(hosted).entrySet()) {
                Desired d = desired.get(h.getKey());
                if (inFlight.contains(h.getKey())) {
                    continue;
                }
                if (d == null || (!h.getValue().isEmpty() && !h.getValue().equals(d.topicId()))) {
                    removals.add(h.getKey());
                }
            }
        }
        for (Map.Entry<TopicPartition, Desired> e : new TreeMap<>(desired).entrySet()) {
            TopicPartition tp = e.getKey();
            if (inFlight.contains(tp) || removals.contains(tp)) {
                continue;
            }
            if (!hosted.containsKey(tp) || !e.getValue().equals(ensured.get(tp))) {
                ensures.add(tp);
                continue;
            }
            ReplicaReport s = status.get(tp);
            if (s == null || !s.isLeader()) {
                continue;
            }
            List<Integer> assigned = e.getValue().replicaIds();
            if (!new HashSet<>(s.replicas()).equals(new HashSet<>(assigned))) {
                boolean newMembersAlive = assigned.stream().filter(id -> !s.replicas().contains(id))
                        .allMatch(id -> md.broker(id).map(BrokerInfo::alive).orElse(false));
                if (newMembersAlive) {
                    memberships.add(tp);
                }
                continue;
            }
            if (balanceDue) {
                preferredLeader(md, assigned, s).filter(p -> p != brokerId).ifPresent(p -> transfers.put(tp, p));
            }
        }
        return new Plan(removals, ensures, memberships, transfers);
    }

    /**
     * The preferred leader of a partition: the first assigned replica that is alive and in sync
     * (by the leader's own report), if any.
     */
    static java.util.Optional<Integer> preferredLeader(ClusterMetadata md, List<Integer> assigned, ReplicaReport s) {
        for (int id : assigned) {
            boolean self = id == s.leaderId();
            boolean alive = self || md.broker(id).map(BrokerInfo::alive).orElse(false);
            if (alive && (self || s.inSyncReplicas().contains(id))) {
                return java.util.Optional.of(id);
            }
        }
        return java.util.Optional.empty();
    }

    private static Map<TopicPartition, Desired> desired(int brokerId, ClusterMetadata md) {
        Map<TopicPartition, Desired> out = new HashMap<>();
        for (TopicInfo t : md.topics().values()) {
            for (PartitionInfo p : t.partitions()) {
                if (!p.replicas().contains(brokerId)) {
                    continue;
                }
                List<String> addresses = new ArrayList<>();
                for (int id : p.replicas()) {
                    addresses.add(md.broker(id).map(BrokerInfo::raftAddress).orElse(null));
                }
                if (addresses.contains(null)) {
                    LOG.warn("partition {}-{} is assigned to an unregistered broker ({}); skipped", t.name(),
                            p.partition(), p.replicas());
                    continue;
                }
                out.put(new TopicPartition(t.name(), p.partition()),
                        new Desired(t.topicId(), p.replicas(), List.copyOf(addresses), t.configs()));
            }
        }
        return out;
    }

    /** The broker's topic defaults overridden by the topic's own settings. */
    public static LogConfig effectiveConfig(LogConfig defaults, Map<String, String> overrides) {
        if (overrides.isEmpty()) {
            return defaults;
        }
        Map<String, String> merged = new HashMap<>(defaults.toProperties());
        merged.putAll(overrides);
        return LogConfig.fromProperties(merged);
    }

    private void execute(ClusterMetadata md, Plan plan) {
        for (TopicPartition tp : plan.removals()) {
            LOG.info("broker {}: removing replica {} (no longer assigned here); deleting its data", brokerId, tp);
            try {
                host.removeReplica(tp, true);
                ensured.remove(tp);
            } catch (ReplicationException e) {
                LOG.warn("broker {}: could not remove {} (will retry): {}", brokerId, tp, e.toString());
            }
        }
        Map<TopicPartition, Desired> desired = desired(brokerId, md);
        for (TopicPartition tp : plan.ensures()) {
            Desired d = desired.get(tp);
            LOG.debug("broker {}: ensuring replica {} (topic id {}, replicas {}, configs {})", brokerId, tp,
                    d.topicId(), d.replicaIds(), d.configs());
            try {
                // A partition led elsewhere already has its group: this replica joins it (the
                // leader adds it); only a new partition's replicas start as full voters.
                boolean join = md.partition(tp).map(p -> p.leaderId() >= 0 && p.leaderId() != brokerId)
                        .orElse(false);
                host.ensureReplica(tp, d.topicId(), brokers(md, d.replicaIds()), d.configs(), join);
                ensured.put(tp, d);
            } catch (RuntimeException e) {
                ensured.remove(tp);
                LOG.warn("broker {}: could not ensure {} (will retry): {}", brokerId, tp, e.toString());
            }
        }
        for (TopicPartition tp : plan.membershipChanges()) {
            Desired d = desired.get(tp);
            LOG.info("changing the Raft group of {} to replicas {}", tp, d.replicaIds());
            track(tp, host.changeReplicas(tp, brokers(md, d.replicaIds())), () -> { }, "change replicas of");
        }
        plan.transfers().forEach((tp, target) -> {
            LOG.info("transferring leadership of {} to its preferred replica {}", tp, target);
            track(tp, host.transferLeadership(tp, target), () -> { }, "transfer leadership of");
        });
    }

    private static List<BrokerInfo> brokers(ClusterMetadata md, List<Integer> ids) {
        List<BrokerInfo> out = new ArrayList<>(ids.size());
        ids.forEach(id -> out.add(md.broker(id).orElseThrow()));
        return out;
    }

    private void track(TopicPartition tp, CompletableFuture<Void> op, Runnable onSuccess, String what) {
        inFlight.add(tp);
        // A membership change or transfer that never answers must not block the partition for good.
        op.orTimeout(OPERATION_TIMEOUT_MS, java.util.concurrent.TimeUnit.MILLISECONDS).whenComplete((v, e) -> {
            if (e == null) {
                onSuccess.run();
            } else {
                ensured.remove(tp);
                LOG.warn("could not {} {} (will retry): {}", what, tp, e.toString());
            }
            inFlight.remove(tp);
        });
    }

    /** Partitions with an operation in flight (for tests and diagnostics). */
    public Set<TopicPartition> inFlight() {
        return Set.copyOf(inFlight);
    }
}
