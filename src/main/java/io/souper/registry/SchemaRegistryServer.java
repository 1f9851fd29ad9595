package io.souper.registry;

import com.sun.net.httpserver.BasicAuthenticator;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpServer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An embedded schema registry speaking the Avro subset of Confluent's REST API, so Confluent's own
 * serializers (Java, Python, Go...) work against it:
 *
 * <pre>
 * GET  /                                   {}
 * GET  /subjects                           ["a-value", ...]
 * POST /subjects/{s}/versions              register        -> {"id": 1}
 * POST /subjects/{s}                       lookup          -> {"subject","version","id","schema"}
 * GET  /subjects/{s}/versions              [1, 2]
 * GET  /subjects/{s}/versions/{v|latest}   {"subject","version","id","schema"}
 * GET  /schemas/ids/{id}                   {"schema": "..."}
 * POST /compatibility/subjects/{s}/versions[/{v|latest}]   {"is_compatible": true}
 * GET|PUT /config[/{s}]                    {"compatibilityLevel": "BACKWARD"} / {"compatibility": "FULL"}
 * </pre>
 *
 * <p>State lives in a compacted single-partition topic ({@code _schemas} by default, replication 1
 * for the embedded single-broker mode). On start the server reads the topic to its end; on every
 * change it writes the record and waits for the broker's acknowledgement before answering, so an id
 * once handed out survives restarts.
 *
 * <p><b>Single writer.</b> The server keeps its state in memory and does not re-read the topic before
 * writing, so exactly one server may run per topic (one per cluster in all-in-one mode). Two servers
 * on one topic could hand out the same id twice; use Confluent Schema Registry (leader election) for
 * a replicated registry. Deleting subjects or versions is not supported.
 */
public final class SchemaRegistryServer implements AutoCloseable {
    public static final String DEFAULT_TOPIC = "_schemas";
    private static final Logger LOG = LoggerFactory.getLogger(SchemaRegistryServer.class);

    private final SchemaLog log;
    private final HttpServer http;
    private final ExecutorService executor;
    private final String url;

    /** Serves on the loopback interface at {@code port} (0: any free port), state in {@code _schemas}. */
    public SchemaRegistryServer(String bootstrapServers, int port) {
        this(bootstrapServers, new InetSocketAddress(InetAddress.getLoopbackAddress(), port), DEFAULT_TOPIC);
    }

    /**
     * @param bootstrapServers Kafka cluster holding the state topic
     * @param address where to listen; port 0 picks a free port; a wildcard address listens everywhere
     * @param topic state topic, created (1 partition, replication 1, compacted) when missing
     */
    public SchemaRegistryServer(String bootstrapServers, InetSocketAddress address, String topic) {
        this(new KafkaSchemaLog(bootstrapServers, topic, (short) 1), address, Map.of());
    }

    /**
     * @param kafkaClientProperties the cluster's client properties ({@code bootstrap.servers}, and SASL or
     *                              TLS settings for a secured cluster)
     * @param users                 user name to password; when not empty every request must carry HTTP basic
     *                              credentials of one of them, as Confluent's registry with
     *                              {@code authentication.method=BASIC} requires
     */
    public SchemaRegistryServer(Map<String, ?> kafkaClientProperties, InetSocketAddress address, String topic,
                                Map<String, String> users) {
        this(new KafkaSchemaLog(kafkaClientProperties, topic, (short) 1), address, users);
    }

    /** For tests: a server over any log. The server closes the log when it closes. */
    SchemaRegistryServer(SchemaLog log, InetSocketAddress address) {
        this(log, address, Map.of());
    }

    private SchemaRegistryServer(SchemaLog log, InetSocketAddress address, Map<String, String> users) {
        this.log = log;
        SchemaRegistryState state;
        try {
            state = new SchemaRegistryState(log);
            this.http = HttpServer.create(address, 0);
        } catch (IOException e) {
            log.close();
            throw new UncheckedIOException("cannot listen on " + address, e);
        } catch (RuntimeException e) {
            log.close();
            throw e;
        }
        this.executor = Executors.newFixedThreadPool(4, daemonThreads());
        http.setExecutor(executor);
        HttpContext context = http.createContext("/", new RegistryRestHandler(state));
        if (!users.isEmpty()) {
            context.setAuthenticator(new PasswordCheck(Map.copyOf(users)));
        }
        http.start();
        InetSocketAddress bound = http.getAddress();
        String host = bound.getAddress().isAnyLocalAddress() ? "localhost" : bound.getAddress().getHostAddress();
        if (host.contains(":")) {
            host = "[" + host + "]";
        }
        this.url = "http://" + host + ":" + bound.getPort();
        LOG.info("Schema registry listening at {} with {} subjects{}", url, state.subjects().size(),
                users.isEmpty() ? "" : " (basic authentication required)");
    }

    /** Base URL for clients, e.g. {@code http://127.0.0.1:34567}. */
    public String url() {
        return url;
    }

    public int port() {
        return http.getAddress().getPort();
    }

    @Override
    public void close() {
        http.stop(0);
        executor.shutdown();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.close();
        LOG.info("Schema registry at {} stopped", url);
    }

    /** HTTP basic authentication against a fixed table; compares in constant time. */
    private static final class PasswordCheck extends BasicAuthenticator {
        private final Map<String, String> users;

        PasswordCheck(Map<String, String> users) {
            super("souper-schema-registry", StandardCharsets.UTF_8);
            this.users = users;
        }

        @Override
        public boolean checkCredentials(String user, String password) {
            String expected = users.get(user);
            return expected != null && MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8),
                    password.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static ThreadFactory daemonThreads() {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, "schema-registry-http-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
