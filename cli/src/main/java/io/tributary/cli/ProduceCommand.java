package io.tributary.cli;

import io.tributary.client.ProducerRecord;
import io.tributary.client.producer.Producer;
import io.tributary.client.producer.ProducerConfig;
import io.tributary.client.serde.Serdes;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tributary produce TOPIC}: one record per line of stdin (UTF-8), the key before
 * {@code --key-separator} when given. Exits 0 only when every line was acknowledged; at the first
 * failure it stops reading, waits for what is in flight, and exits 1 with one line saying how many
 * lines were acknowledged and why the first failed.
 */
@Command(name = "produce", mixinStandardHelpOptions = true,
        description = {"Write one record per line of stdin to a topic.",
            "Example: printf 'k1:hello\\nk2:world\\n' | tributary produce orders --key-separator :"})
final class ProduceCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;
    @CommandLine.ParentCommand
    TributaryCommand root;
    @Mixin
    ClientOptions client;
    @Parameters(paramLabel = "TOPIC", description = "The topic to write to.")
    String topic;
    @Option(names = {"-k", "--key-separator"}, paramLabel = "SEP",
            description = "Split each line at the first SEP: key before, value after. A line without SEP has no key.")
    String keySeparator;
    @Option(names = "--acks", paramLabel = "all|none", defaultValue = "all",
            description = "all: acknowledged once a majority of replicas has it (default); none: once the leader queued it.")
    String acks;
    @Option(names = "--compression", paramLabel = "CODEC", defaultValue = "none",
            description = "none (default), gzip, snappy, lz4 or zstd.")
    String compression;
    @Option(names = {"-p", "--partition"}, paramLabel = "P",
            description = "Write every record to this partition (default: by key, or sticky batches for no key).")
    Integer partition;
    @Option(names = "--producer-property", paramLabel = "KEY=VALUE",
            description = "Any producer setting, e.g. linger.ms=20 (repeatable).")
    Map<String, String> properties = new LinkedHashMap<>();

    @Override
    public Integer call() {
        if (keySeparator != null && keySeparator.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--key-separator must not be empty");
        }
        Map<String, Object> config = producerConfig(client, acks, compression, properties, true);
        LongAdder acked = new LongAdder();
        AtomicReference<Throwable> firstError = new AtomicReference<>();
        long lines = 0;
        try (Producer<String, String> producer = new Producer<>(config, Serdes.stringSerializer(),
                Serdes.stringSerializer())) {
            producer.partitionCount(topic); // an unknown topic fails here, clearly, before reading stdin
            try (BufferedReader in = new BufferedReader(new InputStreamReader(root.stdin(), StandardCharsets.UTF_8))) {
                String line;
                while (firstError.get() == null && (line = in.readLine()) != null) {
                    lines++;
                    String key = null;
                    String value = line;
                    if (keySeparator != null) {
                        int at = line.indexOf(keySeparator);
                        if (at >= 0) {
                            key = line.substring(0, at);
                            value = line.substring(at + keySeparator.length());
                        }
                    }
                    long lineNo = lines;
                    producer.send(new ProducerRecord<>(topic, partition, key, value)).whenComplete((md, e) -> {
                        if (e == null) {
                            acked.increment();
                        } else {
                            firstError.compareAndSet(null, new CliException("line " + lineNo + ": "
                                    + TributaryCommand.describe(Errors.unwrap(e)), e));
                        }
                    });
                }
            } catch (IOException e) {
                throw new UncheckedIOException("reading stdin", e);
            }
            producer.flush();
        }
        Throwable e = firstError.get();
        if (e != null) {
            throw new CliException(acked.sum() + " of " + lines + " lines read were acknowledged; the first failure, "
                    + e.getMessage(), e);
        }
        if (acked.sum() != lines) {
            throw new CliException(acked.sum() + " of " + lines + " lines were acknowledged");
        }
        spec.commandLine().getErr().printf("%d record%s written to %s%n", lines, lines == 1 ? "" : "s", topic);
        return 0;
    }

    /**
     * Producer settings from the common options, the flags, and --producer-property (which wins).
     * With {@code bounded}, {@code --api-timeout-ms} also bounds how long a send may block and wait
     * for its acknowledgement (max.block.ms, delivery.timeout.ms); otherwise the producer's
     * defaults apply (perf runs, where a slow moment should not fail records).
     */
    static Map<String, Object> producerConfig(ClientOptions client, String acks, String compression,
                                              Map<String, String> properties, boolean bounded) {
        Map<String, Object> config = client.clientConfig();
        config.put(ProducerConfig.ACKS, acks);
        config.put(ProducerConfig.COMPRESSION_TYPE, compression);
        if (!bounded) {
            config.remove(ProducerConfig.REQUEST_TIMEOUT_MS);
            config.putAll(properties);
            return config;
        }
        config.put(ProducerConfig.MAX_BLOCK_MS, Integer.toString(client.apiTimeoutMs));
        config.putAll(properties);
        try {
            long minDelivery = Long.parseLong(config.getOrDefault(ProducerConfig.LINGER_MS,
                    Long.toString(ProducerConfig.LINGER_MS_DEFAULT)).toString().trim())
                    + Long.parseLong(config.get(ProducerConfig.REQUEST_TIMEOUT_MS).toString().trim());
            config.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS,
                    Long.toString(Math.max(client.apiTimeoutMs, minDelivery)));
        } catch (NumberFormatException e) {
            // a bad linger.ms or request.timeout.ms: ProducerConfig names it
        }
        return config;
    }
}
