package io.tributary.replication.metadata;

import io.tributary.proto.internal.v1.PartitionAssignmentRecord;
import io.tributary.proto.internal.v1.PartitionLeadership;
import io.tributary.proto.internal.v1.ReplicaStatusReport;
import io.tributary.proto.internal.v1.TopicRecord;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The controller's memory of broker heartbeats: when each broker was last heard, its incarnation
 * and the replicas it reported. Not replicated: a newly elected controller starts empty and counts
 * every broker as heard at its election, so it waits one session timeout before declaring anyone
 * dead (and the full replacement timeout before moving replicas). Thread-safe (heartbeats arrive
 * on Ratis server threads, the controller task reads).
 */
public final class BrokerLiveness {

    /** One heartbeat as received. */
    public record Beat(long incarnation, long atNanos, List<ReplicaStatusReport> reports) {
    }

    private final long sessionTimeoutNanos;
    private final LongSupplier nanoClock;
    private final Map<Integer, Beat> beats = new ConcurrentHashMap<>();
    private volatile long electedAtNanos;
    private volatile boolean leader;

    /**
     * @param sessionTimeoutMs a broker silent this long is not alive
     * @param nanoClock monotonic time in nanoseconds ({@link System#nanoTime} outside tests)
     */
    public BrokerLiveness(long sessionTimeoutMs, LongSupplier nanoClock) {
        this.sessionTimeoutNanos = sessionTimeoutMs * 1_000_000L;
        this.nanoClock = nanoClock;
        this.electedAtNanos = nanoClock.getAsLong();
    }

    /** This controller was elected: forget everything, start the grace period. */
    public synchronized void onElected() {
        beats.clear();
        electedAtNanos = nanoClock.getAsLong();
        leader = true;
    }

    /** This controller lost leadership. */
    public synchronized void onDemoted() {
        leader = false;
        beats.clear();
    }

    public boolean isLeader() {
        return leader;
    }

    public void record(int brokerId, long incarnation, List<ReplicaStatusReport> reports) {
        beats.put(brokerId, new Beat(incarnation, nanoClock.getAsLong(), List.copyOf(reports)));
    }

    /** Milliseconds since the broker was last heard, counting the election as hearing everyone. */
    public long silentForMs(int brokerId) {
        Beat b = beats.get(brokerId);
        long lastHeard = b == null ? electedAtNanos : Math.max(b.atNanos(), electedAtNanos);
        return Math.max(0, (nanoClock.getAsLong() - lastHeard) / 1_000_000L);
    }

    public boolean isAlive(int brokerId) {
        return silentForMs(brokerId) * 1_000_000L < sessionTimeoutNanos;
    }

    /** The registered brokers that are alive now. */
    public Set<Integer> alive(Set<Integer> registered) {
        Set<Integer> out = new TreeSet<>();
        for (int id : registered) {
            if (isAlive(id)) {
                out.add(id);
            }
        }
        return out;
    }

    /**
     * Leadership of every partition of the image, merged from the reports of live brokers: the
     * replica that reports itself leader with the highest term wins; its in-sync replicas and
     * group members come with it. A partition nobody leads has leader -1.
     */
    public List<PartitionLeadership> leadership(MetadataImage image) {
        Set<Integer> alive = alive(image.brokers().keySet());
        Map<String, ReplicaStatusReport> bestByTp = new HashMap<>();
        for (Map.Entry<Integer, Beat> e : beats.entrySet()) {
            if (!alive.contains(e.getKey())) {
                continue;
            }
            for (ReplicaStatusReport r : e.getValue().reports()) {
                if (r.getLeaderId() != e.getKey()) {
                    continue;
                }
                String key = r.getTopic() + "\u0000" + r.getPartition();
                ReplicaStatusReport best = bestByTp.get(key);
                if (best == null || r.getLeaderEpoch() > best.getLeaderEpoch()) {
                    bestByTp.put(key, r);
                }
            }
        }
        List<PartitionLeadership> out = new ArrayList<>();
        for (TopicRecord t : image.topics().values()) {
            for (PartitionAssignmentRecord p : t.getPartitionsList()) {
                ReplicaStatusReport r = bestByTp.get(t.getName() + "\u0000" + p.getPartition());
                PartitionLeadership.Builder b = PartitionLeadership.newBuilder()
                        .setTopic(t.getName()).setPartition(p.getPartition());
                if (r != null && (r.getTopicId().isEmpty() || r.getTopicId().equals(t.getTopicId()))) {
                    b.setLeaderId(r.getLeaderId()).setLeaderEpoch(r.getLeaderEpoch())
                            .addAllInSyncReplicas(r.getInSyncReplicasList()).addAllGroupMembers(r.getGroupMembersList());
                } else {
                    b.setLeaderId(-1).setLeaderEpoch(-1);
                }
                out.add(b.build());
            }
        }
        return out;
    }

    /** The last heartbeat of a broker, if any since this controller's election. */
    public Beat lastBeat(int brokerId) {
        return beats.get(brokerId);
    }
}
