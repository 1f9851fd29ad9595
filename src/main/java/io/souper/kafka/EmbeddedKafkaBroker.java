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

    private final KafkaRaftServer server;
    private final String bootstrapServers;
    private final Path logDir;

    private EmbeddedKafkaBroker(KafkaRaftServer server, String bootstrapServers, Path logDir) {
        this.server = server;
        this.bootstrapServers = bootstrapServers;
        this.logDir = logDir;
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
        Path logDir = dataDir.resolve("kafka").toAbsolutePath();
        int brokerPort = port == 0 ? FreePorts.pick() : port;
        int controllerPort = FreePorts.pick();
        Properties props = serverProperties(logDir, brokerPort, controllerPort);
        try {
            Files.createDirectories(logDir);
            formatIfNew(logDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare Kafka log directory " + logDir, e);
        }
        KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
        server.startup();
        String bootstrap = "localhost:" + brokerPort;
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(server, bootstrap, logDir);
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
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
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
