package io.tributary.broker.internal.group;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * Puts the caller's host (IP) into the gRPC context, for MemberDescription.client_host.
 *
 * <p>Thread-safety: stateless.
 */
public final class ClientAddressInterceptor implements ServerInterceptor {
    static final Context.Key<String> CLIENT_HOST = Context.key("tributary-client-host");

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                       ServerCallHandler<Q, R> next) {
        SocketAddress a = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        String host = a instanceof InetSocketAddress isa ? isa.getAddress() != null
                ? isa.getAddress().getHostAddress() : isa.getHostString() : a == null ? "" : a.toString();
        return Contexts.interceptCall(Context.current().withValue(CLIENT_HOST, host), call, headers, next);
    }

    static String clientHost() {
        String h = CLIENT_HOST.get();
        return h == null ? "" : h;
    }
}
