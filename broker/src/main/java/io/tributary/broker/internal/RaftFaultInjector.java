package io.tributary.broker.internal;

import org.apache.ratis.util.CodeInjectionForTesting;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

/**
 * Test-only network partition of a broker's Raft traffic, through Ratis's own injection points
 * ({@link CodeInjectionForTesting}, ratis-3.2.2): while a broker is isolated, every Raft request
 * it receives (RaftServerImpl.appendEntries, .requestVote, .installSnapshot) and every one it sends
 * (GrpcServicesImpl.sendRequest, used by the log appender and elections) fails with an
 * IOException, in both directions and for every Raft group it hosts. Its followers stop hearing
 * from it and elect a new leader; it cannot reach a majority, so it cannot commit.
 *
 * <p>Ratis's injection table is static (one per JVM): the hooks are installed once and consult a
 * set of isolated peer ids, so several brokers in one JVM can be isolated independently; a
 * request whose sender or receiver is isolated fails. Enabled only with
 * {@code test.fault.injection.enabled=true}.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class RaftFaultInjector {
    private static final Logger LOG = LoggerFactory.getLogger(RaftFaultInjector.class);

    /** Injection point names in ratis-3.2.2 (RaftServerImpl.REQUEST_VOTE etc. are package-private). */
    static final String REQUEST_VOTE = "RaftServerImpl.requestVote";
    static final String APPEND_ENTRIES = "RaftServerImpl.appendEntries";
    static final String INSTALL_SNAPSHOT = "RaftServerImpl.installSnapshot";
    static final String SEND_SERVER_REQUEST = "GrpcServicesImpl.sendRequest";

    /** Outgoing attempts of an isolated peer pause this long before failing, so retry loops do not spin. */
    private static final long OUTGOING_PAUSE_NANOS = 50_000_000L;

    private static final Set<String> ISOLATED = ConcurrentHashMap.newKeySet();
    private static volatile boolean installed;

    private final String peerId;

    /** @param peerId this broker's Raft peer id (its node id in decimal) */
    public RaftFaultInjector(String peerId) {
        this.peerId = peerId;
        install();
    }

    private static synchronized void install() {
        if (installed) {
            return;
        }
        CodeInjectionForTesting.Code incoming = (localId, remoteId, args) -> {
            if (isIsolated(localId) || isIsolated(remoteId)) {
                throw sneaky(new IOException("Raft traffic between " + localId + " and " + remoteId
                        + " is blocked by fault injection"));
            }
            return false;
        };
        CodeInjectionForTesting.put(REQUEST_VOTE, incoming);
        CodeInjectionForTesting.put(APPEND_ENTRIES, incoming);
        CodeInjectionForTesting.put(INSTALL_SNAPSHOT, incoming);
        CodeInjectionForTesting.put(SEND_SERVER_REQUEST, (localId, remoteId, args) -> {
            if (isIsolated(localId)) {
                LockSupport.parkNanos(OUTGOING_PAUSE_NANOS);
                throw sneaky(new IOException("Raft traffic from " + localId + " is blocked by fault injection"));
            }
            return false;
        });
        installed = true;
    }

    private static boolean isIsolated(Object peer) {
        return peer != null && !ISOLATED.isEmpty() && ISOLATED.contains(peer.toString());
    }

    /** Blocks this broker's Raft traffic in both directions. */
    public void isolate() {
        ISOLATED.add(peerId);
        LOG.warn("FAULT INJECTION: Raft traffic of peer {} is now blocked in both directions", peerId);
    }

    /** Lets this broker's Raft traffic through again. */
    public void heal() {
        ISOLATED.remove(peerId);
        LOG.warn("FAULT INJECTION: Raft traffic of peer {} flows again", peerId);
    }

    public boolean isIsolated() {
        return ISOLATED.contains(peerId);
    }

    @SuppressWarnings("unchecked")
    private static <E extends Throwable> RuntimeException sneaky(Throwable t) throws E {
        throw (E) t;
    }
}
