package io.tributary.broker.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.proto.v1.ErrorCode;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TopicNamesTest {

    @Test
    void shouldAcceptValidNames() {
        assertThatCode(() -> TopicNames.validateNew("orders.v1_eu-west")).doesNotThrowAnyException();
        assertThatCode(() -> TopicNames.validateNew("a".repeat(249))).doesNotThrowAnyException();
        assertThatCode(() -> TopicNames.validate("__consumer_offsets")).doesNotThrowAnyException();
    }

    @Test
    void shouldRejectInvalidNames() {
        for (String bad : new String[] {"", ".", "..", "a".repeat(250), "or ders", "orders/1", "ördér", "a\nb"}) {
            assertThatThrownBy(() -> TopicNames.validate(bad)).as("'%s'", bad).isInstanceOf(RequestException.class)
                    .satisfies(e -> assertThat(((RequestException) e).code()).isEqualTo(ErrorCode.INVALID_TOPIC_NAME));
        }
        assertThatThrownBy(() -> TopicNames.validateNew("__mine")).hasMessageContaining("reserved");
    }
}
