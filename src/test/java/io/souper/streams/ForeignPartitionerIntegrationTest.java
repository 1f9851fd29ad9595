package io.souper.streams;

import io.souper.events.EvaluationResult;
import io.souper.events.SoupDefinition;
import io.souper.events.SoupPolicy;
import io.souper.events.SoupUpdated;
import io.souper.kafka.EmbeddedKafkaBroker;
import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.SouperTopics;
import io.souper.kafka.TopicBootstrapper;
import io.souper.kafka.TopicNames;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Definitions and checkpoint results published by Confluent's Python client (librdkafka, whose
 * default partitioner hashes keys with CRC32) while the candidate answers come from a Java client
 * (murmur2): for the soups chosen here the two put the same soup id on different partitions, and the
 * soups must settle all the same. The Avro values are encoded by the Java serializer (the test's
 * registry is in-process); what Python decides is where each record goes, which is what is tested.
 */
class ForeignPartitionerIntegrationTest {

    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final int PARTITIONS = 3;
    private static final long[] ACCURACIES = {810, 842, 799, 860};
    private static final long T0 = System.currentTimeMillis() / 1000 * 1000;
    private static final String PRODUCE = String.join("\n",
            "import sys",
            "from confluent_kafka import Producer",
            "p = Producer({'bootstrap.servers': sys.argv[1]})  # librdkafka's default partitioner",
            "placed = []",
            "for line in open(sys.argv[2]):",
            "    topic, key, value, ts = line.rstrip('\\n').split('\\t')",
            "    def report(err, msg):",
            "        if err is not None: raise SystemExit('delivery failed: %s' % err)",
            "        placed.append('%s\\t%s\\t%d' % (msg.topic(), msg.key().decode(), msg.partition()))",
            "    p.produce(topic, key=key.encode(), value=bytes.fromhex(value), timestamp=int(ts), on_delivery=report)",
            "    p.flush(30)",
            "print('\\n'.join(placed))");

    @TempDir
    Path tmp;

    @Test
    void soupsSettleWhenDefinitionsAndResultsComeFromAProducerThatHashesKeysOtherwise() throws Exception {
        List<String> soups = soupsPlacedDifferently(2);
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(tmp.resolve("broker"))) {
            KafkaClientConfigs clients = new KafkaClientConfigs(broker.bootstrapServers(), "mock://foreign-" + UUID.randomUUID());
            SouperTopics topics = SouperTopics.forRegistry(clients.schemaRegistryUrl());
            try (Admin admin = Admin.create(clients.admin())) {
                new TopicBootstrapper(admin).ensure(TopicNames.all(PARTITIONS), (short) 1);
            }
            StringBuilder lines = new StringBuilder();
            for (String soup : soups) {
                SoupPolicy policy = soups.indexOf(soup) == 0 ? SoupPolicy.SORTED : SoupPolicy.ONLINE;
                SoupDefinition definition = Events.definition(soup, policy);
                line(lines, TopicNames.DEFINITIONS, soup,
                        topics.definitions.valueSerde().serializer().serialize(TopicNames.DEFINITIONS, definition), T0);
                for (int i = 0; i < ACCURACIES.length; i++) {
                    EvaluationResult scored = Events.checkpoint(soup, soup + "-c" + i, ACCURACIES[i]);
                    line(lines, TopicNames.EVALUATIONS, soup,
                            topics.evaluations.valueSerde().serializer().serialize(TopicNames.EVALUATIONS, scored),
                            T0 + 1000L * (i + 1));
                }
            }
            Path records = tmp.resolve("records.tsv");
            Files.writeString(records, lines);

            try (OracleEvaluator evaluator = new OracleEvaluator(clients, topics, "oracle");
                 RunningSouper souper = new RunningSouper(clients, topics, "souper-foreign", tmp.resolve("state"))) {
                List<String> placed = producePython(broker.bootstrapServers(), records);
                for (String soup : soups) {
                    // the premise: Python put the soup's records where a Java client would not have
                    assertThat(placed).contains(TopicNames.DEFINITIONS + "\t" + soup + "\t" + crc32Partition(soup));
                    assertThat(crc32Partition(soup)).isNotEqualTo(murmur2Partition(soup));
                }
                for (String soup : soups) {
                    souper.awaitSettled(soup, ACCURACIES.length, Duration.ofSeconds(90));
                }
            }
            Map<String, SoupUpdated> finalSoups = SouperRestartIntegrationTest.latestByKey(clients, topics.updates);
            assertThat(finalSoups).containsOnlyKeys(soups);
            // both policies took candidates answered by the Java evaluator, from the other partition
            finalSoups.values().forEach(soup -> assertThat(soup.getScoredCount()).isEqualTo(ACCURACIES.length));
            assertThat(SouperRestartIntegrationTest.byKey(clients, topics.deadLetters)).isEmpty();
        }
    }

    /** Soup ids that librdkafka (CRC32) and Java (murmur2) put on different partitions. */
    private static List<String> soupsPlacedDifferently(int count) {
        List<String> soups = new ArrayList<>();
        for (int i = 0; soups.size() < count; i++) {
            String soup = "py-soup-" + i;
            if (crc32Partition(soup) != murmur2Partition(soup)) {
                soups.add(soup);
            }
        }
        return soups;
    }

    static int crc32Partition(String key) {
        CRC32 crc = new CRC32();
        crc.update(key.getBytes(StandardCharsets.UTF_8));
        return (int) (crc.getValue() % PARTITIONS);
    }

    static int murmur2Partition(String key) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % PARTITIONS;
    }

    private static void line(StringBuilder lines, String topic, String key, byte[] value, long timestamp) {
        lines.append(topic).append('\t').append(key).append('\t').append(HexFormat.of().formatHex(value))
                .append('\t').append(timestamp).append('\n');
    }

    private List<String> producePython(String bootstrap, Path records) throws Exception {
        Path script = tmp.resolve("produce.py");
        Files.writeString(script, PRODUCE);
        Path out = tmp.resolve("python.out");
        Process process = new ProcessBuilder(PYTHON.toString(), script.toString(), bootstrap, records.toString())
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("python producer finished").isTrue();
        String output = Files.readString(out);
        assertThat(process.exitValue()).as("python producer: %s", output).isZero();
        return output.lines().toList();
    }
}
