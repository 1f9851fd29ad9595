package io.souper.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.souper.events.CheckpointReady;
import io.souper.kafka.EmbeddedKafkaBroker;
import io.souper.registry.HttpSchemaRegistryClient;
import io.souper.registry.SchemaRegistryClient;
import io.souper.registry.SchemaRegistryServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interop with Confluent's own Python client (python3-confluent-kafka, python3-avro) through the
 * embedded broker and registry: Python writes, Java reads; Java writes, Python reads. Missing Python
 * packages make this test fail, not skip: interop is a promise of the wire format.
 */
class PythonInteropTest {
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final Path PUBLISH = Path.of("examples/publish_checkpoint.py");
    private static final Path CONSUME = Path.of("src/test/resources/python/consume_checkpoint.py");
    private static final String INSTALL_HINT = "install the Debian packages python3-confluent-kafka python3-avro";
    private static final String PYTHON_TOPIC = "souper.checkpoints";
    private static final String JAVA_TOPIC = "java.checkpoints";

    @TempDir
    static Path dataDir;
    private static EmbeddedKafkaBroker broker;
    private static SchemaRegistryServer registry;

    @BeforeAll
    static void start() throws Exception {
        requirePythonWithConfluentKafka();
        broker = EmbeddedKafkaBroker.start(dataDir);
        registry = new SchemaRegistryServer(broker.bootstrapServers(), 0);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(PYTHON_TOPIC, 1, (short) 1), new NewTopic(JAVA_TOPIC, 1, (short) 1)))
                    .all().get(30, TimeUnit.SECONDS);
        }
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void aCheckpointPublishedByConfluentsPythonProducerIsReadByTheJavaDeserializer() throws Exception {
        String sha = "0123456789abcdef".repeat(4);
        String output = run(PYTHON.toString(), PUBLISH.toString(),
                "--bootstrap", broker.bootstrapServers(), "--registry", registry.url(),
                "--soup", "soup-py", "--checkpoint-id", "ckpt-py-1",
                "--uri", "file:///store/ckpt-py-1.safetensors", "--run-id", "run-py",
                "--hp", "lr=0.01", "epochs=2", "--metric", "train_loss=0.25",
                "--step", "1200", "--sha256", sha, "--size-bytes", "4096",
                "--produced-at-ms", "1700000000123", "--topic", PYTHON_TOPIC);
        assertThat(output).contains("published checkpoint ckpt-py-1 of soup soup-py");

        ConsumerRecord<String, byte[]> record = readOne(PYTHON_TOPIC);
        SchemaRegistryClient client = new HttpSchemaRegistryClient(registry.url());
        SpecificAvroDeserializer<CheckpointReady> deserializer = new SpecificAvroDeserializer<>();
        deserializer.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, registry.url()), false);
        CheckpointReady event = deserializer.deserialize(PYTHON_TOPIC, record.value());

        assertThat(record.key()).isEqualTo("soup-py");
        assertThat(event.getCheckpointId()).isEqualTo("ckpt-py-1");
        assertThat(event.getSoupId()).isEqualTo("soup-py");
        assertThat(event.getUri()).isEqualTo("file:///store/ckpt-py-1.safetensors");
        assertThat(event.getFormat()).isEqualTo("safetensors");
        assertThat(event.getSha256()).isEqualTo(sha);
        assertThat(event.getSizeBytes()).isEqualTo(4096L);
        assertThat(event.getRunId()).isEqualTo("run-py");
        assertThat(event.getStep()).isEqualTo(1200L);
        assertThat(event.getHyperParameters()).containsExactlyInAnyOrderEntriesOf(Map.of("lr", "0.01", "epochs", "2"));
        assertThat(event.getMetrics()).containsExactlyInAnyOrderEntriesOf(Map.of("train_loss", 0.25));
        assertThat(event.getProducedAt()).isEqualTo(Instant.ofEpochMilli(1_700_000_000_123L));
        // Python registered its rendering of the schema; Java's serializer registers the same schema: same id.
        int pythonId = WireFormat.schemaId(record.value(), PYTHON_TOPIC);
        byte[] javaBytes = new SpecificAvroSerializer<CheckpointReady>(client).serialize(PYTHON_TOPIC, event);
        assertThat(WireFormat.schemaId(javaBytes, PYTHON_TOPIC)).isEqualTo(pythonId);
        assertThat(client.getVersions(PYTHON_TOPIC + "-value")).containsExactly(1);
    }

    @Test
    void aCheckpointWrittenByTheJavaSerializerIsReadByConfluentsPythonConsumer() throws Exception {
        CheckpointReady sent = SampleEvents.checkpointReady();
        Map<String, Object> config = Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                AvroSerdeConfig.SCHEMA_REGISTRY_URL, registry.url());
        SpecificAvroSerializer<CheckpointReady> serializer = new SpecificAvroSerializer<>();
        serializer.configure(config, false);
        try (KafkaProducer<String, CheckpointReady> producer =
                     new KafkaProducer<>(config, new StringSerializer(), serializer)) {
            producer.send(new ProducerRecord<>(JAVA_TOPIC, sent.getSoupId(), sent)).get(30, TimeUnit.SECONDS);
        }

        String output = run(PYTHON.toString(), CONSUME.toString(), "--bootstrap", broker.bootstrapServers(),
                "--registry", registry.url(), "--topic", JAVA_TOPIC, "--count", "1", "--timeout", "40");
        JsonNode line = new ObjectMapper().readTree(output.lines().filter(l -> l.startsWith("{")).findFirst()
                .orElseThrow(() -> new AssertionError("no JSON line from the Python consumer:\n" + output)));
        JsonNode value = line.get("value");

        assertThat(line.get("key").asText()).isEqualTo(sent.getSoupId());
        assertThat(value.get("checkpointId").asText()).isEqualTo(sent.getCheckpointId());
        assertThat(value.get("soupId").asText()).isEqualTo(sent.getSoupId());
        assertThat(value.get("uri").asText()).isEqualTo(sent.getUri());
        assertThat(value.get("format").asText()).isEqualTo(sent.getFormat());
        assertThat(value.get("sha256").asText()).isEqualTo(sent.getSha256());
        assertThat(value.get("sizeBytes").asLong()).isEqualTo(sent.getSizeBytes());
        assertThat(value.get("runId").asText()).isEqualTo(sent.getRunId());
        assertThat(value.get("step").asLong()).isEqualTo(sent.getStep());
        assertThat(new ObjectMapper().convertValue(value.get("hyperParameters"), Map.class))
                .isEqualTo(sent.getHyperParameters());
        assertThat(value.get("metrics").size()).isEqualTo(sent.getMetrics().size());
        sent.getMetrics().forEach((name, metric) ->
                assertThat(value.get("metrics").get(name).asDouble()).as(name).isEqualTo(metric));
        assertThat(value.get("producedAt").asLong()).isEqualTo(sent.getProducedAt().toEpochMilli());
        assertThat(value.size()).as("fields printed by Python").isEqualTo(CheckpointReady.getClassSchema().getFields().size());
    }

    /** Fails (never skips) without Python or its Confluent packages: the interop promise needs both. */
    private static void requirePythonWithConfluentKafka() throws Exception {
        if (!Files.isExecutable(PYTHON)) {
            fail(PYTHON + " not found: " + INSTALL_HINT);
        }
        Process probe = new ProcessBuilder(PYTHON.toString(), "-c", "import confluent_kafka.avro, avro.schema")
                .redirectErrorStream(true).start();
        String output = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!probe.waitFor(30, TimeUnit.SECONDS) || probe.exitValue() != 0) {
            fail("Python cannot import confluent_kafka.avro / avro: " + INSTALL_HINT + "\n" + output);
        }
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Path out = Files.createTempFile(dataDir, "python", ".out");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        boolean finished = process.waitFor(60, TimeUnit.SECONDS);
        if (!finished) {
            process.destroyForcibly();
        }
        String output = Files.readString(out);
        if (!finished || process.exitValue() != 0) {
            fail(String.join(" ", command) + (finished ? " exited with " + process.exitValue() : " timed out")
                    + ":\n" + output);
        }
        return output;
    }

    private static ConsumerRecord<String, byte[]> readOne(String topic) {
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "interop-" + System.nanoTime(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (records.isEmpty() && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(records::add);
            }
        }
        assertThat(records).as("records on " + topic).hasSize(1);
        return records.get(0);
    }
}
