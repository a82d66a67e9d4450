package io.tributary.cli;

import io.tributary.client.ConsumerRecord;
import io.tributary.client.TopicPartition;
import io.tributary.client.admin.Admin;
import io.tributary.client.admin.PartitionDescription;
import io.tributary.client.admin.TopicDescription;
import io.tributary.client.consumer.Consumer;
import io.tributary.client.consumer.ConsumerConfig;
import io.tributary.client.consumer.ConsumerRecords;
import io.tributary.client.consumer.OffsetAndMetadata;
import io.tributary.client.consumer.OffsetAndTimestamp;
import io.tributary.client.consumer.RebalanceListener;
import io.tributary.client.consumer.WakeupException;
import io.tributary.client.serde.Serdes;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tributary consume TOPIC}: prints record values one per line (UTF-8), prefixed by
 * partition:offset and/or key when asked, until {@code --max-messages} records were printed or
 * no record came for {@code --timeout-ms} (or Ctrl-C).
 *
 * <p>Without {@code --group} it reads every partition (or the one of {@code --partition}) without
 * committing anything. With {@code --group} it joins the group (subscribe) and, when it ends,
 * commits the position after the last record it printed of each partition (never records it
 * fetched but did not print); {@code --from-beginning} then applies to partitions the group has no
 * committed offset for, as in Kafka.
 */
@Command(name = "consume", mixinStandardHelpOptions = true,
        description = {"Print the records of a topic, one value per line.",
            "Example: tributary consume orders --from-beginning --max-messages 10 --print-key"})
final class ConsumeCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;
    @Mixin
    ClientOptions client;
    @Parameters(paramLabel = "TOPIC", description = "The topic to read.")
    String topic;
    @Option(names = {"-g", "--group"}, paramLabel = "G",
            description = "Consume as a member of this group and commit what was printed.")
    String group;
    @ArgGroup(exclusive = true)
    Start start;
    @Option(names = {"-n", "--max-messages"}, paramLabel = "N", description = "Stop after N records.")
    Long maxMessages;
    @Option(names = "--timeout-ms", paramLabel = "T",
            description = "Stop when no record came for T ms (default: wait forever, or until N records).")
    Long timeoutMs;
    @Option(names = "--print-key", description = "Print the key before the value, separated by a tab.")
    boolean printKey;
    @Option(names = "--print-offset", description = "Print PARTITION:OFFSET before the value, separated by a tab.")
    boolean printOffset;
    @Option(names = "--consumer-property", paramLabel = "KEY=VALUE",
            description = "Any consumer setting (repeatable).")
    Map<String, String> properties = new LinkedHashMap<>();

    /** Where to start: one of these. */
    static final class Start {
        @Option(names = "--from-beginning", required = true,
                description = "From each partition's first record (with --group: where nothing is committed).")
        boolean fromBeginning;
        @ArgGroup(exclusive = false)
        PartitionOffset partitionOffset;
        @Option(names = "--from-time", required = true, paramLabel = "ISO-8601",
                description = "From the first record at or after this time (2026-11-26T10:00:00Z, or ms since the epoch).")
        String fromTime;
    }

    /** {@code --partition P [--offset N]}. */
    static final class PartitionOffset {
        @Option(names = {"-p", "--partition"}, required = true, paramLabel = "P", description = "Read only this partition.")
        int partition;
        @Option(names = "--offset", paramLabel = "N",
                description = "Start at this offset of --partition (default: its end).")
        Long offset;
    }

    private final Map<TopicPartition, Long> printed = new HashMap<>();

    @Override
    public Integer call() throws Exception {
        CommandLine cmd = spec.commandLine();
        if (maxMessages != null && maxMessages < 1) {
            throw new CommandLine.ParameterException(cmd, "--max-messages must be >= 1, got " + maxMessages);
        }
        if (timeoutMs != null && timeoutMs < 1) {
            throw new CommandLine.ParameterException(cmd, "--timeout-ms must be >= 1, got " + timeoutMs);
        }
        PartitionOffset po = start == null ? null : start.partitionOffset;
        if (po != null && group != null) {
            throw new CommandLine.ParameterException(cmd, "--partition cannot be used with --group "
                    + "(the group assigns partitions); reset the group's offsets with `group reset-offsets` instead");
        }
        if (po != null && (po.partition < 0 || (po.offset != null && po.offset < 0))) {
            throw new CommandLine.ParameterException(cmd, "--partition and --offset must be >= 0");
        }
        Long fromTimeMs = start != null && start.fromTime != null
                ? Times.parse(cmd, "--from-time", start.fromTime) : null;
        boolean fromBeginning = start != null && start.fromBeginning;

        List<TopicPartition> partitions = partitionsOf(po);
        Map<String, Object> config = client.clientConfig();
        config.put(ConsumerConfig.AUTO_OFFSET_RESET, fromBeginning ? "earliest" : "latest");
        config.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS, Integer.toString(client.apiTimeoutMs));
        if (group != null) {
            config.put(ConsumerConfig.GROUP_ID, group);
            config.put(ConsumerConfig.ENABLE_AUTO_COMMIT, "false");
        }
        config.putAll(properties);

        PrintWriter out = cmd.getOut();
        long count = 0;
        // Ctrl-C / SIGTERM: the hook wakes the consumer up and waits until it committed what was
        // printed and left its group (close), so the group does not wait a session timeout for it.
        CountDownLatch done = new CountDownLatch(1);
        AtomicReference<Consumer<String, String>> current = new AtomicReference<>();
        Thread hook = new Thread(() -> {
            Consumer<String, String> c = current.get();
            if (c != null) {
                c.wakeup();
            }
            try {
                done.await(15, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "tributary-consume-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try (Consumer<String, String> consumer = new Consumer<>(config, Serdes.stringDeserializer(),
                Serdes.stringDeserializer())) {
            current.set(consumer);
            try {
                if (group != null) {
                    consumer.subscribe(List.of(topic), new RebalanceListener() {
                        @Override
                        public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
                            commit(consumer, revoked);
                        }

                        @Override
                        public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
                            if (fromTimeMs != null) {
                                seekToTime(consumer, assigned, fromTimeMs);
                            }
                        }
                    });
                } else {
                    consumer.assign(partitions);
                    if (po != null && po.offset != null) {
                        consumer.seek(partitions.get(0), po.offset);
                    } else if (fromTimeMs != null) {
                        seekToTime(consumer, partitions, fromTimeMs);
                    } else if (fromBeginning) {
                        consumer.seekToBeginning(partitions);
                    } else {
                        consumer.seekToEnd(partitions);
                    }
                }
                long idleDeadline = timeoutMs == null ? Long.MAX_VALUE : System.nanoTime()
                        + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
                outer:
                while (maxMessages == null || count < maxMessages) {
                    long left = timeoutMs == null ? 1000 : TimeUnit.NANOSECONDS.toMillis(idleDeadline - System.nanoTime());
                    if (left <= 0) {
                        break;
                    }
                    ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(Math.min(left, 1000)));
                    if (records.isEmpty()) {
                        continue;
                    }
                    for (ConsumerRecord<String, String> r : records) {
                        out.println(format(r));
                        printed.put(r.topicPartition(), r.offset() + 1);
                        count++;
                        if (maxMessages != null && count >= maxMessages) {
                            break outer;
                        }
                    }
                    out.flush();
                    if (timeoutMs != null) {
                        idleDeadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
                    }
                }
            } catch (WakeupException e) {
                // Ctrl-C: commit what was printed and end
            } finally {
                out.flush();
                if (group != null) {
                    commit(consumer, new ArrayList<>(printed.keySet()));
                }
            }
            cmd.getErr().printf("Processed %d record%s%n", count, count == 1 ? "" : "s");
        } finally {
            done.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is exiting: the hook is running
            }
        }
        if (maxMessages != null && count < maxMessages) {
            throw new CliException("no record for " + timeoutMs + " ms: printed " + count + " of the "
                    + maxMessages + " records asked for");
        }
        return 0;
    }

    /** Every partition of the topic (checking it exists), or the one asked for. */
    private List<TopicPartition> partitionsOf(PartitionOffset po) {
        try (Admin admin = client.admin()) {
            TopicDescription d = admin.describeTopic(topic);
            List<TopicPartition> all = new ArrayList<>();
            for (PartitionDescription p : d.partitions()) {
                all.add(new TopicPartition(topic, p.partition()));
            }
            if (po == null) {
                return all;
            }
            if (po.partition >= all.size()) {
                throw new CliException("topic " + topic + " has no partition " + po.partition + " (it has "
                        + all.size() + ")");
            }
            return List.of(new TopicPartition(topic, po.partition));
        }
    }

    private static void seekToTime(Consumer<String, String> consumer, Collection<TopicPartition> partitions,
                                   long timeMs) {
        Map<TopicPartition, Long> query = new HashMap<>();
        partitions.forEach(tp -> query.put(tp, timeMs));
        Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query);
        List<TopicPartition> none = new ArrayList<>();
        for (TopicPartition tp : partitions) {
            OffsetAndTimestamp o = found.get(tp);
            if (o == null) {
                none.add(tp);
            } else {
                consumer.seek(tp, o.offset());
            }
        }
        if (!none.isEmpty()) {
            consumer.seekToEnd(none);
        }
    }

    /** Commits the position after the last printed record of each of {@code partitions} that has one. */
    private void commit(Consumer<String, String> consumer, Collection<TopicPartition> partitions) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition tp : partitions) {
            Long next = printed.get(tp);
            if (next != null) {
                offsets.put(tp, new OffsetAndMetadata(next, "tributary consume"));
            }
        }
        if (!offsets.isEmpty()) {
            consumer.commitSync(offsets);
        }
    }

    private String format(ConsumerRecord<String, String> r) {
        StringBuilder sb = new StringBuilder();
        if (printOffset) {
            sb.append(r.partition()).append(':').append(r.offset()).append('\t');
        }
        if (printKey) {
            sb.append(r.key()).append('\t');
        }
        return sb.append(r.value()).toString();
    }
}
