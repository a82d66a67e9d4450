package io.tributary.replication.partition;

import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcFactory;
import org.apache.ratis.grpc.server.GrpcLogAppender;
import org.apache.ratis.rpc.RpcFactory;
import org.apache.ratis.rpc.RpcType;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.leader.FollowerInfo;
import org.apache.ratis.server.leader.LeaderState;
import org.apache.ratis.server.leader.LogAppender;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Ratis's gRPC transport, with leader log appenders that are restarted after they fail. Set as
 * {@code raft.rpc.type} (its class name) on the broker's Raft server; not a public API.
 *
 * <p><b>Design note.</b> Ratis 3.2.2 never restarts a failed log appender: the daemon's restart
 * checks {@code isRunning()}, which is false once the daemon is in its EXCEPTION state (fixed
 * upstream by RATIS-2499, unreleased). The follower then gets no entries and no heartbeats until
 * the next leader change: it keeps asking for votes that the others refuse, and the group runs
 * one failure away from unavailability. Appenders do fail in practice: a race between an
 * INCONSISTENCY reply and a pipelined send throws "Failed to updateIncreasingly for nextIndex"
 * under load (seen here right after an election on a busy 2-core machine), and a failed
 * {@code DataApi.read} throws too. This appender catches the failure while it is still running
 * and asks the leader to replace it, after a delay that doubles (up to
 * {@value #MAX_DELAY_MS} ms) while the same follower keeps failing, so a persistent failure
 * logs one line per delay instead of looping (RATIS-2506 adds such a delay upstream).
 *
 * <p>Thread-safety: the factory is shared by the server's threads; each appender runs on its own
 * daemon thread.
 */
public final class RestartingGrpcRpcType implements RpcType {
    private static final Logger LOG = LoggerFactory.getLogger(RestartingGrpcRpcType.class);
    static final long MIN_DELAY_MS = 200;
    static final long MAX_DELAY_MS = 10_000;
    /** A failure this long after the previous one of the same follower starts from the minimum delay. */
    static final long QUIET_RESET_MS = 60_000;

    /** Instantiated by Ratis from {@code raft.rpc.type}. */
    public RestartingGrpcRpcType() {
    }

    @Override
    public String name() {
        return "GRPC";
    }

    @Override
    public RpcFactory newFactory(Parameters parameters) {
        return new Factory(parameters);
    }

    /** Ratis's gRPC factory, creating {@link RestartingAppender}s. */
    static final class Factory extends GrpcFactory {
        /** Per follower ("leader member id -> follower id"): {last failure time ms, current delay ms}. */
        private final ConcurrentHashMap<String, long[]> failures = new ConcurrentHashMap<>();

        Factory(Parameters parameters) {
            super(parameters);
        }

        @Override
        public LogAppender newLogAppender(RaftServer.Division server, LeaderState state, FollowerInfo f) {
            return new RestartingAppender(server, state, f, this);
        }

        /** The delay before restarting the appender of {@code key}, doubling while it keeps failing. */
        long nextDelayMs(String key) {
            long now = System.currentTimeMillis();
            long[] v = failures.compute(key, (k, old) -> {
                if (old == null || now - old[0] > QUIET_RESET_MS) {
                    return new long[] {now, MIN_DELAY_MS};
                }
                return new long[] {now, Math.min(MAX_DELAY_MS, old[1] * 2)};
            });
            return v[1];
        }
    }

    /** A gRPC log appender that has the leader replace it when it fails. */
    static final class RestartingAppender extends GrpcLogAppender {
        private final LeaderState leaderState;
        private final Factory factory;
        private final String key;

        RestartingAppender(RaftServer.Division server, LeaderState leaderState, FollowerInfo f, Factory factory) {
            super(server, leaderState, f);
            this.leaderState = leaderState;
            this.factory = factory;
            this.key = server.getMemberId() + "->" + f.getId();
        }

        @Override
        public void run() throws IOException {
            try {
                super.run();
            } catch (InterruptedIOException e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                if (!isRunning()) {
                    throw e;
                }
                long delayMs = factory.nextDelayMs(key);
                RestartingGrpcRpcType.LOG.warn("{} failed; the leader replaces it in {} ms: {}", this, delayMs, e.toString());
                try {
                    TimeUnit.MILLISECONDS.sleep(delayMs);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return; // stopped meanwhile (the leader stepped down or closed the appender)
                }
                if (isRunning()) {
                    leaderState.restart(this);
                }
            }
        }
    }
}
