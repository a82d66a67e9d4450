package io.tributary.client;

import io.tributary.client.errors.ConfigException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The settings every Tributary client shares (producer, consumer, admin), as Kafka-style string
 * keys with typed accessors. Built from a {@code Map<String, ?>} or {@link Properties}; parsed and
 * validated once, in the constructor, against a {@link ConfigDef}: an unknown key, a missing
 * required key, a value of the wrong type or out of range fails with a
 * {@link ConfigException} that names the key and the value.
 *
 * <p>Each client has its own subclass that adds its keys to {@link #commonDef()}
 * ({@code ProducerConfig}, {@code ConsumerConfig}, {@code AdminConfig}); this class alone (see
 * {@link #of(Map)}) accepts only the common keys.
 *
 * <p>Common keys and defaults:
 * <ul>
 *   <li>{@value #BOOTSTRAP_SERVERS} (required): comma-separated {@code host:port} list of brokers
 *       to ask for metadata first, e.g. {@code 127.0.0.1:7401,127.0.0.1:7402}; any one suffices.
 *   <li>{@value #CLIENT_ID} = "": a name for logs and thread names.
 *   <li>{@value #REQUEST_TIMEOUT_MS} = 30000: the gRPC deadline of one request.
 *   <li>{@value #RETRY_BACKOFF_MS} = 100, {@value #RETRY_BACKOFF_MAX_MS} = 1000: backoff before a
 *       retry, doubling from the first to the second.
 *   <li>{@value #METADATA_MAX_AGE_MS} = 300000: metadata is refreshed at least this often.
 *   <li>{@value #MAX_INBOUND_MESSAGE_BYTES} = 134217728 (128 MiB): the largest gRPC message the
 *       client accepts from a broker.
 *   <li>{@value #KEEPALIVE_TIME_MS} = 30000: gRPC keepalive ping interval on idle connections
 *       (at least 10000: brokers refuse more frequent pings).
 * </ul>
 *
 * <p>Thread-safety: immutable.
 */
public class ClientConfig {

    public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
    public static final String CLIENT_ID = "client.id";
    public static final String CLIENT_ID_DEFAULT = "";
    public static final String REQUEST_TIMEOUT_MS = "request.timeout.ms";
    public static final int REQUEST_TIMEOUT_MS_DEFAULT = 30_000;
    public static final String RETRY_BACKOFF_MS = "retry.backoff.ms";
    public static final long RETRY_BACKOFF_MS_DEFAULT = 100;
    public static final String RETRY_BACKOFF_MAX_MS = "retry.backoff.max.ms";
    public static final long RETRY_BACKOFF_MAX_MS_DEFAULT = 1_000;
    public static final String METADATA_MAX_AGE_MS = "metadata.max.age.ms";
    public static final long METADATA_MAX_AGE_MS_DEFAULT = 300_000;
    public static final String MAX_INBOUND_MESSAGE_BYTES = "max.inbound.message.bytes";
    public static final int MAX_INBOUND_MESSAGE_BYTES_DEFAULT = 128 * 1024 * 1024;
    public static final String KEEPALIVE_TIME_MS = "keepalive.time.ms";
    public static final long KEEPALIVE_TIME_MS_DEFAULT = 30_000;
    /**
     * gRPC {@code io.grpc.ClientInterceptor} classes (public, with a public no-argument constructor)
     * put on every channel to a broker, in order: for tracing, metrics, or fault injection in tests.
     */
    public static final String GRPC_INTERCEPTOR_CLASSES = "grpc.interceptor.classes";

    private final Map<String, Object> values;
    private final Map<String, Object> originals;

    /** Parses {@code props} against {@code def} (which should extend {@link #commonDef()}). */
    protected ClientConfig(ConfigDef def, Map<String, ?> props) {
        this.originals = Collections.unmodifiableMap(new HashMap<>(props));
        this.values = Collections.unmodifiableMap(def.parse(props));
        long backoff = getLong(RETRY_BACKOFF_MS);
        long backoffMax = getLong(RETRY_BACKOFF_MAX_MS);
        if (backoffMax < backoff) {
            throw new ConfigException(RETRY_BACKOFF_MAX_MS + " " + backoffMax + " must be at least "
                    + RETRY_BACKOFF_MS + " " + backoff);
        }
    }

    /** A config with the common keys only (for code that needs nothing else, and tests). */
    public static ClientConfig of(Map<String, ?> props) {
        return new ClientConfig(commonDef(), props);
    }

    /** The common keys, in a new definition a subclass adds its own keys to. */
    public static ConfigDef commonDef() {
        return new ConfigDef()
                .define(BOOTSTRAP_SERVERS, ConfigDef.Type.LIST, ConfigDef.NO_DEFAULT, ClientConfig::validateServers,
                        "comma-separated host:port list of brokers to bootstrap from, e.g. 127.0.0.1:7401")
                .define(CLIENT_ID, ConfigDef.Type.STRING, CLIENT_ID_DEFAULT, "a name for logs and thread names")
                .define(REQUEST_TIMEOUT_MS, ConfigDef.Type.INT, REQUEST_TIMEOUT_MS_DEFAULT, ConfigDef.atLeast(1),
                        "the deadline of one request to a broker, in ms")
                .define(RETRY_BACKOFF_MS, ConfigDef.Type.LONG, RETRY_BACKOFF_MS_DEFAULT, ConfigDef.atLeast(0),
                        "the first backoff before a retry, in ms")
                .define(RETRY_BACKOFF_MAX_MS, ConfigDef.Type.LONG, RETRY_BACKOFF_MAX_MS_DEFAULT, ConfigDef.atLeast(0),
                        "the largest backoff before a retry (it doubles from retry.backoff.ms), in ms")
                .define(METADATA_MAX_AGE_MS, ConfigDef.Type.LONG, METADATA_MAX_AGE_MS_DEFAULT, ConfigDef.atLeast(0),
                        "metadata older than this is refreshed, in ms")
                .define(MAX_INBOUND_MESSAGE_BYTES, ConfigDef.Type.INT, MAX_INBOUND_MESSAGE_BYTES_DEFAULT,
                        ConfigDef.atLeast(1024), "the largest gRPC message accepted from a broker, in bytes")
                .define(KEEPALIVE_TIME_MS, ConfigDef.Type.LONG, KEEPALIVE_TIME_MS_DEFAULT, ConfigDef.atLeast(10_000),
                        "gRPC keepalive ping interval, in ms (brokers refuse pings more often than every 10 s)")
                .define(GRPC_INTERCEPTOR_CLASSES, ConfigDef.Type.LIST, List.of(),
                        "io.grpc.ClientInterceptor classes (public, no-argument constructor) put on every broker channel");
    }

    /** Properties to a map for the constructors that take {@link Properties}. */
    protected static Map<String, Object> toMap(Properties props) {
        Map<String, Object> m = new HashMap<>();
        for (String name : props.stringPropertyNames()) {
            m.put(name, props.getProperty(name));
        }
        return m;
    }

    private static void validateServers(String key, Object value) {
        List<?> list = (List<?>) value;
        if (list.isEmpty()) {
            throw new ConfigException("configuration " + key + " must list at least one host:port");
        }
        for (Object o : list) {
            parseAddress(key, (String) o);
        }
    }

    /** Parses {@code host:port} (IPv6 as {@code [::1]:7401}) to an unresolved address. */
    public static InetSocketAddress parseAddress(String key, String hostPort) {
        String s = hostPort.trim();
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            throw new ConfigException("invalid address '" + hostPort + "' in " + key + ": expected host:port");
        }
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 1 || port > 65535 || host.isEmpty()) {
            throw new ConfigException("invalid address '" + hostPort + "' in " + key
                    + ": expected host:port with a port 1..65535");
        }
        return InetSocketAddress.createUnresolved(host, port);
    }

    /** The bootstrap brokers, unresolved, in the order given. */
    public List<InetSocketAddress> bootstrapServers() {
        List<InetSocketAddress> out = new ArrayList<>();
        for (String s : getList(BOOTSTRAP_SERVERS)) {
            out.add(parseAddress(BOOTSTRAP_SERVERS, s));
        }
        return out;
    }

    public String clientId() {
        return getString(CLIENT_ID);
    }

    public Duration requestTimeout() {
        return Duration.ofMillis(getInt(REQUEST_TIMEOUT_MS));
    }

    /** The backoff before retry number {@code attempt} (1 = first retry): doubling, capped. */
    public long retryBackoffMs(int attempt) {
        long base = getLong(RETRY_BACKOFF_MS);
        long max = getLong(RETRY_BACKOFF_MAX_MS);
        long b = base << Math.min(Math.max(attempt - 1, 0), 20);
        return Math.min(b < 0 ? max : b, max);
    }

    public String getString(String key) {
        return (String) get(key);
    }

    public int getInt(String key) {
        return (Integer) get(key);
    }

    public long getLong(String key) {
        return (Long) get(key);
    }

    public double getDouble(String key) {
        return (Double) get(key);
    }

    public boolean getBoolean(String key) {
        return (Boolean) get(key);
    }

    @SuppressWarnings("unchecked")
    public List<String> getList(String key) {
        return (List<String>) get(key);
    }

    /** The parsed value of a key, its default filled in (null only for a key whose default is null). */
    public Object get(String key) {
        if (!values.containsKey(key)) {
            throw new ConfigException("unknown configuration key " + key);
        }
        return values.get(key);
    }

    /** Every key's effective value, in definition order. */
    public Map<String, Object> values() {
        return values;
    }

    /** The properties as given. */
    public Map<String, Object> originals() {
        return originals;
    }

    /** One line per key, {@code key = value}, for logging the effective configuration. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(getClass().getSimpleName()).append(" values:");
        values.forEach((k, v) -> sb.append("\n\t").append(k).append(" = ").append(v));
        return sb.toString();
    }
}
