package io.tributary.broker.internal.group;

import io.tributary.broker.internal.BrokerMetrics;
import io.tributary.broker.internal.RequestException;
import io.tributary.broker.internal.group.GroupRecordFormat.GroupKey;
import io.tributary.broker.internal.group.GroupRecordFormat.GroupValue;
import io.tributary.broker.internal.group.GroupRecordFormat.Key;
import io.tributary.broker.internal.group.GroupRecordFormat.MarkerKey;
import io.tributary.broker.internal.group.GroupRecordFormat.MarkerValue;
import io.tributary.broker.internal.group.GroupRecordFormat.MemberKey;
import io.tributary.broker.internal.group.GroupRecordFormat.MemberValue;
import io.tributary.broker.internal.group.GroupRecordFormat.OffsetKey;
import io.tributary.broker.internal.group.GroupRecordFormat.OffsetValue;
import io.tributary.log.LogReadResult;
import io.tributary.proto.v1.Assignment;
import io.tributary.proto.v1.ErrorCode;
import io.tributary.proto.v1.GroupState;
import io.tributary.record.Compression;
import io.tributary.record.Record;
import io.tributary.record.RecordBatch;
import io.tributary.record.RecordBatchBuilder;
import io.tributary.record.RecordBatches;
import io.tributary.replication.AppendRequest;
import io.tributary.replication.PartitionReplica;
import io.tributary.replication.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * The groups of one {@code __consumer_offsets} partition led by this broker: their state in
 * memory, every change written to the partition as records (through Raft, acks all) before the
 * answer that reveals it is given.
 *
 * <p>Life: created LOADING when this broker becomes the partition's leader; {@link #appendMarker}
 * then {@link #replay} read the partition back (everything up to a marker record written in this
 * leader's term, so the previous leader's entries are committed); {@link #activate} serves. A
 * failed write makes it FAILED (the coordinator reloads it); losing leadership CLOSED.
 *
 * <p>Each operation runs under this object's lock: it checks, changes the state in memory,
 * hands the records to {@link PartitionReplica#append} (so the log order is the order of the
 * changes), and returns a future that completes with the answer once the records are committed.
 * An operation that writes nothing still waits for the last write, so no answer reveals state
 * that is not committed.
 *
 * <p>Thread-safety: thread-safe.
 */
final class GroupShard {
    private static final Logger LOG = LoggerFactory.getLogger(GroupShard.class);
    /** The heartbeat interval while a member's assignment is changing. */
    static final int RECONCILING_HEARTBEAT_MS = 500;
    private static final int BATCH_BYTES = 256 * 1024;
    private static final int READ_BYTES = 1024 * 1024;

    enum State { LOADING, ACTIVE, FAILED, CLOSED }

    /** One record to write: a key and a value (null: a tombstone). */
    record Rec(byte[] key, byte[] value) {
    }

    /** Partition counts of topics (null: no such topic). */
    interface TopicCounts {
        Integer partitions(String topic);
    }

    final int partition;
    final PartitionReplica replica;
    final long leaderEpoch;
    private final GroupConfig config;
    private final int brokerId;
    private final BrokerMetrics metrics;
    private final Map<String, Group> groups = new HashMap<>();
    private State state = State.LOADING;
    private long stateSinceNs = System.nanoTime();
    private CompletableFuture<Void> lastWrite = CompletableFuture.completedFuture(null);
    /** When the coordinator's timer last ran {@link #expireOffsets} (timer thread only). */
    long retentionCheckedNs = System.nanoTime();

    GroupShard(int partition, PartitionReplica replica, long leaderEpoch, GroupConfig config, int brokerId,
               BrokerMetrics metrics) {
        this.metrics = metrics;
        this.partition = partition;
        this.replica = replica;
        this.leaderEpoch = leaderEpoch;
        this.config = config;
        this.brokerId = brokerId;
    }

    synchronized State state() {
        return state;
    }

    synchronized long stateSinceNs() {
        return stateSinceNs;
    }

    private void setState(State s) {
        state = s;
        stateSinceNs = System.nanoTime();
    }

    synchronized void close() {
        setState(State.CLOSED);
        groups.clear();
    }

    /** Stops serving after a failure (a failed write, a failed load); the coordinator reloads. */
    synchronized void fail(Throwable cause) {
        fail(cause, true);
    }

    /** As {@link #fail(Throwable)}; {@code warn} false logs at DEBUG (an expected, retried failure). */
    synchronized void fail(Throwable cause, boolean warn) {
        if (state == State.ACTIVE || state == State.LOADING) {
            if (warn) {
                LOG.warn("__consumer_offsets-{}: stops coordinating after a failure, reloading: {}", partition,
                        cause.toString());
            } else {
                LOG.debug("__consumer_offsets-{}: load failed, retrying: {}", partition, cause.toString());
            }
            setState(State.FAILED);
            groups.clear();
        }
    }

    // ------------------------------------------------------------------ loading

    /** Appends this leader's marker; completes with its offset once committed. */
    CompletableFuture<Long> appendMarker() {
        Rec marker = new Rec(GroupRecordFormat.encodeKey(new MarkerKey()),
                GroupRecordFormat.encodeMarker(new MarkerValue(brokerId, leaderEpoch)));
        return replica.append(AppendRequest.of(encode(List.of(marker)))).thenApply(r -> r.lastOffset());
    }

    /**
     * Reads the partition from its log start up to {@code upTo} (inclusive) and rebuilds the
     * groups from it. Blocks on disk reads: runs on the coordinator's loader thread.
     *
     * @throws IllegalArgumentException for a record this broker cannot read (a newer format)
     */
    Map<String, Group> replay(long upTo, String defaultAssignor) {
        return replay(new LogSource() {
            @Override
            public long logStartOffset() {
                return replica.logStartOffset();
            }

            @Override
            public LogReadResult read(long offset, int maxBytes) {
                return replica.read(offset, maxBytes);
            }
        }, partition, upTo, defaultAssignor);
    }

    /** Where {@link #replay} reads committed batches from (the partition's replica). */
    interface LogSource {
        long logStartOffset();

        /** Whole batches from {@code offset}, as {@link PartitionReplica#read}. */
        LogReadResult read(long offset, int maxBytes);
    }

    /**
     * Rebuilds the groups from the records of {@code log} up to {@code upTo} (inclusive).
     * Batches may be compressed, have offset gaps, hold no record (compaction), or begin before
     * the offset asked for; records are applied in offset order.
     */
    static Map<String, Group> replay(LogSource log, int partition, long upTo, String defaultAssignor) {
        Map<String, Group> loaded = new HashMap<>();
        long offset = log.logStartOffset();
        long records = 0;
        while (offset <= upTo) {
            LogReadResult r = log.read(offset, READ_BYTES);
            if (r.isEmpty()) {
                if (r.nextOffset() > offset) {
                    offset = r.nextOffset();
                    continue;
                }
                throw new IllegalStateException("reading __consumer_offsets-" + partition + " made no progress at"
                        + " offset " + offset + " (replaying up to " + upTo + ")");
            }
            for (RecordBatch batch : RecordBatches.iterate(r.records())) {
                if (batch.isControl()) {
                    continue;
                }
                for (Iterator<Record> it = batch.records(); it.hasNext(); ) {
                    Record rec = it.next();
                    if (rec.offset() < offset || rec.offset() > upTo || !rec.hasKey()) {
                        continue;
                    }
                    apply(loaded, rec, rec.timestamp(), defaultAssignor);
                    records++;
                }
            }
            offset = Math.max(offset + 1, r.nextOffset());
        }
        loaded.values().removeIf(Group::isDead);
        for (Group g : loaded.values()) {
            if (g.members.isEmpty() && g.hasMetadata && g.emptySinceMs < 0) {
                // A version-0 GROUP value has no empty_since_ms; the group's last GROUP record was
                // written when its last member left (every removal writes one), at its time stamp.
                g.emptySinceMs = g.groupRecordTimestampMs;
            }
        }
        LOG.info("__consumer_offsets-{}: loaded {} groups from {} records (up to offset {})", partition,
                loaded.size(), records, upTo);
        return loaded;
    }

    private static void apply(Map<String, Group> groups, Record rec, long timestampMs, String defaultAssignor) {
        Key key = GroupRecordFormat.decodeKey(rec.key());
        if (key instanceof MarkerKey) {
            return;
        }
        Object value = rec.hasValue() ? GroupRecordFormat.decodeValue(key, rec.value()) : null;
        Group g = groups.computeIfAbsent(key.group(), id -> new Group(id, defaultAssignor));
        if (key instanceof OffsetKey k) {
            TopicPartition tp = new TopicPartition(k.topic(), k.partition());
            if (value == null) {
                g.offsets.remove(tp);
            } else {
                g.offsets.put(tp, (OffsetValue) value);
            }
        } else if (key instanceof GroupKey) {
            if (value == null) {
                g.hasMetadata = false;
            } else {
                GroupValue v = (GroupValue) value;
                g.hasMetadata = true;
                g.epoch = v.groupEpoch();
                g.assignor = v.assignor();
                g.emptySinceMs = v.emptySinceMs();
                g.groupRecordTimestampMs = timestampMs;
            }
        } else if (key instanceof MemberKey k) {
            if (value == null) {
                g.members.remove(k.memberId());
            } else {
                g.members.put(k.memberId(), Member.fromValue(k.memberId(), (MemberValue) value));
            }
        }
    }

    /** Starts serving the loaded groups; session timers start now. */
    synchronized boolean activate(Map<String, Group> loaded, TopicCounts counts) {
        if (state != State.LOADING) {
            return false;
        }
        groups.putAll(loaded);
        long now = System.nanoTime();
        for (Group g : groups.values()) {
            for (Member m : g.members.values()) {
                m.sessionDeadlineNs = now + ms(m.sessionTimeoutMs);
                m.revokeDeadlineNs = m.revoking.isEmpty() ? 0 : now + ms(m.rebalanceTimeoutMs);
            }
        }
        setState(State.ACTIVE);
        // Topics may have changed while nobody coordinated: bring every target up to date.
        refreshTopics(counts);
        return true;
    }

    // ------------------------------------------------------------------ membership

    /** What a JoinGroup or Heartbeat answers. */
    record MemberAnswer(String memberId, int generation, int heartbeatIntervalMs, Assignment assignment) {
    }

    /** The parameters of a JoinGroup, validated. */
    record Join(String groupId, String memberId, String clientId, String clientHost, Set<String> topics,
                int sessionTimeoutMs, int rebalanceTimeoutMs, String assignor) {
    }

    synchronized CompletableFuture<MemberAnswer> join(Join j, TopicCounts counts) {
        checkActive();
        long now = System.nanoTime();
        Group g = groups.computeIfAbsent(j.groupId(), id -> new Group(id, config.assignor()));
        Changes c = new Changes();
        Member m = g.members.get(j.memberId());
        boolean recompute = false;
        if (m == null) {
            m = new Member(j.memberId());
            m.topics.addAll(j.topics());
            m.clientId = j.clientId();
            m.clientHost = j.clientHost();
            m.sessionTimeoutMs = j.sessionTimeoutMs();
            m.rebalanceTimeoutMs = j.rebalanceTimeoutMs();
            m.assignor = j.assignor();
            g.members.put(m.id, m);
            g.emptySinceMs = GroupRecordFormat.GroupValue.NOT_EMPTY;
            c.dirty.add(m);
            c.changed.add(m);
            recompute = true;
            LOG.info("group '{}': member {} ({}, {}) joins, subscribing to {}", g.id, m.id, m.clientId, m.clientHost,
                    m.topics);
        } else {
            if (!m.topics.equals(j.topics())) {
                m.topics.clear();
                m.topics.addAll(j.topics());
                recompute = true;
                LOG.info("group '{}': member {} now subscribes to {}", g.id, m.id, m.topics);
            }
            if (!m.assignor.equals(j.assignor())) {
                m.assignor = j.assignor();
                recompute = true;
            }
            if (!m.clientId.equals(j.clientId()) || !m.clientHost.equals(j.clientHost())
                    || m.sessionTimeoutMs != j.sessionTimeoutMs() || m.rebalanceTimeoutMs != j.rebalanceTimeoutMs()
                    || recompute) {
                m.clientId = j.clientId();
                m.clientHost = j.clientHost();
                m.sessionTimeoutMs = j.sessionTimeoutMs();
                m.rebalanceTimeoutMs = j.rebalanceTimeoutMs();
                c.dirty.add(m);
            }
        }
        m.sessionDeadlineNs = now + ms(m.sessionTimeoutMs);
        if (recompute) {
            bumpEpoch(g, c);
        }
        reconcile(g, recompute, counts, now, c);
        return write(g, c, answer(m));
    }

    synchronized CompletableFuture<MemberAnswer> heartbeat(String groupId, String memberId, int generation,
                                                           Collection<TopicPartition> owned, TopicCounts counts) {
        checkActive();
        long now = System.nanoTime();
        Group g = groups.get(groupId);
        Member m = g == null ? null : g.members.get(memberId);
        if (m == null) {
            throw unknownMember(groupId, memberId);
        }
        if (generation > m.generation) {
            throw new RequestException(ErrorCode.ILLEGAL_GENERATION, "generation " + generation + " of member "
                    + memberId + " of group '" + groupId + "' is newer than its current generation " + m.generation
                    + "; drop your partitions and join again");
        }
        Set<TopicPartition> ownedSet = new HashSet<>(owned);
        for (TopicPartition tp : ownedSet) {
            if (!m.owns(tp)) {
                for (Member other : g.members.values()) {
                    if (other != m && other.owns(tp)) {
                        throw new RequestException(ErrorCode.ILLEGAL_GENERATION, "member " + memberId + " of group '"
                                + groupId + "' reports owning " + tp + ", which now belongs to member " + other.id
                                + "; drop your partitions without committing and join again");
                    }
                }
            }
        }
        m.sessionDeadlineNs = now + ms(m.sessionTimeoutMs);
        Changes c = new Changes();
        for (Iterator<TopicPartition> it = m.revoking.keySet().iterator(); it.hasNext(); ) {
            TopicPartition tp = it.next();
            if (!ownedSet.contains(tp)) {
                it.remove();
                c.dirty.add(m);
                c.changed.add(m);
            }
        }
        if (!c.changed.isEmpty()) {
            LOG.debug("group '{}': member {} released partitions; now revoking {}", groupId, memberId, m.revoking);
            reconcile(g, false, counts, now, c);
        }
        return write(g, c, answer(m));
    }

    synchronized CompletableFuture<Void> leave(String groupId, String memberId, String reason, TopicCounts counts) {
        checkActive();
        Group g = groups.get(groupId);
        Member m = g == null ? null : g.members.get(memberId);
        if (m == null) {
            return lastWrite;
        }
        LOG.info("group '{}': member {} leaves{}", groupId, memberId, reason.isEmpty() ? "" : " (" + reason + ")");
        Changes c = new Changes();
        remove(g, m, counts, c);
        return write(g, c, null);
    }

    private void remove(Group g, Member m, TopicCounts counts, Changes c) {
        g.members.remove(m.id);
        if (g.members.isEmpty()) {
            g.emptySinceMs = System.currentTimeMillis(); // written in the GROUP record bumpEpoch asks for
        }
        c.dirty.remove(m);
        c.changed.remove(m);
        c.recs.add(new Rec(GroupRecordFormat.encodeKey(new MemberKey(g.id, m.id)), null));
        bumpEpoch(g, c);
        reconcile(g, true, counts, System.nanoTime(), c);
    }

    /** Removes members whose session or revocation time ran out. Called by the coordinator's timer. */
    synchronized void expireMembers(TopicCounts counts) {
        if (state != State.ACTIVE) {
            return;
        }
        long now = System.nanoTime();
        for (Group g : new ArrayList<>(groups.values())) {
            Changes c = null;
            for (Member m : new ArrayList<>(g.members.values())) {
                String why = null;
                if (now - m.sessionDeadlineNs > 0) {
                    why = "no heartbeat for its session timeout of " + m.sessionTimeoutMs + " ms";
                } else if (m.revokeDeadlineNs != 0 && now - m.revokeDeadlineNs > 0) {
                    why = "it did not give up " + m.revoking.keySet() + " within its rebalance timeout of "
                            + m.rebalanceTimeoutMs + " ms";
                }
                if (why != null) {
                    LOG.info("group '{}': member {} removed: {}", g.id, m.id, why);
                    c = c == null ? new Changes() : c;
                    remove(g, m, counts, c);
                }
            }
            if (c != null) {
                write(g, c, null);
            }
        }
    }

    /** Re-targets groups whose subscribed topics were created, deleted or grew. */
    synchronized void refreshTopics(TopicCounts counts) {
        if (state != State.ACTIVE) {
            return;
        }
        long now = System.nanoTime();
        for (Group g : groups.values()) {
            if (g.members.isEmpty()) {
                continue;
            }
            if (!countsOf(g, counts).equals(g.partitionCounts)) {
                Changes c = new Changes();
                reconcile(g, true, counts, now, c);
                if (!c.dirty.isEmpty()) {
                    LOG.info("group '{}': subscribed topics changed ({}); new target", g.id, g.partitionCounts);
                    bumpEpoch(g, c);
                    write(g, c, null);
                }
            }
        }
    }

    private static Map<String, Integer> countsOf(Group g, TopicCounts counts) {
        Map<String, Integer> out = new TreeMap<>();
        for (Member m : g.members.values()) {
            for (String t : m.topics) {
                Integer n = counts.partitions(t);
                if (n != null) {
                    out.put(t, n);
                }
            }
        }
        return out;
    }

    /** What changed in one operation. */
    private static final class Changes {
        final List<Rec> recs = new ArrayList<>();
        /** Members whose record must be written. */
        final Set<Member> dirty = new LinkedHashSet<>();
        /** Members whose own assignment changed (generation bump). */
        final Set<Member> changed = new LinkedHashSet<>();
        boolean groupDirty;
    }

    private void bumpEpoch(Group g, Changes c) {
        metrics.groupRebalance();
        g.epoch++;
        g.hasMetadata = true;
        c.groupDirty = true;
    }

    /**
     * Recomputes the target (when asked) and moves every member toward it: partitions a member
     * must give up go to its revoking set; a partition of its target that nobody owns is given to
     * it. A member whose assigned or revoking set changed gets a new generation.
     */
    private void reconcile(Group g, boolean recompute, TopicCounts counts, long now, Changes c) {
        if (recompute) {
            Map<String, Integer> pc = countsOf(g, counts);
            g.partitionCounts = pc;
            if (!g.members.isEmpty()) {
                String name = chooseAssignor(g);
                if (!name.equals(g.assignor)) {
                    LOG.info("group '{}': assignor {} -> {}", g.id, g.assignor, name);
                    g.assignor = name;
                    c.groupDirty = true;
                }
                Map<String, Set<String>> subs = new TreeMap<>();
                Map<String, Set<TopicPartition>> current = new TreeMap<>();
                g.members.forEach((id, m) -> {
                    subs.put(id, m.topics);
                    current.put(id, m.target);
                });
                Map<String, Set<TopicPartition>> target = Assignors.byName(name).assign(subs, pc, current);
                for (Member m : g.members.values()) {
                    Set<TopicPartition> t = target.getOrDefault(m.id, Set.of());
                    if (!m.target.equals(t)) {
                        m.target.clear();
                        m.target.addAll(t);
                        c.dirty.add(m);
                    }
                }
            }
        }
        // Give up what left the target; take back what came back to it while still owned.
        int moves = 0;
        for (Member m : g.members.values()) {
            for (Iterator<Map.Entry<TopicPartition, Integer>> it = m.assigned.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<TopicPartition, Integer> e = it.next();
                if (!m.target.contains(e.getKey())) {
                    m.revoking.put(e.getKey(), e.getValue());
                    it.remove();
                    c.changed.add(m);
                    moves++;
                }
            }
            for (Iterator<Map.Entry<TopicPartition, Integer>> it = m.revoking.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<TopicPartition, Integer> e = it.next();
                if (m.target.contains(e.getKey())) {
                    m.assigned.put(e.getKey(), e.getValue());
                    it.remove();
                    c.changed.add(m);
                }
            }
        }
        metrics.partitionMoves(moves);
        Set<TopicPartition> owned = new HashSet<>();
        for (Member m : g.members.values()) {
            owned.addAll(m.assigned.keySet());
            owned.addAll(m.revoking.keySet());
        }
        for (Member m : g.members.values()) {
            List<TopicPartition> grants = new ArrayList<>();
            for (TopicPartition tp : m.target) {
                if (!owned.contains(tp)) {
                    grants.add(tp);
                }
            }
            if (!grants.isEmpty() || c.changed.contains(m)) {
                m.generation++;
                for (TopicPartition tp : grants) {
                    m.assigned.put(tp, m.generation);
                    owned.add(tp);
                }
                c.dirty.add(m);
            }
            if (m.revoking.isEmpty()) {
                m.revokeDeadlineNs = 0;
            } else if (m.revokeDeadlineNs == 0) {
                m.revokeDeadlineNs = now + ms(m.rebalanceTimeoutMs);
            }
        }
    }

    /** The assignor most members name (empty: the broker default); ties keep the current one. */
    private String chooseAssignor(Group g) {
        Map<String, Integer> votes = new TreeMap<>();
        for (Member m : g.members.values()) {
            votes.merge(m.assignor.isEmpty() ? config.assignor() : m.assignor, 1, Integer::sum);
        }
        votes.keySet().removeIf(name -> Assignors.byName(name) == null);
        int best = votes.values().stream().mapToInt(Integer::intValue).max().orElse(0);
        if (best > 0 && votes.getOrDefault(g.assignor, 0) == best) {
            return g.assignor;
        }
        return votes.entrySet().stream().filter(e -> e.getValue() == best).map(Map.Entry::getKey).findFirst()
                .orElse(config.assignor());
    }

    private MemberAnswer answer(Member m) {
        return new MemberAnswer(m.id, m.generation, m.isStable() ? config.heartbeatIntervalMs()
                : Math.min(config.heartbeatIntervalMs(), RECONCILING_HEARTBEAT_MS), assignment(m));
    }

    static Assignment assignment(Member m) {
        Assignment.Builder a = Assignment.newBuilder();
        m.assigned.keySet().forEach(tp -> a.addAssigned(proto(tp)));
        m.revoking.keySet().forEach(tp -> a.addToRevoke(proto(tp)));
        return a.build();
    }

    static io.tributary.proto.v1.TopicPartition proto(TopicPartition tp) {
        return io.tributary.proto.v1.TopicPartition.newBuilder().setTopic(tp.topic()).setPartition(tp.partition())
                .build();
    }

    // ------------------------------------------------------------------ offsets

    /** One partition of a commit and its result (null: accepted). */
    static final class CommitItem {
        final TopicPartition tp;
        final long offset;
        final String metadata;
        RequestException error;

        CommitItem(TopicPartition tp, long offset, String metadata) {
            this.tp = tp;
            this.offset = offset;
            this.metadata = metadata;
        }
    }

    /**
     * Commits the accepted items (those without an error yet); fencing per group.proto. The
     * future fails when the records could not be written.
     */
    synchronized CompletableFuture<Void> commit(String groupId, String memberId, int generation,
                                                List<CommitItem> items) {
        checkActive();
        Group g = groups.get(groupId);
        if (memberId.isEmpty()) {
            if (g != null && !g.members.isEmpty()) {
                throw new RequestException(ErrorCode.GROUP_NOT_EMPTY, "group '" + groupId + "' has "
                        + g.members.size() + " member(s): a commit without member_id is only accepted while the group"
                        + " has no members");
            }
        } else {
            Member m = g == null ? null : g.members.get(memberId);
            if (m == null) {
                throw unknownMember(groupId, memberId);
            }
            if (generation > m.generation) {
                throw new RequestException(ErrorCode.ILLEGAL_GENERATION, "generation " + generation + " of member "
                        + memberId + " of group '" + groupId + "' is newer than its current generation "
                        + m.generation);
            }
            for (CommitItem i : items) {
                if (i.error != null) {
                    continue;
                }
                Integer since = m.assigned.containsKey(i.tp) ? m.assigned.get(i.tp) : m.revoking.get(i.tp);
                if (since == null || since > generation) {
                    i.error = new RequestException(ErrorCode.PARTITION_NOT_OWNED, "member " + memberId + " of group '"
                            + groupId + "' does not own " + i.tp + (since == null ? "" : " since generation "
                            + generation + " (it got it at generation " + since + ")")
                            + "; its owner commits it");
                }
            }
        }
        if (g == null) {
            g = new Group(groupId, config.assignor());
            groups.put(groupId, g);
        }
        long now = System.currentTimeMillis();
        Changes c = new Changes();
        int refused = 0;
        for (CommitItem i : items) {
            if (i.error == null) {
                OffsetValue v = new OffsetValue(i.offset, i.metadata, now);
                g.offsets.put(i.tp, v);
                c.recs.add(new Rec(GroupRecordFormat.encodeKey(new OffsetKey(groupId, i.tp.topic(), i.tp.partition())),
                        GroupRecordFormat.encodeOffset(v)));
            } else {
                refused++;
            }
        }
        int accepted = c.recs.size();
        int refusedCount = refused;
        return this.<Void>write(g, c, null).whenComplete((v, err) -> {
            if (err == null) {
                metrics.offsetCommits(accepted, refusedCount);
            }
        });
    }

    /** The committed offsets of {@code partitions} (all when empty), after the last write committed. */
    synchronized CompletableFuture<Map<TopicPartition, OffsetValue>> committed(String groupId,
                                                                             List<TopicPartition> partitions) {
        checkActive();
        Group g = groups.get(groupId);
        Map<TopicPartition, OffsetValue> out = new TreeMap<>();
        if (g != null) {
            if (partitions.isEmpty()) {
                out.putAll(g.offsets);
            } else {
                for (TopicPartition tp : partitions) {
                    OffsetValue v = g.offsets.get(tp);
                    if (v != null) {
                        out.put(tp, v);
                    }
                }
            }
        }
        return lastWrite.thenApply(v -> out);
    }

    // ------------------------------------------------------------------ administration

    /** A group's description, without end offsets (the caller adds them). */
    record Description(String groupId, GroupState state, int epoch, String assignor,
                       List<io.tributary.proto.v1.MemberDescription> members,
                       Map<TopicPartition, OffsetValue> offsets, Map<TopicPartition, String> owners) {
    }

    /** Null when the group does not exist. */
    synchronized CompletableFuture<Description> describe(String groupId) {
        checkActive();
        Group g = groups.get(groupId);
        if (g == null) {
            return lastWrite.thenApply(v -> null);
        }
        List<io.tributary.proto.v1.MemberDescription> members = new ArrayList<>();
        Map<TopicPartition, String> owners = new TreeMap<>();
        for (Member m : g.members.values()) {
            members.add(io.tributary.proto.v1.MemberDescription.newBuilder().setMemberId(m.id)
                    .setClientId(m.clientId).setClientHost(m.clientHost).setGeneration(m.generation)
                    .addAllTopics(m.topics).setAssignment(assignment(m)).build());
            m.assigned.keySet().forEach(tp -> owners.put(tp, m.id));
            m.revoking.keySet().forEach(tp -> owners.put(tp, m.id));
        }
        Description d = new Description(g.id, stateOf(g), g.epoch, g.assignor, members, new TreeMap<>(g.offsets),
                owners);
        return lastWrite.thenApply(v -> d);
    }

    /** A listing of every group here. */
    synchronized List<io.tributary.proto.v1.GroupListing> list() {
        if (state != State.ACTIVE) {
            return List.of();
        }
        List<io.tributary.proto.v1.GroupListing> out = new ArrayList<>();
        for (Group g : groups.values()) {
            out.add(io.tributary.proto.v1.GroupListing.newBuilder().setGroupId(g.id).setState(stateOf(g))
                    .setMemberCount(g.members.size()).build());
        }
        return out;
    }

    /** Adds this shard's groups by state and members by state to the maps (for the metrics). */
    synchronized void count(Map<String, Integer> groupsByState, Map<String, Integer> membersByState) {
        if (state != State.ACTIVE) {
            return;
        }
        for (Group g : groups.values()) {
            GroupState s = stateOf(g);
            String name = s == GroupState.GROUP_STATE_EMPTY ? "empty"
                    : s == GroupState.GROUP_STATE_STABLE ? "stable" : "reconciling";
            groupsByState.merge(name, 1, Integer::sum);
            for (Member m : g.members.values()) {
                membersByState.merge(m.isStable() ? "stable" : "reconciling", 1, Integer::sum);
            }
        }
    }

    static GroupState stateOf(Group g) {
        if (g.members.isEmpty()) {
            return GroupState.GROUP_STATE_EMPTY;
        }
        return g.isStable() ? GroupState.GROUP_STATE_STABLE : GroupState.GROUP_STATE_RECONCILING;
    }

    /** Deletes a group without members and its offsets: tombstones for each of its keys. */
    synchronized CompletableFuture<Void> delete(String groupId) {
        checkActive();
        Group g = groups.get(groupId);
        if (g == null) {
            throw new RequestException(ErrorCode.GROUP_ID_NOT_FOUND, "group '" + groupId + "' does not exist");
        }
        if (!g.members.isEmpty()) {
            throw groupNotEmpty(g, "deleted");
        }
        LOG.info("group '{}' deleted with {} committed offsets", groupId, g.offsets.size());
        return deleteGroup(g);
    }

    /** Tombstones for each offset and the GROUP record of a group without members; drops it. */
    private CompletableFuture<Void> deleteGroup(Group g) {
        Changes c = new Changes();
        for (TopicPartition tp : g.offsets.keySet()) {
            c.recs.add(new Rec(GroupRecordFormat.encodeKey(new OffsetKey(g.id, tp.topic(), tp.partition())), null));
        }
        if (g.hasMetadata) {
            c.recs.add(new Rec(GroupRecordFormat.encodeKey(new GroupKey(g.id)), null));
        }
        groups.remove(g.id);
        return write(g, c, null);
    }

    /**
     * Offsets retention: deletes, as DeleteGroups does, every group that has had no members and no
     * commit for {@code retentionMs} before {@code nowMs} (both from times in its records: when
     * its last member left, its commit time stamps, so a new coordinator decides the same).
     * Called by the coordinator's timer.
     *
     * @return the number of groups deleted
     */
    synchronized int expireOffsets(long nowMs, long retentionMs) {
        if (state != State.ACTIVE || !stillLeader()) {
            return 0;
        }
        int deleted = 0;
        for (Group g : new ArrayList<>(groups.values())) {
            if (!g.members.isEmpty()) {
                continue;
            }
            long last = g.lastUsedWhileEmptyMs();
            if (last >= 0 && nowMs - last >= retentionMs) {
                LOG.info("group '{}': no members and no commit for {} ms (group.offsets.retention.ms {}): deleted with"
                        + " {} committed offsets", g.id, nowMs - last, retentionMs, g.offsets.size());
                deleteGroup(g);
                deleted++;
            }
        }
        return deleted;
    }

    /** Checks that the group has no members (for ResetOffsets); its current offsets. */
    synchronized Map<TopicPartition, OffsetValue> requireEmpty(String groupId) {
        checkActive();
        Group g = groups.get(groupId);
        if (g == null) {
            return Map.of();
        }
        if (!g.members.isEmpty()) {
            throw groupNotEmpty(g, "reset");
        }
        return new TreeMap<>(g.offsets);
    }

    /** Commits new offsets of a group that must still have no members. */
    synchronized CompletableFuture<Void> resetOffsets(String groupId, Map<TopicPartition, Long> offsets) {
        checkActive();
        requireEmpty(groupId);
        List<CommitItem> items = new ArrayList<>();
        offsets.forEach((tp, o) -> items.add(new CommitItem(tp, o, "")));
        return commit(groupId, "", 0, items);
    }

    private static RequestException groupNotEmpty(Group g, String what) {
        return new RequestException(ErrorCode.GROUP_NOT_EMPTY, "group '" + g.id + "' has " + g.members.size()
                + " member(s) " + g.members.keySet() + ": it can only be " + what + " once they have left");
    }

    // ------------------------------------------------------------------ writing

    private void checkActive() {
        switch (state) {
            case ACTIVE:
                if (!stillLeader()) {
                    // Leadership moved since the coordinator's last poll: do not answer from this state.
                    throw new RequestException(ErrorCode.NOT_COORDINATOR, "broker " + brokerId + " is no longer the"
                            + " leader of __consumer_offsets-" + partition + "; find the coordinator again");
                }
                return;
            case LOADING:
            case FAILED:
                throw new RequestException(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, "broker " + brokerId + " is loading"
                        + " the groups of __consumer_offsets-" + partition + "; retry after a short backoff");
            default:
                throw new RequestException(ErrorCode.NOT_COORDINATOR, "broker " + brokerId + " no longer coordinates"
                        + " the groups of __consumer_offsets-" + partition + "; find the coordinator again");
        }
    }

    private boolean stillLeader() {
        try {
            return replica.isLeader() && replica.leaderEpoch() == leaderEpoch;
        } catch (RuntimeException e) {
            return false; // closing
        }
    }

    private static RequestException unknownMember(String groupId, String memberId) {
        return new RequestException(ErrorCode.UNKNOWN_MEMBER_ID, "member " + memberId + " is not in group '" + groupId
                + "' (it never joined, left, or was removed after missing heartbeats); drop your partitions without"
                + " committing and join again");
    }

    /** Writes the changes' records (plus members and group marked dirty); completes with {@code answer}. */
    private <T> CompletableFuture<T> write(Group g, Changes c, T answer) {
        for (Member m : c.dirty) {
            if (g.members.get(m.id) == m) {
                c.recs.add(new Rec(GroupRecordFormat.encodeKey(new MemberKey(g.id, m.id)),
                        GroupRecordFormat.encodeMember(m.toValue())));
            }
        }
        if (c.groupDirty && groups.get(g.id) == g) {
            c.recs.add(new Rec(GroupRecordFormat.encodeKey(new GroupKey(g.id)),
                    GroupRecordFormat.encodeGroup(new GroupValue(g.epoch, g.assignor,
                            g.members.isEmpty() ? g.emptySinceMs : GroupValue.NOT_EMPTY))));
        }
        if (c.recs.isEmpty()) {
            return lastWrite.thenApply(v -> answer);
        }
        CompletableFuture<Void> w;
        try {
            w = replica.append(AppendRequest.of(encode(c.recs))).thenApply(r -> (Void) null);
        } catch (RuntimeException e) {
            w = CompletableFuture.failedFuture(e);
        }
        w.whenComplete((v, err) -> {
            if (err != null) {
                fail(err);
            }
        });
        lastWrite = w;
        return w.thenApply(v -> answer);
    }

    /** The records as uncompressed batches, back to back. */
    static ByteBuffer encode(List<Rec> recs) {
        List<ByteBuffer> batches = new ArrayList<>();
        long now = System.currentTimeMillis();
        RecordBatchBuilder b = null;
        for (Rec r : recs) {
            if (b != null && b.estimatedSizeInBytes() + r.key().length + (r.value() == null ? 0 : r.value().length)
                    > BATCH_BYTES) {
                batches.add(b.build().buffer());
                b = null;
            }
            if (b == null) {
                b = new RecordBatchBuilder(Compression.NONE, BATCH_BYTES);
            }
            b.append(now, ByteBuffer.wrap(r.key()), r.value() == null ? null : ByteBuffer.wrap(r.value()));
        }
        if (b != null) {
            batches.add(b.build().buffer());
        }
        int size = batches.stream().mapToInt(ByteBuffer::remaining).sum();
        ByteBuffer out = ByteBuffer.allocate(size);
        batches.forEach(x -> out.put(x.duplicate()));
        out.flip();
        return out;
    }

    private static long ms(long millis) {
        return millis * 1_000_000L;
    }

    /** For tests: a function view of counts. */
    static TopicCounts counts(Function<String, Integer> f) {
        return f::apply;
    }
}
