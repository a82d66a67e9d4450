package io.tributary.replication;

import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.server.RaftServerConfigKeys;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Ratis settings of a broker's Raft server, with the reasons (DESIGN.md "Replication",
 * DEPENDENCIES.md). {@link ReplicationConfig#raftProperties()} overrides any of them, last.
 * Also holds Tributary's own group-commit keys (read from the same map).
 */
final class RatisSettings {

    /** Group commit: the largest entry the leader builds from several appends. */
    static final String ENTRY_MAX_BYTES = "tributary.partition.entry.max.bytes";
    static final int ENTRY_MAX_BYTES_DEFAULT = 1024 * 1024;
    /** Group commit: uncommitted entries per partition before appends wait (and coalesce). */
    static final String IN_FLIGHT_ENTRIES_MAX = "tributary.partition.inflight.entries.max";
    static final int IN_FLIGHT_ENTRIES_MAX_DEFAULT = 8;

    private RatisSettings() {
    }

    /** The defaults, by key (before the config's overrides). */
    static Map<String, String> defaults() {
        Map<String, String> m = new LinkedHashMap<>();
        // Bulk bytes live in the partition log (DataApi): Ratis keeps no copy in its cache and
        // asks DataApi.read() for entries it sends to followers.
        m.put(RaftServerConfigKeys.Log.StateMachineData.CACHING_ENABLED_KEY, "true");
        // One entry, data included, must fit the appender buffer; entries are <= 1 MiB (group
        // commit) or one client append (max.message.bytes ~1 MiB). The Raft log worker's direct
        // write buffer must be >= this + 8 bytes, per group: keep it small.
        m.put(RaftServerConfigKeys.Log.Appender.BUFFER_BYTE_LIMIT_KEY, "2MB");
        m.put(RaftServerConfigKeys.Log.WRITE_BUFFER_SIZE_KEY, "2112KB");
        // gRPC messages must hold the appender buffer plus 1 MB or the server refuses to start.
        m.put(GrpcConfigKeys.MESSAGE_SIZE_MAX_KEY, "4MB");
        m.put(GrpcConfigKeys.Server.LEADER_OUTSTANDING_APPENDS_MAX_KEY, "128");
        // Pending requests per group: >= 2x the in-flight bytes (8 x 1 MiB entries per partition).
        m.put(RaftServerConfigKeys.Write.BYTE_LIMIT_KEY, "64MB");
        m.put(RaftServerConfigKeys.Write.ELEMENT_LIMIT_KEY, "8192");
        // The commit index is not persisted: a restarted replica re-learns it from the leader and
        // re-applies from its snapshot (the partition log is rebuilt deterministically). ~25-30 %
        // less CPU at light load.
        m.put(RaftServerConfigKeys.Log.LOG_METADATA_ENABLED_KEY, "false");
        // The Raft log holds only headers (~100 bytes an entry): small segments, small zero-filled
        // preallocation. Ratis purges whole closed segments only, so the segment size sets how far
        // the purge (and with it retention, which never deletes what the Raft log may still read)
        // trails the snapshots: 1 MB is ~10k entries, about one snapshot interval.
        m.put(RaftServerConfigKeys.Log.SEGMENT_SIZE_MAX_KEY, "1MB");
        m.put(RaftServerConfigKeys.Log.PREALLOCATED_SIZE_KEY, "256KB");
        // Snapshots are hard links: cheap. Purge up to the snapshot: a follower behind it is
        // caught up by install-snapshot (segment files), not by replaying the Raft log.
        m.put(RaftServerConfigKeys.Snapshot.AUTO_TRIGGER_ENABLED_KEY, "true");
        m.put(RaftServerConfigKeys.Snapshot.AUTO_TRIGGER_THRESHOLD_KEY, "10000");
        m.put(RaftServerConfigKeys.Log.PURGE_UPTO_SNAPSHOT_INDEX_KEY, "true");
        m.put(RaftServerConfigKeys.Log.PURGE_GAP_KEY, "1024");
        m.put(RaftServerConfigKeys.Log.Appender.INSTALL_SNAPSHOT_ENABLED_KEY, "true");
        // No snapshot when a group is removed: its data is deleted (or kept as it is), and Ratis
        // takes it after the division is gone, when the state machine can no longer read the Raft
        // log (see PartitionStateMachine.takeSnapshot, which must never throw).
        m.put(RaftServerConfigKeys.Snapshot.TRIGGER_WHEN_REMOVE_ENABLED_KEY, "false");
        // Threads. Ratis 3.2 runs per group: a Raft log worker, a state machine updater, a log cache
        // evictor, a follower timer (followers) or leader event processor plus one appender per
        // follower (leaders), all fixed by its design (~4.3 per replica at replication factor 3).
        // On top, each group has a "server" and a "client" executor whose default (cached, size 0)
        // is unbounded: every concurrent request may add a thread. They only hop the submission
        // of a request to a thread of its own (the work itself is serialised by the group's lock
        // and returns futures), so one thread each is enough; cached, it ends after 60 s idle.
        m.put(RaftServerConfigKeys.ThreadPool.SERVER_CACHED_KEY, "true");
        m.put(RaftServerConfigKeys.ThreadPool.SERVER_SIZE_KEY, "1");
        m.put(RaftServerConfigKeys.ThreadPool.CLIENT_CACHED_KEY, "true");
        m.put(RaftServerConfigKeys.ThreadPool.CLIENT_SIZE_KEY, "1");
        // Ratis's gRPC transport with log appenders that are restarted after a failure (Ratis 3.2.2
        // never restarts one: the follower would get nothing until the next leader change).
        m.put(org.apache.ratis.RaftConfigKeys.Rpc.TYPE_KEY,
                io.tributary.replication.partition.RestartingGrpcRpcType.class.getName());
        // Election timeouts: Ratis defaults (150-300 ms), stated here so they are visible.
        m.put(RaftServerConfigKeys.Rpc.TIMEOUT_MIN_KEY, "150ms");
        m.put(RaftServerConfigKeys.Rpc.TIMEOUT_MAX_KEY, "300ms");
        m.put(io.tributary.replication.partition.PartitionManager.RETENTION_CHECK_INTERVAL_MS,
                Long.toString(io.tributary.replication.partition.PartitionManager.RETENTION_CHECK_INTERVAL_MS_DEFAULT));
        m.put(ENTRY_MAX_BYTES, Integer.toString(ENTRY_MAX_BYTES_DEFAULT));
        m.put(IN_FLIGHT_ENTRIES_MAX, Integer.toString(IN_FLIGHT_ENTRIES_MAX_DEFAULT));
        return m;
    }

    /** The effective settings: defaults, then the config's overrides. */
    static Map<String, String> effective(ReplicationConfig config) {
        Map<String, String> m = defaults();
        m.putAll(config.raftProperties());
        return m;
    }

    static RaftProperties toRaftProperties(ReplicationConfig config, Map<String, String> effective) {
        RaftProperties p = new RaftProperties();
        effective.forEach((k, v) -> {
            if (k.startsWith("raft.")) {
                p.set(k, v);
            }
        });
        RaftServerConfigKeys.setStorageDir(p, java.util.List.of(config.metadataDir().resolve("raft").toFile()));
        GrpcConfigKeys.Server.setHost(p, config.advertisedHost());
        GrpcConfigKeys.Server.setPort(p, config.raftPort());
        return p;
    }
}
