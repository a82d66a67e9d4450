package io.tributary.broker.internal.group;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.replication.TopicPartition;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * Properties of the assignors: every partition of a subscribed topic owned by exactly one member
 * that subscribes to it; balanced counts for identical subscriptions; sticky moves only what must
 * move when a member joins or leaves, and keeps a settled assignment as it is.
 */
class AssignorsPropertiesTest {

    static final List<String> TOPICS = List.of("a", "b", "c");

    @Provide
    Arbitrary<Map<String, Set<String>>> subscriptions() {
        Arbitrary<Set<String>> topics = Arbitraries.of(TOPICS).set().ofMinSize(1).ofMaxSize(3);
        return topics.list().ofMinSize(1).ofMaxSize(9).map(list -> {
            Map<String, Set<String>> out = new TreeMap<>();
            for (int i = 0; i < list.size(); i++) {
                out.put("m" + i, new TreeSet<>(list.get(i)));
            }
            return out;
        });
    }

    @Provide
    Arbitrary<Map<String, Integer>> counts() {
        return Arbitraries.integers().between(0, 13).list().ofSize(TOPICS.size()).map(list -> {
            Map<String, Integer> out = new HashMap<>();
            for (int i = 0; i < TOPICS.size(); i++) {
                if (list.get(i) > 0) {
                    out.put(TOPICS.get(i), list.get(i));
                }
            }
            return out;
        });
    }

    @Property(tries = 300)
    void everyPartitionIsOwnedByExactlyOneSubscriber(@ForAll("subscriptions") Map<String, Set<String>> subs,
                                                     @ForAll("counts") Map<String, Integer> counts) {
        for (String name : Assignors.NAMES) {
            Map<String, Set<TopicPartition>> a = Assignors.byName(name).assign(subs, counts, Map.of());
            assertExactlyOnce(name, subs, counts, a);
        }
    }

    @Property(tries = 300)
    void identicalSubscriptionsAreBalanced(@ForAll @IntRange(min = 1, max = 12) int members,
                                           @ForAll("counts") Map<String, Integer> counts) {
        Map<String, Set<String>> subs = new TreeMap<>();
        for (int i = 0; i < members; i++) {
            subs.put("m" + i, new TreeSet<>(TOPICS));
        }
        for (String name : List.of(Assignors.ROUND_ROBIN, Assignors.STICKY)) {
            Map<String, Set<TopicPartition>> a = Assignors.byName(name).assign(subs, counts, Map.of());
            assertBalanced(name, a);
        }
    }

    @Property(tries = 300)
    void stickyMovesOnlyThePartitionsOfAMemberThatLeaves(@ForAll @IntRange(min = 2, max = 10) int members,
                                                         @ForAll("counts") Map<String, Integer> counts,
                                                         @ForAll @IntRange(min = 0, max = 9) int leaver) {
        Map<String, Set<String>> subs = identical(members);
        Map<String, Set<TopicPartition>> before = Assignors.sticky(subs, counts, Map.of());
        String gone = "m" + (leaver % members);
        subs.remove(gone);
        Map<String, Set<TopicPartition>> after = Assignors.sticky(subs, counts, before);
        assertExactlyOnce("sticky", subs, counts, after);
        assertBalanced("sticky", after);
        for (String m : subs.keySet()) {
            assertThat(after.get(m)).as("%s keeps what it had", m).containsAll(before.get(m));
        }
    }

    @Property(tries = 300)
    void stickyGivesAJoiningMemberPartitionsFromTheMostLoadedOnly(@ForAll @IntRange(min = 1, max = 10) int members,
                                                                  @ForAll("counts") Map<String, Integer> counts) {
        Map<String, Set<String>> subs = identical(members);
        Map<String, Set<TopicPartition>> before = Assignors.sticky(subs, counts, Map.of());
        subs.put("new", new TreeSet<>(TOPICS));
        Map<String, Set<TopicPartition>> after = Assignors.sticky(subs, counts, before);
        assertExactlyOnce("sticky", subs, counts, after);
        assertBalanced("sticky", after);
        int total = after.values().stream().mapToInt(Set::size).sum();
        int moved = 0;
        for (String m : before.keySet()) {
            assertThat(before.get(m)).as("%s only loses partitions", m).containsAll(after.get(m));
            moved += before.get(m).size() - after.get(m).size();
        }
        assertThat(moved).as("only the newcomer's share moves").isEqualTo(after.get("new").size())
                .isLessThanOrEqualTo(total / subs.size() + 1);
    }

    @Property(tries = 300)
    void stickyKeepsASettledAssignment(@ForAll("subscriptions") Map<String, Set<String>> subs,
                                       @ForAll("counts") Map<String, Integer> counts) {
        Map<String, Set<TopicPartition>> first = Assignors.sticky(subs, counts, Map.of());
        assertThat(Assignors.sticky(subs, counts, first)).isEqualTo(first);
    }

    @Property(tries = 200)
    void stickyDropsPartitionsOfDeletedOrUnsubscribedTopics(@ForAll("subscriptions") Map<String, Set<String>> subs,
                                                            @ForAll("counts") Map<String, Integer> counts) {
        Map<String, Set<TopicPartition>> first = Assignors.sticky(subs, counts, Map.of());
        Map<String, Integer> fewer = new HashMap<>(counts);
        fewer.remove("a");
        Map<String, Set<TopicPartition>> after = Assignors.sticky(subs, fewer, first);
        assertExactlyOnce("sticky", subs, fewer, after);
    }

    static Map<String, Set<String>> identical(int members) {
        Map<String, Set<String>> subs = new TreeMap<>();
        for (int i = 0; i < members; i++) {
            subs.put("m" + i, new TreeSet<>(TOPICS));
        }
        return subs;
    }

    static void assertExactlyOnce(String assignor, Map<String, Set<String>> subs, Map<String, Integer> counts,
                                  Map<String, Set<TopicPartition>> a) {
        assertThat(a.keySet()).as(assignor).isEqualTo(subs.keySet());
        Set<TopicPartition> expected = Assignors.subscribedPartitions(subs, counts);
        List<TopicPartition> all = new ArrayList<>();
        a.forEach((m, parts) -> {
            for (TopicPartition tp : parts) {
                assertThat(subs.get(m)).as("%s: %s subscribes to %s", assignor, m, tp.topic()).contains(tp.topic());
            }
            all.addAll(parts);
        });
        assertThat(all).as(assignor).doesNotHaveDuplicates();
        assertThat(new HashSet<>(all)).as(assignor).isEqualTo(expected);
    }

    static void assertBalanced(String assignor, Map<String, Set<TopicPartition>> a) {
        int min = a.values().stream().mapToInt(Set::size).min().orElse(0);
        int max = a.values().stream().mapToInt(Set::size).max().orElse(0);
        assertThat(max - min).as("%s: %s", assignor, Assignors.counts(a)).isLessThanOrEqualTo(1);
    }
}
