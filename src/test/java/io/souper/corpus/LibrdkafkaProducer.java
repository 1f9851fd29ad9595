package io.souper.corpus;

import io.souper.testsupport.TorchReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.apache.kafka.common.utils.Utils;

/**
 * Sends records with Confluent's Python client, whose librdkafka hashes keys with CRC32 by default
 * where Java clients use murmur2: the producer a Python, Go or .NET trainer would use.
 */
final class LibrdkafkaProducer {

    private static final String SCRIPT = String.join("\n",
            "import sys",
            "from confluent_kafka import Producer",
            "p = Producer({'bootstrap.servers': sys.argv[1]})  # librdkafka's default partitioner",
            "placed = []",
            "def report(err, msg):",
            "    if err is not None: raise SystemExit('delivery failed: %s' % err)",
            "    placed.append('%s\\t%s\\t%d' % (msg.topic(), msg.key().decode(), msg.partition()))",
            "for line in open(sys.argv[2]):",
            "    topic, key, value = line.rstrip('\\n').split('\\t')",
            "    p.produce(topic, key=key.encode(), value=bytes.fromhex(value), on_delivery=report)",
            "    p.flush(30)",
            "print('\\n'.join(placed))");

    record Record(String topic, String key, byte[] value) {
    }

    private LibrdkafkaProducer() {
    }

    /** Sends {@code records} in order, one at a time; returns "topic, key, partition" lines, tab-separated. */
    static List<String> send(Path workDir, String bootstrapServers, List<Record> records) throws Exception {
        StringBuilder lines = new StringBuilder();
        for (Record r : records) {
            lines.append(r.topic()).append('\t').append(r.key()).append('\t')
                    .append(HexFormat.of().formatHex(r.value())).append('\n');
        }
        Path input = Files.writeString(Files.createTempFile(workDir, "librdkafka", ".tsv"), lines);
        Process process = new ProcessBuilder(TorchReference.PYTHON.toString(), "-c", SCRIPT, bootstrapServers,
                input.toString()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new AssertionError("the Python producer failed: " + output);
        }
        return output.lines().toList();
    }

    /** The partition librdkafka's default partitioner picks for {@code key}. */
    static int crc32Partition(String key, int partitions) {
        CRC32 crc = new CRC32();
        crc.update(key.getBytes(StandardCharsets.UTF_8));
        return (int) (crc.getValue() % partitions);
    }

    /** The partition a Java client's default partitioner picks for {@code key}. */
    static int murmur2Partition(String key, int partitions) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
    }
}
