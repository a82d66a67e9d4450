package io.tributary.replication.metadata;

import io.tributary.proto.internal.v1.AllocateProducerIds;
import io.tributary.proto.internal.v1.AlterTopicConfig;
import io.tributary.proto.internal.v1.BrokerRegistrationRecord;
import io.tributary.proto.internal.v1.CreatePartitions;
import io.tributary.proto.internal.v1.CreateTopic;
import io.tributary.proto.internal.v1.DeleteTopic;
import io.tributary.proto.internal.v1.MetadataCommand;
import io.tributary.proto.internal.v1.MetadataErrorCode;
import io.tributary.proto.internal.v1.PartitionAssignmentRecord;
import io.tributary.proto.internal.v1.ReassignPartition;
import io.tributary.proto.internal.v1.RegisterBroker;
import io.tributary.proto.internal.v1.TopicRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Map;

import static io.tributary.proto.internal.v1.MetadataErrorCode.METADATA_ERROR_CODE_INVALID_CONFIG;
import static io.tributary.proto.internal.v1.MetadataErrorCode.METADATA_ERROR_CODE_INVALID_PARTITIONS;
import static io.tributary.proto.internal.v1.MetadataErrorCode.METADATA_ERROR_CODE_INVALID_REPLICATION_FACTOR;
import static io.tributary.proto.internal.v1.MetadataErrorCode.METADATA_ERROR_CODE_INVALID_REQUEST;
import static io.tributary.proto.internal.v1.MetadataErrorCode.METADATA_ERROR_CODE_INVALID_TOPIC_NAME;
import static io.tributary.proto.internal.v1.MetadataErrorCode.METADATA_ERROR_CODE_STALE_REQUEST;
import static io.tributary.proto.internal.v1.MetadataErrorCode.METADATA_ERROR_CODE_TOPIC_ALREADY_EXISTS;
import static io.tributary.proto.internal.v1.MetadataErrorCode.METADATA_ERROR_CODE_UNKNOWN_BROKER;
import static io.tributary.proto.internal.v1.MetadataErrorCode.METADATA_ERROR_CODE_UNKNOWN_TOPIC;
import static io.tributary.proto.internal.v1.MetadataErrorCode.METADATA_ERROR_CODE_UNSPECIFIED;
import static org.assertj.core.api.Assertions.assertThat;

@Timeout(10)
class CommandApplierTest {

    private long index;

    private CommandApplier.Applied apply(MetadataImage img, MetadataCommand.Builder cmd) {
        return CommandApplier.apply(img, cmd.setVersion(1).build(), 1, ++index);
    }

    private static MetadataCommand.Builder register(int id) {
        return MetadataCommand.newBuilder().setRegisterBroker(RegisterBroker.newBuilder()
                .setBroker(BrokerRegistrationRecord.newBuilder().setId(id).setHost("127.0.0.1")
                        .setClientPort(7400 + id).setRaftAddress("127.0.0.1:" + (7500 + id)).setIncarnation(id * 10L))
                .setProposedClusterId("cluster-" + id));
    }

    private static MetadataCommand.Builder create(String name, Map<String, String> configs, List<Integer>... replicas) {
        TopicRecord.Builder t = TopicRecord.newBuilder().setName(name).setTopicId("id-" + name).putAllConfigs(configs);
        for (int p = 0; p < replicas.length; p++) {
            t.addPartitions(PartitionAssignmentRecord.newBuilder().setPartition(p).addAllReplicas(replicas[p]));
        }
        return MetadataCommand.newBuilder().setCreateTopic(CreateTopic.newBuilder().setTopic(t));
    }

    private MetadataImage threeBrokers() {
        MetadataImage img = MetadataImage.EMPTY;
        for (int id = 1; id <= 3; id++) {
            img = apply(img, register(id)).image();
        }
        return img;
    }

    private static void assertRefused(CommandApplier.Applied a, MetadataImage before, MetadataErrorCode code) {
        assertThat(a.result().getError()).isEqualTo(code);
        assertThat(a.result().getMessage()).isNotEmpty();
        assertThat(a.image().brokers()).isEqualTo(before.brokers());
        assertThat(a.image().topics()).isEqualTo(before.topics());
        assertThat(a.image().nextProducerId()).isEqualTo(before.nextProducerId());
    }

    @Test
    void shouldRegisterBrokersAndFixTheClusterIdOnce() {
        MetadataImage img = threeBrokers();
        assertThat(img.brokers()).containsOnlyKeys(1, 2, 3);
        assertThat(img.clusterId()).isEqualTo("cluster-1");
        assertThat(img.appliedIndex()).isEqualTo(3);
        MetadataImage again = apply(img, register(2).setRegisterBroker(register(2).getRegisterBroker().toBuilder()
                .setBroker(register(2).getRegisterBroker().getBroker().toBuilder().setIncarnation(99)))).image();
        assertThat(again.brokers().get(2).getIncarnation()).isEqualTo(99);
        assertThat(again.clusterId()).isEqualTo("cluster-1");
    }

    @Test
    void shouldCreateAndDeleteTopics() {
        MetadataImage img = threeBrokers();
        CommandApplier.Applied created = apply(img, create("orders", Map.of("retention.ms", "1000"),
                List.of(1, 2, 3), List.of(2, 3, 1)));
        assertThat(created.ok()).isTrue();
        assertThat(created.result().getTopic().getName()).isEqualTo("orders");
        assertThat(created.result().getAppliedIndex()).isEqualTo(index);
        assertThat(created.image().topics().get("orders").getPartitionsCount()).isEqualTo(2);

        assertRefused(apply(created.image(), create("orders", Map.of(), List.of(1))), created.image(),
                METADATA_ERROR_CODE_TOPIC_ALREADY_EXISTS);

        CommandApplier.Applied deleted = apply(created.image(), MetadataCommand.newBuilder()
                .setDeleteTopic(DeleteTopic.newBuilder().setName("orders")));
        assertThat(deleted.ok()).isTrue();
        assertThat(deleted.image().topics()).isEmpty();
        assertRefused(apply(deleted.image(), MetadataCommand.newBuilder()
                .setDeleteTopic(DeleteTopic.newBuilder().setName("orders"))), deleted.image(),
                METADATA_ERROR_CODE_UNKNOWN_TOPIC);
    }

    @Test
    void shouldRefuseInvalidTopicNames() {
        MetadataImage img = threeBrokers();
        for (String bad : new String[] {"", ".", "..", "a b", "ü", "x".repeat(250), "a/b"}) {
            assertRefused(apply(img, create(bad, Map.of(), List.of(1))), img, METADATA_ERROR_CODE_INVALID_TOPIC_NAME);
        }
        assertThat(apply(img, create("x".repeat(249), Map.of(), List.of(1))).ok()).isTrue();
        assertThat(apply(img, create("a-b_c.D9", Map.of(), List.of(1))).ok()).isTrue();
        MetadataImage withDot = apply(img, create("a.b", Map.of(), List.of(1))).image();
        assertRefused(apply(withDot, create("a_b", Map.of(), List.of(1))), withDot,
                METADATA_ERROR_CODE_INVALID_TOPIC_NAME);
    }

    @Test
    void shouldRefuseBadPartitionsAndReplicas() {
        MetadataImage img = threeBrokers();
        assertRefused(apply(img, create("t", Map.of())), img, METADATA_ERROR_CODE_INVALID_PARTITIONS);
        assertRefused(apply(img, create("t", Map.of(), List.of())), img,
                METADATA_ERROR_CODE_INVALID_REPLICATION_FACTOR);
        assertRefused(apply(img, create("t", Map.of(), List.of(1, 2, 3, 4))), img,
                METADATA_ERROR_CODE_INVALID_REPLICATION_FACTOR);
        assertRefused(apply(img, create("t", Map.of(), List.of(1, 1))), img,
                METADATA_ERROR_CODE_INVALID_REPLICATION_FACTOR);
        assertRefused(apply(img, create("t", Map.of(), List.of(1, 9))), img, METADATA_ERROR_CODE_UNKNOWN_BROKER);
    }

    @Test
    void shouldValidateConfigsWithLogConfig() {
        MetadataImage img = threeBrokers();
        assertRefused(apply(img, create("t", Map.of("retention.ms", "soon"), List.of(1))), img,
                METADATA_ERROR_CODE_INVALID_CONFIG);
        assertRefused(apply(img, create("t", Map.of("no.such.key", "1"), List.of(1))), img,
                METADATA_ERROR_CODE_INVALID_CONFIG);
        MetadataImage t = apply(img, create("t", Map.of("cleanup.policy", "compact"), List.of(1))).image();

        CommandApplier.Applied altered = apply(t, MetadataCommand.newBuilder().setAlterTopicConfig(
                AlterTopicConfig.newBuilder().setName("t").putSet("retention.ms", "5000").addRemove("cleanup.policy")));
        assertThat(altered.ok()).isTrue();
        assertThat(altered.image().topics().get("t").getConfigsMap()).containsExactly(Map.entry("retention.ms", "5000"));
        assertRefused(apply(t, MetadataCommand.newBuilder().setAlterTopicConfig(
                AlterTopicConfig.newBuilder().setName("t").putSet("segment.bytes", "1"))), t,
                METADATA_ERROR_CODE_INVALID_CONFIG);
        assertRefused(apply(t, MetadataCommand.newBuilder().setAlterTopicConfig(
                AlterTopicConfig.newBuilder().setName("nope").putSet("retention.ms", "1"))), t,
                METADATA_ERROR_CODE_UNKNOWN_TOPIC);
    }

    @Test
    void shouldAddPartitionsOnlyFromTheCurrentCount() {
        MetadataImage img = apply(threeBrokers(), create("t", Map.of(), List.of(1, 2))).image();
        MetadataCommand.Builder grow = MetadataCommand.newBuilder().setCreatePartitions(CreatePartitions.newBuilder()
                .setName("t").setCurrentCount(1)
                .addNewPartitions(PartitionAssignmentRecord.newBuilder().setPartition(1).addAllReplicas(List.of(2, 3))));
        CommandApplier.Applied grown = apply(img, grow);
        assertThat(grown.ok()).isTrue();
        assertThat(grown.image().topics().get("t").getPartitionsCount()).isEqualTo(2);
        assertRefused(apply(grown.image(), grow), grown.image(), METADATA_ERROR_CODE_STALE_REQUEST);
        assertRefused(apply(img, MetadataCommand.newBuilder().setCreatePartitions(CreatePartitions.newBuilder()
                .setName("t").setCurrentCount(1)
                .addNewPartitions(PartitionAssignmentRecord.newBuilder().setPartition(5).addReplicas(1)))), img,
                METADATA_ERROR_CODE_INVALID_REQUEST);
    }

    @Test
    void shouldReassignOnlyWhenTheReplicasAreAsExpected() {
        MetadataImage img = apply(threeBrokers(), register(4)).image();
        img = apply(img, create("t", Map.of(), List.of(1, 2, 3))).image();
        MetadataCommand.Builder move = MetadataCommand.newBuilder().setReassignPartition(ReassignPartition.newBuilder()
                .setTopic("t").setTopicId("id-t").setPartition(0).addAllExpectedReplicas(List.of(1, 2, 3))
                .addAllNewReplicas(List.of(4, 2, 3)));
        CommandApplier.Applied moved = apply(img, move);
        assertThat(moved.ok()).isTrue();
        assertThat(moved.image().topics().get("t").getPartitions(0).getReplicasList()).containsExactly(4, 2, 3);
        assertRefused(apply(moved.image(), move), moved.image(), METADATA_ERROR_CODE_STALE_REQUEST);
        assertRefused(apply(img, MetadataCommand.newBuilder().setReassignPartition(move.getReassignPartition()
                .toBuilder().setTopicId("other"))), img, METADATA_ERROR_CODE_UNKNOWN_TOPIC);
    }

    @Test
    void shouldAllocateProducerIdsFromACounter() {
        MetadataImage img = MetadataImage.EMPTY;
        CommandApplier.Applied a = apply(img, MetadataCommand.newBuilder()
                .setAllocateProducerIds(AllocateProducerIds.newBuilder().setCount(1000)));
        CommandApplier.Applied b = apply(a.image(), MetadataCommand.newBuilder()
                .setAllocateProducerIds(AllocateProducerIds.newBuilder().setCount(10)));
        assertThat(a.result().getFirstProducerId()).isEqualTo(0);
        assertThat(b.result().getFirstProducerId()).isEqualTo(1000);
        assertThat(b.image().nextProducerId()).isEqualTo(1010);
        assertRefused(apply(b.image(), MetadataCommand.newBuilder()
                .setAllocateProducerIds(AllocateProducerIds.newBuilder().setCount(0))), b.image(),
                METADATA_ERROR_CODE_INVALID_REQUEST);
    }

    @Test
    void shouldRefuseUnknownVersionsAndEmptyCommands() {
        MetadataImage img = threeBrokers();
        assertRefused(CommandApplier.apply(img, register(5).setVersion(2).build(), 1, 100), img,
                METADATA_ERROR_CODE_INVALID_REQUEST);
        CommandApplier.Applied empty = CommandApplier.apply(img, MetadataCommand.newBuilder().setVersion(1).build(), 1, 101);
        assertRefused(empty, img, METADATA_ERROR_CODE_INVALID_REQUEST);
        assertThat(empty.image().appliedIndex()).isEqualTo(101);
        assertThat(apply(img, register(4)).result().getError()).isEqualTo(METADATA_ERROR_CODE_UNSPECIFIED);
    }

    @Test
    void shouldRoundTripThroughItsProtoForm() {
        MetadataImage img = apply(threeBrokers(), create("t", Map.of("retention.ms", "1"), List.of(1, 2))).image();
        assertThat(MetadataImage.fromProto(img.toProto())).isEqualTo(img);
    }
}
