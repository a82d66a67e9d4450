package io.tributary.client.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.MethodDescriptor;
import io.tributary.client.ClientConfig;
import io.tributary.client.errors.ConfigException;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ChannelPoolTest {

    /** Counts the calls it sees. */
    public static final class CountingInterceptor implements ClientInterceptor {
        static final AtomicInteger CALLS = new AtomicInteger();

        @Override
        public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
            CALLS.incrementAndGet();
            return next.newCall(method, options);
        }
    }

    @Test
    void shouldPutConfiguredInterceptorsOnEveryChannel() {
        ClientConfig config = ClientConfig.of(Map.of("bootstrap.servers", "127.0.0.1:1",
                ClientConfig.GRPC_INTERCEPTOR_CLASSES, CountingInterceptor.class.getName()));
        try (ChannelPool pool = new ChannelPool(config)) {
            int before = CountingInterceptor.CALLS.get();
            pool.channel("127.0.0.1", 1).newCall(io.tributary.proto.v1.MetadataServiceGrpc.getMetadataMethod(),
                    CallOptions.DEFAULT);
            assertThat(CountingInterceptor.CALLS.get()).isEqualTo(before + 1);
        }
    }

    @Test
    void shouldRefuseAClassThatIsNotAnInterceptorWithAClearMessage() {
        ClientConfig notAnInterceptor = ClientConfig.of(Map.of("bootstrap.servers", "127.0.0.1:1",
                ClientConfig.GRPC_INTERCEPTOR_CLASSES, String.class.getName()));
        assertThatThrownBy(() -> new ChannelPool(notAnInterceptor)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("java.lang.String does not implement io.grpc.ClientInterceptor");
        ClientConfig missing = ClientConfig.of(Map.of("bootstrap.servers", "127.0.0.1:1",
                ClientConfig.GRPC_INTERCEPTOR_CLASSES, "com.example.Nope"));
        assertThatThrownBy(() -> new ChannelPool(missing)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("cannot create com.example.Nope");
    }
}
