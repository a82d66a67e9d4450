package io.tributary.cli;

import io.tributary.client.ConsumerRecord;
import io.tributary.client.ProducerRecord;
import io.tributary.client.TopicPartition;
import io.tributary.client.admin.Admin;
import io.tributary.client.consumer.Consumer;
import io.tributary.client.consumer.ConsumerConfig;
import io.tributary.client.consumer.ConsumerRecords;
import io.tributary.client.producer.Producer;
import io.tributary.client.producer.ProducerConfig;
import io.tributary.client.serde.Serdes;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tributary perf produce|consume|e2e}: load generators with a progress line each second and a summary. */
@Command(
        name = "perf",
        mixinStandardHelpOptions = true,
        description = {"Measure throughput and latency against a cluster.",
            "Each prints a progress line every second on stderr and a summary on stdout (JSON with --json)."},
        subcommands = {PerfCommand.Produce.class, PerfCommand.Consume.class, PerfCommand.EndToEnd.class})
final class PerfCommand implements Runnable {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand");
    }

    /** Options of every perf command that produces. */
    static final class ProducerOptions {
        @Option(names = "--record-size", required = true, paramLabel = "B", description = "Value size in bytes.")
        int recordSize;
        @Option(names = "--rate", paramLabel = "R", defaultValue = "0",
                description = "Records per second at most (default: as fast as possible).")
        long rate;
        @Option(names = "--batch-bytes", paramLabel = "B", description = "Producer batch.bytes.")
        Integer batchBytes;
        @Option(names = "--linger-ms", paramLabel = "L", description = "Producer linger.ms.")
        Long lingerMs;
        @Option(names = "--acks", paramLabel = "all|none", defaultValue = "all", description = "Producer acks.")
        String acks;
        @Option(names = "--compression", paramLabel = "CODEC", defaultValue = "none",
                description = "none, gzip, snappy, lz4 or zstd.")
        String compression;
        @Option(names = "--producer-property", paramLabel = "KEY=VALUE",
                description = "Any producer setting (repeatable).")
        Map<String, String> properties = new LinkedHashMap<>();

        Map<String, Object> config(ClientOptions client) {
            Map<String, String> p = new LinkedHashMap<>();
            if (batchBytes != null) {
                p.put(ProducerConfig.BATCH_BYTES, batchBytes.toString());
            }
            if (lingerMs != null) {
                p.put(ProducerConfig.LINGER_MS, lingerMs.toString());
            }
            p.putAll(properties);
            return ProduceCommand.producerConfig(client, acks, compression, p, false);
        }

        void validate(CommandLine cmd) {
            if (recordSize < 0) {
                throw new CommandLine.ParameterException(cmd, "--record-size must be >= 0, got " + recordSize);
            }
            if (rate < 0) {
                throw new CommandLine.ParameterException(cmd, "--rate must be >= 0, got " + rate);
            }
        }
    }

    /** Sends {@code records} values of random bytes at most {@code rate} per second, timing each from send to ack. */
    static void produce(Producer<byte[], byte[]> producer, String topic, long records, ProducerOptions o,
                        PerfStats stats) {
        byte[] payload = new byte[o.recordSize];
        new Random(42).nextBytes(payload);
        long start = System.nanoTime();
        double intervalNs = o.rate > 0 ? 1e9 / o.rate : 0;
        for (long i = 0; i < records; i++) {
            if (intervalNs > 0) {
                long due = start + (long) (i * intervalNs);
                long wait;
                while ((wait = due - System.nanoTime()) > 0) {
                    LockSupport.parkNanos(wait);
                }
            }
            long t0 = System.nanoTime();
            producer.send(new ProducerRecord<>(topic, null, null, payload))
                    .whenComplete((md, e) -> {
                        if (e == null) {
                            stats.record(System.nanoTime() - t0, payload.length);
                        } else {
                            stats.error(Errors.unwrap(e));
                        }
                    });
        }
        producer.flush();
    }

    @Command(name = "produce", mixinStandardHelpOptions = true,
            description = {"Write records as fast as allowed; latency is from send to acknowledgement.",
                "Example: tributary perf produce bench --records 1000000 --record-size 100"})
    static final class Produce implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Mixin
        ClientOptions client;
        @Parameters(paramLabel = "TOPIC", description = "The topic to write to (must exist).")
        String topic;
        @Option(names = "--records", required = true, paramLabel = "N", description = "How many records.")
        long records;
        @CommandLine.ArgGroup(exclusive = false, multiplicity = "1")
        ProducerOptions options;
        @Option(names = "--json", description = "Print the summary as JSON.")
        boolean json;

        @Override
        public Integer call() {
            options.validate(spec.commandLine());
            if (records < 1) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--records must be >= 1, got " + records);
            }
            PrintWriter out = spec.commandLine().getOut();
            PerfStats stats = new PerfStats("produce");
            try (Producer<byte[], byte[]> producer = new Producer<>(options.config(client), Serdes.bytesSerializer(),
                    Serdes.bytesSerializer())) {
                producer.partitionCount(topic); // fail clearly for an unknown topic
                stats.startProgress(spec.commandLine().getErr());
                produce(producer, topic, records, options, stats);
            } finally {
                stats.close();
            }
            out.println(stats.summaryText(json));
            out.flush();
            return finish(stats, records);
        }
    }

    /** A consumer of every partition of {@code topic}, assigned (no group), bytes in and out. */
    static Consumer<byte[], byte[]> assignedConsumer(ClientOptions client, String topic, Map<String, String> props) {
        List<TopicPartition> partitions = new ArrayList<>();
        try (Admin admin = client.admin()) {
            admin.describeTopic(topic).partitions().forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
        }
        Map<String, Object> config = client.clientConfig();
        config.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS, Integer.toString(client.apiTimeoutMs));
        config.putAll(props);
        Consumer<byte[], byte[]> consumer = new Consumer<>(config, Serdes.bytesDeserializer(), Serdes.bytesDeserializer());
        try {
            consumer.assign(partitions);
        } catch (RuntimeException e) {
            consumer.close();
            throw e;
        }
        return consumer;
    }

    static long size(ConsumerRecord<byte[], byte[]> r) {
        return Math.max(0, r.serializedKeySize()) + Math.max(0, r.serializedValueSize());
    }

    @Command(name = "consume", mixinStandardHelpOptions = true,
            description = {"Read records from the beginning of every partition as fast as possible (no group).",
                "Latency here is the time of each poll() that returned records.",
                "Example: tributary perf consume bench --records 1000000"})
    static final class Consume implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Mixin
        ClientOptions client;
        @Parameters(paramLabel = "TOPIC", description = "The topic to read (must exist).")
        String topic;
        @Option(names = "--records", required = true, paramLabel = "N", description = "How many records to read.")
        long records;
        @Option(names = "--timeout-ms", paramLabel = "T", defaultValue = "30000",
                description = "Give up when no record came for T ms (default ${DEFAULT-VALUE}).")
        long timeoutMs;
        @Option(names = "--consumer-property", paramLabel = "KEY=VALUE", description = "Any consumer setting (repeatable).")
        Map<String, String> properties = new LinkedHashMap<>();
        @Option(names = "--json", description = "Print the summary as JSON.")
        boolean json;

        @Override
        public Integer call() {
            if (records < 1 || timeoutMs < 1) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--records and --timeout-ms must be >= 1");
            }
            PerfStats stats = new PerfStats("consume");
            long got = 0;
            try (Consumer<byte[], byte[]> consumer = assignedConsumer(client, topic, properties)) {
                consumer.seekToBeginning(consumer.assignment());
                stats.startProgress(spec.commandLine().getErr());
                long idleDeadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
                while (got < records && System.nanoTime() < idleDeadline) {
                    long t0 = System.nanoTime();
                    ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(200));
                    if (batch.isEmpty()) {
                        continue;
                    }
                    stats.latency(System.nanoTime() - t0);
                    for (ConsumerRecord<byte[], byte[]> r : batch) {
                        stats.record(-1, size(r));
                        if (++got >= records) {
                            break;
                        }
                    }
                    idleDeadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
                }
            } finally {
                stats.close();
            }
            PrintWriter out = spec.commandLine().getOut();
            out.println(stats.summaryText(json));
            out.flush();
            if (got < records) {
                throw new CliException("no record for " + timeoutMs + " ms: read " + got + " of " + records + " records");
            }
            return 0;
        }
    }

    @Command(name = "e2e", mixinStandardHelpOptions = true,
            description = {"Produce and consume at once; latency is from the record's timestamp (set at send) to its",
                "arrival at the consumer (ms resolution). Throughput counts consumed records.",
                "Example: tributary perf e2e bench --records 100000 --record-size 100 --rate 10000"})
    static final class EndToEnd implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Mixin
        ClientOptions client;
        @Parameters(paramLabel = "TOPIC", description = "The topic to write and read (must exist).")
        String topic;
        @Option(names = "--records", required = true, paramLabel = "N", description = "How many records.")
        long records;
        @CommandLine.ArgGroup(exclusive = false, multiplicity = "1")
        ProducerOptions options;
        @Option(names = "--timeout-ms", paramLabel = "T", defaultValue = "30000",
                description = "Give up when no record came back for T ms (default ${DEFAULT-VALUE}).")
        long timeoutMs;
        @Option(names = "--json", description = "Print the summary as JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            options.validate(spec.commandLine());
            if (records < 1 || timeoutMs < 1) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--records and --timeout-ms must be >= 1");
            }
            PerfStats stats = new PerfStats("e2e");
            PerfStats sent = new PerfStats("e2e-produce");
            long got = 0;
            try (Consumer<byte[], byte[]> consumer = assignedConsumer(client, topic, Map.of());
                 Producer<byte[], byte[]> producer = new Producer<>(options.config(client), Serdes.bytesSerializer(),
                         Serdes.bytesSerializer())) {
                consumer.seekToEnd(consumer.assignment());
                for (TopicPartition tp : consumer.assignment()) {
                    consumer.position(tp); // resolve the end now, before anything is produced
                }
                Thread sender = new Thread(() -> {
                    try {
                        produce(producer, topic, records, options, sent);
                    } catch (RuntimeException e) {
                        sent.error(e);
                    }
                }, "tributary-perf-e2e-producer");
                sender.setDaemon(true);
                stats.startProgress(spec.commandLine().getErr());
                sender.start();
                long idleDeadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
                while (got < records && System.nanoTime() < idleDeadline && sent.errors() == 0) {
                    ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(200));
                    long nowMs = System.currentTimeMillis();
                    for (ConsumerRecord<byte[], byte[]> r : batch) {
                        stats.record(Math.max(0, nowMs - r.timestamp()) * 1_000_000L, size(r));
                        got++;
                    }
                    if (!batch.isEmpty()) {
                        idleDeadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
                    }
                }
                sender.join(TimeUnit.MILLISECONDS.toMillis(timeoutMs));
            } finally {
                stats.close();
                sent.close();
            }
            PrintWriter out = spec.commandLine().getOut();
            out.println(stats.summaryText(json));
            out.flush();
            if (sent.errors() > 0) {
                return finish(sent, records);
            }
            if (got < records) {
                throw new CliException("no record came back for " + timeoutMs + " ms: consumed " + got + " of "
                        + records + " records");
            }
            return 0;
        }
    }

    /** Exit code 0 when every record made it, else a CliException naming the first error. */
    static int finish(PerfStats stats, long expected) {
        if (stats.errors() > 0) {
            throw new CliException(stats.errors() + " of " + expected + " records failed; the first: "
                    + TributaryCommand.describe(stats.firstError()), stats.firstError());
        }
        return 0;
    }
}
