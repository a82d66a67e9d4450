package io.tributary.log.internal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(10)
class OffsetMapTest {

    static ByteBuffer key(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void shouldMapKeysToTheirNewestOffset() {
        OffsetMap map = new OffsetMap(1 << 20);
        map.put(key("a"), 1);
        map.put(key("b"), 2);
        map.put(key("a"), 7);
        map.put(key(""), 9);

        assertThat(map.get(key("a"))).isEqualTo(7);
        assertThat(map.get(key("b"))).isEqualTo(2);
        assertThat(map.get(key(""))).isEqualTo(9);
        assertThat(map.get(key("c"))).isEqualTo(-1);
        assertThat(map.size()).isEqualTo(3);
    }

    @Test
    void shouldNotMoveTheKeyBuffer() {
        OffsetMap map = new OffsetMap(1 << 20);
        ByteBuffer k = key("abc");
        map.put(k, 3);
        assertThat(k.remaining()).isEqualTo(3);
        assertThat(map.get(k.asReadOnlyBuffer())).isEqualTo(3);
    }

    @Test
    void shouldGrowWithinTheBudgetAndKeepEveryKey() {
        OffsetMap map = new OffsetMap(64L << 20);
        int n = 200_000;
        for (int i = 0; i < n; i++) {
            map.put(key("k" + i), i);
        }
        for (int i = 0; i < n; i++) {
            assertThat(map.get(key("k" + i))).isEqualTo(i);
        }
        assertThat(map.memoryBytes()).isLessThanOrEqualTo(64L << 20).isGreaterThan((long) n * OffsetMap.BYTES_PER_ENTRY);
    }

    @Test
    void shouldSayWhenTheBudgetIsFullAndRefuseNewKeys() {
        OffsetMap map = new OffsetMap(1024); // 42 slots, 33 keys at the load factor
        assertThat(map.maxEntries()).isEqualTo(33);
        for (int i = 0; i < 33; i++) {
            assertThat(map.hasRoomFor(1)).isTrue();
            map.put(key("k" + i), i);
        }
        assertThat(map.hasRoomFor(1)).isFalse();
        map.put(key("k0"), 100); // an update needs no room
        assertThat(map.get(key("k0"))).isEqualTo(100);
        assertThatThrownBy(() -> map.put(key("new"), 1)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("full");
    }

    @Test
    void shouldForgetEverythingOnClear() {
        OffsetMap map = new OffsetMap(1024);
        map.put(key("a"), 1);
        map.clear();
        assertThat(map.size()).isZero();
        assertThat(map.get(key("a"))).isEqualTo(-1);
        assertThat(map.hasRoomFor(33)).isTrue();
    }

    @Test
    void shouldRefuseABudgetTooSmallForAFewKeys() {
        assertThatThrownBy(() -> new OffsetMap(100)).isInstanceOf(IllegalArgumentException.class);
    }
}
