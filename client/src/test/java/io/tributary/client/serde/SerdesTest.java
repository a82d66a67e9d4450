package io.tributary.client.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.client.errors.SerializationException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.serialization.LongSerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SerdesTest {

    public record Order(String id, long amount, List<String> items) {
    }

    @Test
    void shouldWriteTheSameBytesAsKafkaForStringsAndLongs() {
        try (StringSerializer ks = new StringSerializer(); LongSerializer kl = new LongSerializer()) {
            for (String s : new String[] {"", "abc", "héllo wörld ✓ 🚀"}) {
                assertThat(Serdes.stringSerializer().serialize("t", s)).isEqualTo(ks.serialize("t", s));
                assertThat(Serdes.stringDeserializer().deserialize("t", ks.serialize("t", s))).isEqualTo(s);
                assertThat(Serdes.stringDeserializer().deserialize("t", ByteBuffer.wrap(ks.serialize("t", s))))
                        .isEqualTo(s);
            }
            for (long v : new long[] {0, 1, -1, Long.MAX_VALUE, Long.MIN_VALUE, 0x0102030405060708L}) {
                assertThat(Serdes.longSerializer().serialize("t", v)).isEqualTo(kl.serialize("t", v));
                assertThat(Serdes.longDeserializer().deserialize("t", kl.serialize("t", v))).isEqualTo(v);
            }
        }
    }

    @Test
    void shouldMapNullToNull() {
        assertThat(Serdes.stringSerializer().serialize("t", null)).isNull();
        assertThat(Serdes.longSerializer().serialize("t", null)).isNull();
        assertThat(Serdes.<Order>jsonSerializer().serialize("t", null)).isNull();
        assertThat(Serdes.bytesSerializer().serialize("t", null)).isNull();
        assertThat(Serdes.stringDeserializer().deserialize("t", (byte[]) null)).isNull();
        assertThat(Serdes.longDeserializer().deserialize("t", (ByteBuffer) null)).isNull();
        assertThat(Serdes.jsonDeserializer(Order.class).deserialize("t", (byte[]) null)).isNull();
    }

    @Test
    void shouldRoundTripJsonAndFailClearlyOnBadInput() {
        Order o = new Order("o-1", 42, List.of("a", "b"));
        byte[] json = Serdes.<Order>jsonSerializer().serialize("orders", o);
        assertThat(new String(json)).isEqualTo("{\"id\":\"o-1\",\"amount\":42,\"items\":[\"a\",\"b\"]}");
        assertThat(Serdes.jsonDeserializer(Order.class).deserialize("orders", json)).isEqualTo(o);
        ByteBuffer view = ByteBuffer.allocate(json.length + 4).position(2);
        view.put(json).flip().position(2);
        assertThat(Serdes.jsonDeserializer(Order.class).deserialize("orders", view)).isEqualTo(o);
        assertThat(view.position()).isEqualTo(2);
        assertThatThrownBy(() -> Serdes.jsonDeserializer(Order.class).deserialize("orders", "{nope".getBytes()))
                .isInstanceOf(SerializationException.class).hasMessageContaining("orders")
                .hasMessageContaining(Order.class.getName());
        assertThatThrownBy(() -> Serdes.longDeserializer().deserialize("t", new byte[3]))
                .isInstanceOf(SerializationException.class).hasMessageContaining("3 bytes");
    }
}
