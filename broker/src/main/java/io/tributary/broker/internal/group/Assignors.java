package io.tributary.broker.internal.group;

import io.tributary.replication.TopicPartition;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The server-side assignors: each maps the members' subscriptions and the subscribed topics'
 * partition counts to a target assignment in which every partition of a subscribed topic is
 * owned by exactly one member that subscribes to its topic (none when nobody does).
 *
 * <ul>
 *   <li>{@value #RANGE}: per topic, its subscribers (by member id) get contiguous ranges; the
 *       first {@code partitions % subscribers} get one more.
 *   <li>{@value #ROUND_ROBIN}: every partition in (topic, partition) order goes to the next
 *       member (by member id) that subscribes to its topic.
 *   <li>{@value #STICKY} (the default): members keep what they had (as long as they still
 *       subscribe to it), the rest goes to the least loaded subscriber, then partitions move from
 *       the most loaded to the least loaded subscriber only while their counts differ by more
 *       than one. When a member leaves only its partitions move; when one joins it takes
 *       partitions from the most loaded members only.
 * </ul>
 *
 * <p>Thread-safety: stateless.
 */
public final class Assignors {
    public static final String RANGE = "range";
    public static final String ROUND_ROBIN = "round-robin";
    public static final String STICKY = "sticky";
    public static final List<String> NAMES = List.of(RANGE, ROUND_ROBIN, STICKY);

    /** One strategy. */
    @FunctionalInterface
    public interface Assignor {
        /**
         * @param subscriptions member id to the topics it subscribes to
         * @param partitionCounts partitions of every existing subscribed topic (absent: no such topic)
         * @param current the previous target assignment (used by sticky), member id to partitions
         * @return member id to its partitions, an entry (maybe empty) for every member
         */
        Map<String, Set<TopicPartition>> assign(Map<String, Set<String>> subscriptions,
                                                Map<String, Integer> partitionCounts,
                                                Map<String, Set<TopicPartition>> current);
    }

    private Assignors() {
    }

    /** The assignor named {@code name}, or null when there is none. */
    public static Assignor byName(String name) {
        if (name == null) {
            return null;
        }
        switch (name) {
            case RANGE:
                return Assignors::range;
            case ROUND_ROBIN:
                return Assignors::roundRobin;
            case STICKY:
                return Assignors::sticky;
            default:
                return null;
        }
    }

    static Map<String, Set<TopicPartition>> range(Map<String, Set<String>> subscriptions,
                                                  Map<String, Integer> partitionCounts,
                                                  Map<String, Set<TopicPartition>> current) {
        Map<String, Set<TopicPartition>> out = empty(subscriptions);
        Map<String, List<String>> subscribers = subscribers(subscriptions, partitionCounts);
        subscribers.forEach((topic, members) -> {
            int n = partitionCounts.get(topic);
            int m = members.size();
            int per = n / m;
            int extra = n % m;
            int p = 0;
            for (int i = 0; i < m; i++) {
                int count = per + (i < extra ? 1 : 0);
                for (int j = 0; j < count; j++) {
                    out.get(members.get(i)).add(new TopicPartition(topic, p++));
                }
            }
        });
        return out;
    }

    static Map<String, Set<TopicPartition>> roundRobin(Map<String, Set<String>> subscriptions,
                                                       Map<String, Integer> partitionCounts,
                                                       Map<String, Set<TopicPartition>> current) {
        Map<String, Set<TopicPartition>> out = empty(subscriptions);
        List<String> members = new ArrayList<>(out.keySet());
        if (members.isEmpty()) {
            return out;
        }
        int next = 0;
        for (TopicPartition tp : subscribedPartitions(subscriptions, partitionCounts)) {
            for (int tries = 0; tries < members.size(); tries++) {
                String m = members.get(next);
                next = (next + 1) % members.size();
                if (subscriptions.get(m).contains(tp.topic())) {
                    out.get(m).add(tp);
                    break;
                }
            }
        }
        return out;
    }

    static Map<String, Set<TopicPartition>> sticky(Map<String, Set<String>> subscriptions,
                                                   Map<String, Integer> partitionCounts,
                                                   Map<String, Set<TopicPartition>> current) {
        Map<String, Set<TopicPartition>> out = empty(subscriptions);
        Set<TopicPartition> all = subscribedPartitions(subscriptions, partitionCounts);
        Set<TopicPartition> taken = new HashSet<>();
        // 1. Keep what each member had, when it still exists and the member still subscribes to it.
        for (Map.Entry<String, Set<TopicPartition>> e : out.entrySet()) {
            Set<TopicPartition> had = current.getOrDefault(e.getKey(), Set.of());
            Set<String> topics = subscriptions.get(e.getKey());
            for (TopicPartition tp : new TreeSet<>(had)) {
                if (all.contains(tp) && topics.contains(tp.topic()) && taken.add(tp)) {
                    e.getValue().add(tp);
                }
            }
        }
        // 2. The rest to the least loaded subscriber (ties: the smallest member id).
        java.util.PriorityQueue<String> leastLoaded = new java.util.PriorityQueue<>((a, b) ->
                out.get(a).size() != out.get(b).size() ? Integer.compare(out.get(a).size(), out.get(b).size())
                        : a.compareTo(b));
        leastLoaded.addAll(out.keySet());
        List<String> skipped = new ArrayList<>();
        for (TopicPartition tp : all) {
            if (taken.contains(tp)) {
                continue;
            }
            String best = null;
            while (!leastLoaded.isEmpty()) {
                String m = leastLoaded.poll();
                if (subscriptions.get(m).contains(tp.topic())) {
                    best = m;
                    break;
                }
                skipped.add(m);
            }
            if (best != null) {
                out.get(best).add(tp);
                taken.add(tp);
                leastLoaded.add(best);
            }
            leastLoaded.addAll(skipped);
            skipped.clear();
        }
        // 3. Balance: move one partition at a time from a member to a subscriber with at least two
        // fewer, most loaded first. Each move lowers the sum of squared counts, so this ends.
        boolean moved = true;
        while (moved) {
            moved = false;
            List<String> byLoad = new ArrayList<>(out.keySet());
            byLoad.sort((a, b) -> out.get(b).size() != out.get(a).size()
                    ? Integer.compare(out.get(b).size(), out.get(a).size()) : a.compareTo(b));
            if (byLoad.isEmpty()
                    || out.get(byLoad.get(byLoad.size() - 1)).size() + 1 >= out.get(byLoad.get(0)).size()) {
                break; // every count within one of every other: nothing can move
            }
            int minLoad = out.get(byLoad.get(byLoad.size() - 1)).size();
            outer:
            for (String from : byLoad) {
                Set<TopicPartition> mine = out.get(from);
                if (minLoad + 1 >= mine.size()) {
                    break; // this one and all after it are within one of the least loaded
                }
                // Most recently gained partitions (highest) move first; the order is deterministic.
                for (TopicPartition tp : ((TreeSet<TopicPartition>) mine).descendingSet()) {
                    String to = null;
                    for (int i = byLoad.size() - 1; i >= 0; i--) {
                        String cand = byLoad.get(i);
                        if (!cand.equals(from) && subscriptions.get(cand).contains(tp.topic())
                                && out.get(cand).size() + 1 < mine.size()
                                && (to == null || out.get(cand).size() < out.get(to).size())) {
                            to = cand;
                        }
                    }
                    if (to != null) {
                        mine.remove(tp);
                        out.get(to).add(tp);
                        moved = true;
                        break outer;
                    }
                }
            }
        }
        return out;
    }

    private static Map<String, Set<TopicPartition>> empty(Map<String, Set<String>> subscriptions) {
        Map<String, Set<TopicPartition>> out = new TreeMap<>();
        subscriptions.keySet().forEach(m -> out.put(m, new TreeSet<>()));
        return out;
    }

    /** Topic to its subscribers by member id, for existing topics with partitions. */
    private static Map<String, List<String>> subscribers(Map<String, Set<String>> subscriptions,
                                                         Map<String, Integer> partitionCounts) {
        Map<String, List<String>> out = new TreeMap<>();
        new TreeMap<>(subscriptions).forEach((member, topics) -> topics.forEach(t -> {
            Integer n = partitionCounts.get(t);
            if (n != null && n > 0) {
                out.computeIfAbsent(t, k -> new ArrayList<>()).add(member);
            }
        }));
        return out;
    }

    /** Every partition of every existing subscribed topic, in (topic, partition) order. */
    static Set<TopicPartition> subscribedPartitions(Map<String, Set<String>> subscriptions,
                                                    Map<String, Integer> partitionCounts) {
        Set<String> topics = new TreeSet<>();
        subscriptions.values().forEach(topics::addAll);
        Set<TopicPartition> out = new TreeSet<>();
        for (String t : topics) {
            int n = partitionCounts.getOrDefault(t, 0);
            for (int p = 0; p < n; p++) {
                out.add(new TopicPartition(t, p));
            }
        }
        return out;
    }

    /** Counts per member, for logs and tests. */
    static Map<String, Integer> counts(Map<String, Set<TopicPartition>> a) {
        Map<String, Integer> out = new HashMap<>();
        a.forEach((k, v) -> out.put(k, v.size()));
        return out;
    }
}
