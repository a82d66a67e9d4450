package io.tributary.broker.internal.group;

import static org.awaitility.Awaitility.await;

import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.tributary.broker.TestCluster;
import io.tributary.proto.v1.ErrorCode;
import io.tributary.proto.v1.ErrorDetail;
import io.tributary.proto.v1.FindCoordinatorRequest;
import io.tributary.proto.v1.GroupCoordinator;
import io.tributary.proto.v1.GroupServiceGrpc;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * Raw gRPC group calls against a {@link TestCluster}, routed like a client: FindCoordinator, then
 * the coordinator; retriable routing errors (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS,
 * COORDINATOR_NOT_AVAILABLE, a broker going away) make it find the coordinator again.
 */
final class GroupCalls {
    private final TestCluster cluster;

    GroupCalls(TestCluster cluster) {
        this.cluster = cluster;
    }

    GroupServiceGrpc.GroupServiceBlockingStub stub(int broker) {
        return GroupServiceGrpc.newBlockingStub(cluster.channel(broker)).withDeadlineAfter(20, TimeUnit.SECONDS);
    }

    /** The coordinator's broker id, once FindCoordinator names one (asked of any live broker). */
    int coordinator(String groupId) {
        AtomicReference<Integer> id = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).ignoreExceptions().until(() -> {
            for (int b = 1; b <= cluster.size(); b++) {
                if (cluster.broker(b) == null) {
                    continue;
                }
                GroupCoordinator c = cluster.metadata(b).withDeadlineAfter(5, TimeUnit.SECONDS)
                        .findCoordinator(FindCoordinatorRequest.newBuilder().addGroupIds(groupId).build())
                        .getCoordinators(0);
                if (!c.hasError() && cluster.broker(c.getCoordinator().getBrokerId()) != null) {
                    id.set(c.getCoordinator().getBrokerId());
                    return true;
                }
            }
            return false;
        });
        return id.get();
    }

    /** Runs {@code call} on the group's coordinator, retrying routing errors for up to 60 s. */
    <T> T call(String groupId, Function<GroupServiceGrpc.GroupServiceBlockingStub, T> call) {
        AtomicReference<T> out = new AtomicReference<>();
        AtomicReference<RuntimeException> fatal = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
            try {
                out.set(call.apply(stub(coordinator(groupId))));
                return true;
            } catch (StatusRuntimeException e) {
                if (isRouting(e)) {
                    return false;
                }
                fatal.set(e);
                return true;
            }
        });
        if (fatal.get() != null) {
            throw fatal.get();
        }
        return out.get();
    }

    static boolean isRouting(StatusRuntimeException e) {
        ErrorDetail d = detail(e);
        if (d == null) {
            return true; // connection-level failure: a broker going away
        }
        ErrorCode c = d.getCode();
        return c == ErrorCode.NOT_COORDINATOR || c == ErrorCode.COORDINATOR_LOAD_IN_PROGRESS
                || c == ErrorCode.COORDINATOR_NOT_AVAILABLE || c == ErrorCode.REQUEST_TIMED_OUT;
    }

    /** The ErrorDetail of a failed call, or null when it carries none. */
    static ErrorDetail detail(StatusRuntimeException e) {
        com.google.rpc.Status s = StatusProto.fromThrowable(e);
        if (s == null || s.getDetailsCount() == 0) {
            return null;
        }
        try {
            return s.getDetails(0).unpack(ErrorDetail.class);
        } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
            return null;
        }
    }

    static ErrorCode code(Runnable r) {
        try {
            r.run();
            return ErrorCode.NONE;
        } catch (StatusRuntimeException e) {
            ErrorDetail d = detail(e);
            return d == null ? ErrorCode.UNKNOWN : d.getCode();
        }
    }
}
