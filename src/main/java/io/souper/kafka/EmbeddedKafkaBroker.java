package io.souper.kafka;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * A single-node KRaft broker (combined broker and controller) for the all-in-one
 * mode and the tests. It is the real {@link KafkaRaftServer}, not a test kit, so no
 * test jars ship in the product. The log directory is formatted once; starting again
 * on the same directory keeps every topic and message.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
    private static final int NODE_ID = 1;

    /** The broker's own account on a SASL listener (it talks to itself as a client). */
    private static final String BROKER_USER = "souperbroker";

    private final KafkaRaftServer server;
    private final String bootstrapServers;
    private final Path logDir;
    /** Client properties with the broker's own credentials, for its readiness check. */
    private final Map<String, Object> ownClientProperties;

    private EmbeddedKafkaBroker(KafkaRaftServer server, String bootstrapServers, Path logDir,
                                Map<String, Object> ownClientProperties) {
        this.server = server;
        this.bootstrapServers = bootstrapServers;
        this.logDir = logDir;
        this.ownClientProperties = ownClientProperties;
    }

    /** Starts a broker on free ports, keeping its data under {@code dataDir}. */
    public static EmbeddedKafkaBroker start(Path dataDir) {
        return start(dataDir, 0);
    }

    /**
     * Starts a broker whose client listener is on {@code port} (0 picks a free one),
     * keeping its data under {@code dataDir}, and waits until it answers.
     */
    public static EmbeddedKafkaBroker start(Path dataDir, int port) {
        return start(dataDir, port, Map.of());
    }

    /**
     * As above; with {@code saslUsers} (user name to password) not empty, the client listener is
     * SASL_PLAINTEXT with the PLAIN mechanism and only those users get in, as on a secured cluster.
     * Clients then need {@code security.protocol=SASL_PLAINTEXT}, {@code sasl.mechanism=PLAIN} and a
     * {@code sasl.jaas.config} naming one of the users.
     */
    public static EmbeddedKafkaBroker start(Path dataDir, int port, Map<String, String> saslUsers) {
        Path logDir = dataDir.resolve("kafka").toAbsolutePath();
        int brokerPort = port == 0 ? FreePorts.pick() : port;
        int controllerPort = FreePorts.pick();
        while (controllerPort == brokerPort) { // a caller's port was picked and released: the OS may offer it again
            controllerPort = FreePorts.pick();
        }
        Properties props = serverProperties(logDir, brokerPort, controllerPort);
        Map<String, Object> own = new java.util.HashMap<>();
        own.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:" + brokerPort);
        if (!saslUsers.isEmpty()) {
            String brokerPassword = org.apache.kafka.common.Uuid.randomUuid().toString();
            props.putAll(saslListener(brokerPort, controllerPort, saslUsers, brokerPassword));
            own.putAll(plainClient(BROKER_USER, brokerPassword));
        }
        try {
            Files.createDirectories(logDir);
            formatIfNew(logDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare Kafka log directory " + logDir, e);
        }
        KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
        server.startup();
        String bootstrap = "localhost:" + brokerPort;
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(server, bootstrap, logDir, Map.copyOf(own));
        broker.awaitReady(Duration.ofSeconds(60));
        LOG.info("Embedded Kafka broker ready at {} (data in {})", bootstrap, logDir);
        return broker;
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public Path logDir() {
        return logDir;
    }

    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
    }

    private static Properties serverProperties(Path logDir, int brokerPort, int controllerPort) {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", String.valueOf(NODE_ID));
        p.put("controller.quorum.voters", NODE_ID + "@localhost:" + controllerPort);
        p.put("listeners", "PLAINTEXT://localhost:" + brokerPort + ",CONTROLLER://localhost:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://localhost:" + brokerPort);
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("log.dirs", logDir.toString());
        // One node: every internal topic has one replica, or exactly_once_v2 and
        // consumer groups wait forever for replicas that cannot exist.
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "4");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "4");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("default.replication.factor", "1");
        p.put("min.insync.replicas", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("auto.create.topics.enable", "false");
        p.put("log.flush.interval.messages", "1");
        p.put("num.partitions", "1");
        p.put("log.cleaner.dedupe.buffer.size", String.valueOf(8L * 1024 * 1024));
        p.put("log.segment.bytes", String.valueOf(64L * 1024 * 1024));
        return p;
    }

    /** The client listener as SASL_PLAINTEXT/PLAIN; the controller listener stays local and plain. */
    private static Map<String, String> saslListener(int brokerPort, int controllerPort, Map<String, String> users,
                                                   String brokerPassword) {
        StringBuilder jaas = new StringBuilder("org.apache.kafka.common.security.plain.PlainLoginModule required")
                .append(" username=\"").append(BROKER_USER).append("\" password=\"").append(brokerPassword).append('"')
                .append(" user_").append(BROKER_USER).append("=\"").append(brokerPassword).append('"');
        users.forEach((user, password) -> {
            if (!user.matches("[A-Za-z0-9_.]+") || password.contains("\"")) {
                throw new IllegalArgumentException("SASL user names are letters, digits, '_' and '.', and passwords "
                        + "have no '\"', got user '" + user + "'");
            }
            jaas.append(" user_").append(user).append("=\"").append(password).append('"');
        });
        jaas.append(';');
        return Map.of(
                "listeners", "SASL_PLAINTEXT://localhost:" + brokerPort + ",CONTROLLER://localhost:" + controllerPort,
                "advertised.listeners", "SASL_PLAINTEXT://localhost:" + brokerPort,
                "listener.security.protocol.map", "SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT",
                "inter.broker.listener.name", "SASL_PLAINTEXT",
                "sasl.enabled.mechanisms", "PLAIN",
                "sasl.mechanism.inter.broker.protocol", "PLAIN",
                "listener.name.sasl_plaintext.plain.sasl.jaas.config", jaas.toString());
    }

    /** Client properties that log in as {@code user} over SASL_PLAINTEXT with PLAIN. */
    public static Map<String, String> plainClient(String user, String password) {
        return Map.of(
                "security.protocol", "SASL_PLAINTEXT",
                "sasl.mechanism", "PLAIN",
                "sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                        + user + "\" password=\"" + password + "\";");
    }

    private static void formatIfNew(Path logDir) throws IOException {
        if (Files.exists(logDir.resolve("meta.properties"))) {
            return;
        }
        try (PrintStream quiet = new PrintStream(OutputStream.nullOutputStream())) {
            new Formatter()
                    .setPrintStream(quiet)
                    .setClusterId(org.apache.kafka.common.Uuid.randomUuid().toString())
                    .setNodeId(NODE_ID)
                    .setControllerListenerName("CONTROLLER")
                    .setMetadataLogDirectory(logDir.toString())
                    .setDirectories(List.of(logDir.toString()))
                    .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                    .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
                    .run();
        } catch (Exception e) {
            throw new IOException("cannot format Kafka log directory " + logDir + ": " + e.getMessage(), e);
        }
    }

    private void awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Admin admin = Admin.create(ownClientProperties)) {
            while (true) {
                try {
                    admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
                    return;
                } catch (Exception e) {
                    if (System.nanoTime() > deadline) {
                        close();
                        throw new IllegalStateException("embedded Kafka broker did not become ready at "
                                + bootstrapServers + " within " + timeout, e);
                    }
                }
            }
        }
    }
}
