package io.tributary.client.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.client.errors.ConfigException;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ConsumerConfigTest {

    private static final String BOOT = "127.0.0.1:7401";

    @Test
    void shouldHaveKafkaLikeDefaults() {
        ConsumerConfig c = new ConsumerConfig(Map.of("bootstrap.servers", BOOT));
        assertThat(c.groupId()).isNull();
        assertThat(c.autoCommit()).isFalse();
        assertThat(c.autoOffsetReset()).isEqualTo(ConsumerConfig.OffsetReset.LATEST);
        assertThat(c.maxPollRecords()).isEqualTo(500);
        assertThat(c.fetchMaxBytes()).isEqualTo(1024 * 1024);
        assertThat(c.maxBufferedBytes()).isEqualTo(32L * 1024 * 1024);
        assertThat(c.autoCommitInterval().toMillis()).isEqualTo(5_000);
        assertThat(c.defaultApiTimeout().toMillis()).isEqualTo(60_000);
    }

    @Test
    void shouldAutoCommitByDefaultOnlyWithAGroup() {
        assertThat(new ConsumerConfig(Map.of("bootstrap.servers", BOOT, "group.id", "g")).autoCommit()).isTrue();
        assertThat(new ConsumerConfig(Map.of("bootstrap.servers", BOOT, "group.id", "g",
                "enable.auto.commit", "false")).autoCommit()).isFalse();
        assertThatThrownBy(() -> new ConsumerConfig(Map.of("bootstrap.servers", BOOT, "enable.auto.commit", true)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("group.id");
    }

    @Test
    void shouldParsePropertiesAndRejectBadValuesNamingTheKey() {
        Properties p = new Properties();
        p.setProperty("bootstrap.servers", BOOT);
        p.setProperty("auto.offset.reset", "EARLIEST");
        p.setProperty("max.poll.records", "10");
        ConsumerConfig c = new ConsumerConfig(p);
        assertThat(c.autoOffsetReset()).isEqualTo(ConsumerConfig.OffsetReset.EARLIEST);
        assertThat(c.maxPollRecords()).isEqualTo(10);
        assertThatThrownBy(() -> new ConsumerConfig(Map.of("bootstrap.servers", BOOT, "max.poll.records", 0)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("max.poll.records");
        assertThatThrownBy(() -> new ConsumerConfig(Map.of("bootstrap.servers", BOOT, "group.id", "")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("group.id");
        assertThatThrownBy(() -> new ConsumerConfig(Map.of("bootstrap.servers", BOOT, "group.assignor", "random")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("group.assignor");
        assertThatThrownBy(() -> new ConsumerConfig(Map.of("bootstrap.servers", BOOT, "fetch.min.bytes", 1)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("fetch.min.bytes");
    }
}
