package io.tributary.broker.internal.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.broker.internal.group.GroupRecordFormat.GroupKey;
import io.tributary.broker.internal.group.GroupRecordFormat.GroupValue;
import io.tributary.broker.internal.group.GroupRecordFormat.MarkerKey;
import io.tributary.broker.internal.group.GroupRecordFormat.MarkerValue;
import io.tributary.broker.internal.group.GroupRecordFormat.MemberKey;
import io.tributary.broker.internal.group.GroupRecordFormat.MemberValue;
import io.tributary.broker.internal.group.GroupRecordFormat.OffsetKey;
import io.tributary.broker.internal.group.GroupRecordFormat.OffsetValue;
import io.tributary.replication.TopicPartition;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The __consumer_offsets record format (FORMAT.md): committed golden files of version 0 (written
 * by an independent encoder from the spec) decode to the expected values and re-encode to the
 * same bytes; other versions and damaged bytes are refused.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class GroupRecordFormatTest {

    static final OffsetKey OFFSET_KEY = new OffsetKey("orders-app", "orders", 3);
    static final OffsetValue OFFSET_VALUE = new OffsetValue(42, "host-a", 1764000000000L);
    static final GroupKey GROUP_KEY = new GroupKey("orders-app");
    /** Version 0 has no empty_since_ms: it reads as NOT_EMPTY. */
    static final GroupValue GROUP_VALUE_V0 = new GroupValue(7, "sticky", GroupValue.NOT_EMPTY);
    static final GroupValue GROUP_VALUE = new GroupValue(7, "sticky", 1764000000000L);
    static final MemberKey MEMBER_KEY = new MemberKey("orders-app", "m-1");
    static final MemberValue MEMBER_VALUE;
    static final MarkerValue MARKER_VALUE = new MarkerValue(2, 5);

    static {
        Map<TopicPartition, Integer> assigned = new LinkedHashMap<>();
        assigned.put(new TopicPartition("orders", 0), 2);
        Map<TopicPartition, Integer> revoking = new LinkedHashMap<>();
        revoking.put(new TopicPartition("orders", 2), 1);
        MEMBER_VALUE = new MemberValue("c1", "10.0.0.1", 45000, 60000, "", 4, List.of("orders"),
                List.of(new TopicPartition("orders", 0), new TopicPartition("orders", 1)), assigned, revoking);
    }

    static byte[] golden(String name) {
        return golden(0, name);
    }

    static byte[] golden(int version, String name) {
        try (InputStream in = GroupRecordFormatTest.class.getResourceAsStream("/format/group/v" + version + "/"
                + name)) {
            assertThat(in).as("golden file %s", name).isNotNull();
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void shouldReadTheVersion0GoldenFiles() {
        assertThat(GroupRecordFormat.decodeKey(ByteBuffer.wrap(golden("offset.key")))).isEqualTo(OFFSET_KEY);
        assertThat(GroupRecordFormat.decodeValue(OFFSET_KEY, ByteBuffer.wrap(golden("offset.value"))))
                .isEqualTo(OFFSET_VALUE);
        assertThat(GroupRecordFormat.decodeKey(ByteBuffer.wrap(golden("group.key")))).isEqualTo(GROUP_KEY);
        assertThat(GroupRecordFormat.decodeValue(GROUP_KEY, ByteBuffer.wrap(golden("group.value"))))
                .isEqualTo(GROUP_VALUE_V0);
        assertThat(GroupRecordFormat.decodeKey(ByteBuffer.wrap(golden("member.key")))).isEqualTo(MEMBER_KEY);
        assertThat(GroupRecordFormat.decodeValue(MEMBER_KEY, ByteBuffer.wrap(golden("member.value"))))
                .isEqualTo(MEMBER_VALUE);
        assertThat(GroupRecordFormat.decodeKey(ByteBuffer.wrap(golden("marker.key")))).isEqualTo(new MarkerKey());
        assertThat(GroupRecordFormat.decodeValue(new MarkerKey(), ByteBuffer.wrap(golden("marker.value"))))
                .isEqualTo(MARKER_VALUE);
    }

    @Test
    void shouldReadTheVersion1GoldenFiles() {
        assertThat(GroupRecordFormat.decodeValue(GROUP_KEY, ByteBuffer.wrap(golden(1, "group.value"))))
                .isEqualTo(GROUP_VALUE);
    }

    @Test
    void shouldWriteExactlyTheGoldenBytes() {
        assertThat(GroupRecordFormat.encodeKey(OFFSET_KEY)).isEqualTo(golden("offset.key"));
        assertThat(GroupRecordFormat.encodeOffset(OFFSET_VALUE)).isEqualTo(golden("offset.value"));
        assertThat(GroupRecordFormat.encodeKey(GROUP_KEY)).isEqualTo(golden("group.key"));
        assertThat(GroupRecordFormat.encodeGroup(GROUP_VALUE)).isEqualTo(golden(1, "group.value"));
        assertThat(GroupRecordFormat.encodeKey(MEMBER_KEY)).isEqualTo(golden("member.key"));
        assertThat(GroupRecordFormat.encodeMember(MEMBER_VALUE)).isEqualTo(golden("member.value"));
        assertThat(GroupRecordFormat.encodeKey(new MarkerKey())).isEqualTo(golden("marker.key"));
        assertThat(GroupRecordFormat.encodeMarker(MARKER_VALUE)).isEqualTo(golden("marker.value"));
    }

    @Test
    void shouldRefuseOtherVersionsAndDamagedBytes() {
        byte[] key = golden("offset.key");
        key[1] = 1;
        assertThatThrownBy(() -> GroupRecordFormat.decodeKey(ByteBuffer.wrap(key)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("key version 1");
        byte[] value = golden("member.value");
        value[1] = 1;
        assertThatThrownBy(() -> GroupRecordFormat.decodeValue(MEMBER_KEY, ByteBuffer.wrap(value)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("value version 1");
        byte[] groupV2 = golden(1, "group.value");
        groupV2[1] = 2;
        assertThatThrownBy(() -> GroupRecordFormat.decodeValue(GROUP_KEY, ByteBuffer.wrap(groupV2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("value version 2");
        byte[] offsetV1 = golden("offset.value");
        offsetV1[1] = 1;
        assertThatThrownBy(() -> GroupRecordFormat.decodeValue(OFFSET_KEY, ByteBuffer.wrap(offsetV1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("value version 1");
        byte[] groupV1Short = java.util.Arrays.copyOf(golden(1, "group.value"), 18);
        assertThatThrownBy(() -> GroupRecordFormat.decodeValue(GROUP_KEY, ByteBuffer.wrap(groupV1Short)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("truncated");
        byte[] truncated = java.util.Arrays.copyOf(golden("member.value"), 50);
        assertThatThrownBy(() -> GroupRecordFormat.decodeValue(MEMBER_KEY, ByteBuffer.wrap(truncated)))
                .isInstanceOf(IllegalArgumentException.class);
        byte[] unknownType = golden("marker.key");
        unknownType[3] = 9;
        assertThatThrownBy(() -> GroupRecordFormat.decodeKey(ByteBuffer.wrap(unknownType)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("type 9");
        byte[] trailing = java.util.Arrays.copyOf(golden("group.key"), 17);
        assertThatThrownBy(() -> GroupRecordFormat.decodeKey(ByteBuffer.wrap(trailing)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("trailing");
    }

    @Test
    void shouldRoundTripUnicodeAndEmptyCollections() {
        MemberValue v = new MemberValue("clïent", "", 1, 2, "range", 0, List.of(), List.of(), Map.of(), Map.of());
        MemberKey k = new MemberKey("grüppe", "ß");
        assertThat(GroupRecordFormat.decodeKey(ByteBuffer.wrap(GroupRecordFormat.encodeKey(k)))).isEqualTo(k);
        assertThat(GroupRecordFormat.decodeValue(k, ByteBuffer.wrap(GroupRecordFormat.encodeMember(v)))).isEqualTo(v);
    }
}
