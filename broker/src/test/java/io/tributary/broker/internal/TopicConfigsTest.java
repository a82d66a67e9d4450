package io.tributary.broker.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.log.LogConfig;
import io.tributary.proto.v1.ErrorCode;
import io.tributary.replication.TopicInfo;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TopicConfigsTest {

    private final TopicConfigs configs = new TopicConfigs(LogConfig.builder().retentionMs(1000).build(), 2_000_000);

    private static void assertInvalid(Runnable r, String... fragments) {
        assertThatThrownBy(r::run).isInstanceOf(RequestException.class).satisfies(e -> {
            assertThat(((RequestException) e).code()).isEqualTo(ErrorCode.INVALID_CONFIG);
            for (String f : fragments) {
                assertThat(e.getMessage()).contains(f);
            }
        });
    }

    @Test
    void shouldOverlayTopicOverridesOnBrokerDefaults() {
        TopicInfo t = new TopicInfo("t", "id", Map.of("max.message.bytes", "5000"), List.of());
        LogConfig c = configs.effective(t);
        assertThat(c.maxMessageBytes()).isEqualTo(5000);
        assertThat(c.retentionMs()).isEqualTo(1000);
        assertThat(configs.describe(t).get("max.message.bytes")).isEqualTo(Map.entry("5000", true));
        assertThat(configs.describe(t).get("retention.ms")).isEqualTo(Map.entry("1000", false));
    }

    @Test
    void shouldRefuseUnknownKeysAndBadValuesNamingThem() {
        assertInvalid(() -> configs.validate(Map.of(), Map.of("retention.hours", "1"), Set.of()), "retention.hours");
        assertInvalid(() -> configs.validate(Map.of(), Map.of("retention.ms", "soon"), Set.of()), "retention.ms",
                "soon");
        assertInvalid(() -> configs.validate(Map.of(), Map.of("segment.bytes", "2000", "max.message.bytes", "3000"),
                Set.of()), "max.message.bytes", "segment.bytes");
        assertInvalid(() -> configs.validate(Map.of(), Map.of(), Set.of("nope")), "nope");
        assertInvalid(() -> configs.validate(Map.of(), Map.of("max.message.bytes", "3000000"), Set.of()),
                "3000000", "max.request.bytes");
    }

    @Test
    void shouldValidateAlterationsAgainstExistingOverrides() {
        Map<String, String> existing = Map.of("segment.bytes", "100000");
        assertInvalid(() -> configs.validate(existing, Map.of("max.message.bytes", "200000"), Set.of()),
                "max.message.bytes");
        assertThat(configs.validate(existing, Map.of("max.message.bytes", "200000"), Set.of("segment.bytes"))
                .maxMessageBytes()).isEqualTo(200000);
    }

    @Test
    void shouldAcceptTheProducerIdExpiryAsATopicConfig() {
        configs.validate(Map.of(), Map.of("producer.id.expiration.ms", "60000"), Set.of());
        assertInvalid(() -> configs.validate(Map.of(), Map.of("producer.id.expiration.ms", "0"), Set.of()),
                "producer.id.expiration.ms=0");
        assertInvalid(() -> configs.validate(Map.of(), Map.of("producer.id.expiration.ms", "soon"), Set.of()),
                "producer.id.expiration.ms=soon");
    }
    @Test
    void shouldLetAnInternalTopicAlterOnlySegmentAndCompactionKeys() {
        TopicConfigs.checkInternalAlteration("__consumer_offsets", Map.of("segment.bytes", "1048576",
                "min.cleanable.dirty.ratio", "0.1", "cleanup.policy", "compact"), Set.of("delete.retention.ms"));
        for (String key : List.of("retention.ms", "retention.bytes", "max.message.bytes", "message.timestamp.type",
                "producer.id.expiration.ms")) {
            assertPolicy(() -> TopicConfigs.checkInternalAlteration("__consumer_offsets", Map.of(key, "1"), Set.of()),
                    key, "cannot be altered");
            assertPolicy(() -> TopicConfigs.checkInternalAlteration("__consumer_offsets", Map.of(), Set.of(key)),
                    key, "cannot be altered");
        }
        for (String policy : List.of("delete", "compact,delete", "delete,compact")) {
            assertPolicy(() -> TopicConfigs.checkInternalAlteration("__consumer_offsets",
                    Map.of("cleanup.policy", policy), Set.of()), "cleanup.policy=" + policy, "must stay compact");
        }
        assertPolicy(() -> TopicConfigs.checkInternalAlteration("__consumer_offsets", Map.of(),
                Set.of("cleanup.policy")), "cleanup.policy", "cannot be removed");
    }

    @Test
    void shouldDescribeTheBrokerProducerIdExpirationUnlessTheTopicSetsIt() {
        TopicConfigs withBrokerValue = new TopicConfigs(LogConfig.defaults(), 2_000_000, 5000);
        assertThat(withBrokerValue.describe(new TopicInfo("t", "id", Map.of(), List.of()))
                .get("producer.id.expiration.ms")).isEqualTo(Map.entry("5000", false));
        assertThat(withBrokerValue.describe(new TopicInfo("t", "id2", Map.of("producer.id.expiration.ms", "70"),
                List.of())).get("producer.id.expiration.ms")).isEqualTo(Map.entry("70", true));
    }

    private static void assertPolicy(Runnable r, String... fragments) {
        assertThatThrownBy(r::run).isInstanceOf(RequestException.class).satisfies(e -> {
            assertThat(((RequestException) e).code()).isEqualTo(ErrorCode.POLICY_VIOLATION);
            for (String f : fragments) {
                assertThat(e.getMessage()).contains(f);
            }
        });
    }
}
