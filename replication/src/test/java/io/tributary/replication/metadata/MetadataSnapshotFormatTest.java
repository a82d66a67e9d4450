package io.tributary.replication.metadata;

import io.tributary.proto.internal.v1.BrokerRegistrationRecord;
import io.tributary.proto.internal.v1.MetadataSnapshot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(10)
class MetadataSnapshotFormatTest {

    @TempDir
    Path dir;

    private static MetadataSnapshot state() {
        return MetadataSnapshot.newBuilder().setVersion(1).setClusterId("c").setAppliedTerm(2).setAppliedIndex(42)
                .addBrokers(BrokerRegistrationRecord.newBuilder().setId(1).setHost("h").setRaftAddress("h:1"))
                .setNextProducerId(7).build();
    }

    @Test
    void shouldRoundTrip() throws IOException {
        Path f = dir.resolve("snapshot.2_42");
        MetadataSnapshotFormat.write(f, state());
        assertThat(MetadataSnapshotFormat.read(f)).isEqualTo(state());
        assertThat(Files.list(dir)).containsExactly(f);
        ByteBuffer header = ByteBuffer.wrap(Files.readAllBytes(f));
        assertThat(header.getInt(MetadataSnapshotFormat.MAGIC_OFFSET)).isEqualTo(MetadataSnapshotFormat.MAGIC);
        assertThat(header.getInt(MetadataSnapshotFormat.VERSION_OFFSET)).isEqualTo(1);
    }

    @Test
    void shouldRefuseACorruptPayload() throws IOException {
        Path f = dir.resolve("s");
        MetadataSnapshotFormat.write(f, state());
        byte[] bytes = Files.readAllBytes(f);
        bytes[bytes.length - 1] ^= 0x40;
        Files.write(f, bytes);
        assertThatThrownBy(() -> MetadataSnapshotFormat.read(f)).isInstanceOf(IOException.class)
                .hasMessageContaining("corrupt").hasMessageContaining(f.toString());
    }

    @Test
    void shouldRefuseANewerVersionAndAShortFile() throws IOException {
        Path f = dir.resolve("s");
        MetadataSnapshotFormat.write(f, state());
        byte[] bytes = Files.readAllBytes(f);
        ByteBuffer.wrap(bytes).putInt(MetadataSnapshotFormat.VERSION_OFFSET, 9);
        Files.write(f, bytes);
        assertThatThrownBy(() -> MetadataSnapshotFormat.read(f)).hasMessageContaining("version 9");
        Files.write(f, new byte[5]);
        assertThatThrownBy(() -> MetadataSnapshotFormat.read(f)).hasMessageContaining("shorter");
    }

    @Test
    void shouldRefuseANewerStateVersion() {
        assertThatThrownBy(() -> MetadataImage.fromProto(state().toBuilder().setVersion(2).build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("version 2");
    }
}
