package io.tributary.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.client.errors.ConfigException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ClientConfigTest {

    @Test
    void shouldFillDefaultsAndParseBootstrapServers() {
        ClientConfig c = ClientConfig.of(Map.of(ClientConfig.BOOTSTRAP_SERVERS, "127.0.0.1:7401, [::1]:7402,host:1"));
        assertThat(c.bootstrapServers()).containsExactly(InetSocketAddress.createUnresolved("127.0.0.1", 7401),
                InetSocketAddress.createUnresolved("::1", 7402), InetSocketAddress.createUnresolved("host", 1));
        assertThat(c.getInt(ClientConfig.REQUEST_TIMEOUT_MS)).isEqualTo(30_000);
        assertThat(c.getLong(ClientConfig.RETRY_BACKOFF_MS)).isEqualTo(100L);
        assertThat(c.clientId()).isEmpty();
        assertThat(c.toString()).contains("bootstrap.servers = [127.0.0.1:7401, [::1]:7402, host:1]");
    }

    @Test
    void shouldAcceptTypedValuesAndProperties() {
        Properties p = new Properties();
        p.setProperty("bootstrap.servers", "a:1");
        p.setProperty("request.timeout.ms", " 500 ");
        ClientConfig c = new ClientConfig(ClientConfig.commonDef(), ClientConfig.toMap(p)) { };
        assertThat(c.getInt(ClientConfig.REQUEST_TIMEOUT_MS)).isEqualTo(500);
        ClientConfig typed = ClientConfig.of(Map.of("bootstrap.servers", List.of("a:1", "b:2"),
                "retry.backoff.ms", 5, "retry.backoff.max.ms", 50L));
        assertThat(typed.getLong(ClientConfig.RETRY_BACKOFF_MS)).isEqualTo(5L);
        assertThat(typed.retryBackoffMs(1)).isEqualTo(5);
        assertThat(typed.retryBackoffMs(3)).isEqualTo(20);
        assertThat(typed.retryBackoffMs(100)).isEqualTo(50);
    }

    @Test
    void shouldRejectMissingUnknownAndBadValuesNamingTheKey() {
        assertThatThrownBy(() -> ClientConfig.of(Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("bootstrap.servers");
        assertThatThrownBy(() -> ClientConfig.of(Map.of("bootstrap.servers", "a:1", "linger.msec", "5")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("linger.msec");
        assertThatThrownBy(() -> ClientConfig.of(Map.of("bootstrap.servers", "a:1", "request.timeout.ms", "soon")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("request.timeout.ms")
                .hasMessageContaining("soon");
        assertThatThrownBy(() -> ClientConfig.of(Map.of("bootstrap.servers", "a:1", "request.timeout.ms", "0")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("at least 1");
        assertThatThrownBy(() -> ClientConfig.of(Map.of("bootstrap.servers", "a")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("host:port");
        assertThatThrownBy(() -> ClientConfig.of(Map.of("bootstrap.servers", "a:70000")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("1..65535");
        assertThatThrownBy(() -> ClientConfig.of(Map.of("bootstrap.servers", " , ")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("at least one");
        assertThatThrownBy(() -> ClientConfig.of(Map.of("bootstrap.servers", "a:1", "retry.backoff.ms", "5000")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("retry.backoff.max.ms");
        assertThatThrownBy(() -> ClientConfig.of(Map.of("bootstrap.servers", "a:1", "keepalive.time.ms", 1000L)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("keepalive.time.ms");
    }

    @Test
    void shouldValidateEnumsAndBooleans() {
        ConfigDef def = ClientConfig.commonDef()
                .define("acks", ConfigDef.Type.STRING, "all", ConfigDef.oneOf("all", "none"), "acks")
                .define("flag", ConfigDef.Type.BOOLEAN, true, "a flag");
        assertThatThrownBy(() -> new ClientConfig(def, Map.of("bootstrap.servers", "a:1", "acks", "1")) { })
                .isInstanceOf(ConfigException.class).hasMessageContaining("[all, none]");
        assertThatThrownBy(() -> new ClientConfig(def, Map.of("bootstrap.servers", "a:1", "flag", "yes")) { })
                .isInstanceOf(ConfigException.class).hasMessageContaining("true or false");
        ClientConfig c = new ClientConfig(def, Map.of("bootstrap.servers", "a:1", "flag", "FALSE")) { };
        assertThat(c.getBoolean("flag")).isFalse();
        assertThat(c.getString("acks")).isEqualTo("all");
    }
}
