package io.souper.registry;

import java.time.Duration;
import java.util.Map;

/** Chooses a {@link SchemaRegistryClient} for a URL, as Confluent's serdes do. */
public final class SchemaRegistryClients {
    /** Prefix of URLs served by the JVM-wide {@link InMemorySchemaRegistryClient} of a scope. */
    public static final String MOCK_SCHEME = "mock://";
    /** Milliseconds to wait for a TCP connection to the registry (default 10000). */
    public static final String CONNECT_TIMEOUT_MS = "schema.registry.connect.timeout.ms";
    /** Milliseconds to wait for one registry answer (default 30000). */
    public static final String REQUEST_TIMEOUT_MS = "schema.registry.request.timeout.ms";

    private SchemaRegistryClients() {}

    /**
     * {@code mock://scope} gives the shared in-memory registry of that scope; {@code http(s)://...}
     * (comma-separated for several registries) gives an {@link HttpSchemaRegistryClient} with the
     * timeouts of {@code config} ({@link #CONNECT_TIMEOUT_MS}, {@link #REQUEST_TIMEOUT_MS}) and its
     * credentials and TLS stores ({@link RegistryClientSecurity}: Confluent's property names).
     */
    public static SchemaRegistryClient forUrl(String url, Map<String, ?> config) {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("schema.registry.url must be set (http://host:port or mock://scope)");
        }
        String trimmed = url.trim();
        if (trimmed.startsWith(MOCK_SCHEME)) {
            if (trimmed.contains(",")) {
                throw new IllegalArgumentException("a mock:// schema registry URL names one scope, got '" + url + "'");
            }
            return InMemorySchemaRegistryClient.forScope(trimmed.substring(MOCK_SCHEME.length()));
        }
        return new HttpSchemaRegistryClient(trimmed,
                millis(config, CONNECT_TIMEOUT_MS, HttpSchemaRegistryClient.DEFAULT_CONNECT_TIMEOUT),
                millis(config, REQUEST_TIMEOUT_MS, HttpSchemaRegistryClient.DEFAULT_REQUEST_TIMEOUT),
                RegistryClientSecurity.from(trimmed, config));
    }

    private static Duration millis(Map<String, ?> config, String key, Duration fallback) {
        Object value = config == null ? null : config.get(key);
        if (value == null) {
            return fallback;
        }
        try {
            long ms = value instanceof Number n ? n.longValue() : Long.parseLong(value.toString().trim());
            if (ms <= 0) {
                throw new NumberFormatException("not positive");
            }
            return Duration.ofMillis(ms);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a positive number of milliseconds, got '" + value + "'");
        }
    }
}
