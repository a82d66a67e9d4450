package io.tributary.client.admin;

import io.tributary.client.TopicPartition;
import java.util.List;

/**
 * One member of a consumer group.
 *
 * <p>Thread-safety: immutable.
 *
 * @param memberId   the member id
 * @param clientId   the client id it gave
 * @param clientHost its address as the coordinator saw it
 * @param generation its generation
 * @param topics     the topics it subscribes to
 * @param assigned   the partitions it consumes now
 * @param toRevoke   partitions it is giving up
 */
public record MemberDescription(String memberId, String clientId, String clientHost, int generation,
                                List<String> topics, List<TopicPartition> assigned, List<TopicPartition> toRevoke) {

    public MemberDescription {
        topics = List.copyOf(topics);
        assigned = List.copyOf(assigned);
        toRevoke = List.copyOf(toRevoke);
    }
}
