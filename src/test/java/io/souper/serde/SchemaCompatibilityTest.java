package io.souper.serde;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Schema evolution guard: every schema in schemas/ must read data written with its released version
 * in src/test/resources/schema-baseline/ (BACKWARD, what the registry enforces by default), so events
 * already in Kafka stay readable after an upgrade. Refresh the baseline (copy schemas/ over it) when a
 * schema version is released, never to make this test pass.
 */
class SchemaCompatibilityTest {
    private static final Path CURRENT = Path.of("schemas");
    private static final Path BASELINE = Path.of("src/test/resources/schema-baseline");

    @TempDir
    Path scratch;

    @Test
    void everyCurrentSchemaReadsDataWrittenWithTheBaseline() throws IOException {
        Map<String, Schema> baseline = AvscDirectory.load(BASELINE);
        assertThat(baseline).containsKeys("io.souper.events.CheckpointReady", "io.souper.events.SoupDecision");

        assertThat(backwardIncompatibilities(AvscDirectory.load(CURRENT), baseline)).isEmpty();
    }

    @Test
    void aNewFieldWithoutDefaultIsReported() throws IOException {
        Path modified = copyOfCurrent();
        replaceIn(modified.resolve("CheckpointReady.avsc"), "{\"name\": \"runId\", \"type\": \"string\"},",
                "{\"name\": \"runId\", \"type\": \"string\"}, {\"name\": \"gpuModel\", \"type\": \"string\"},");

        List<String> problems = backwardIncompatibilities(AvscDirectory.load(modified), AvscDirectory.load(BASELINE));

        assertThat(problems).singleElement().asString()
                .contains("io.souper.events.CheckpointReady")
                .contains("READER_FIELD_MISSING_DEFAULT_VALUE")
                .contains("gpuModel");
    }

    @Test
    void aBreakingChangeToASharedTypeIsReportedForItAndEveryRecordUsingIt() throws IOException {
        Path modified = copyOfCurrent();
        replaceIn(modified.resolve("common/SplitMetrics.avsc"), "{\"name\": \"total\", \"type\": \"long\"}",
                "{\"name\": \"total\", \"type\": \"int\"}");

        List<String> problems = backwardIncompatibilities(AvscDirectory.load(modified), AvscDirectory.load(BASELINE));

        assertThat(problems).anySatisfy(p -> assertThat(p).contains("io.souper.events.SplitMetrics: "))
                .anySatisfy(p -> assertThat(p).contains("io.souper.events.EvaluationResult: "))
                .anySatisfy(p -> assertThat(p).contains("io.souper.events.SoupUpdated: "))
                .allSatisfy(p -> assertThat(p).contains("TYPE_MISMATCH"));
    }

    @Test
    void aRemovedSchemaIsReported() throws IOException {
        Path modified = copyOfCurrent();
        Files.delete(modified.resolve("DeadLetter.avsc"));

        assertThat(backwardIncompatibilities(AvscDirectory.load(modified), AvscDirectory.load(BASELINE)))
                .containsExactly("io.souper.events.DeadLetter: removed, but data written with it may still be in Kafka");
    }

    /** One line per baseline schema the current schemas cannot read data of. */
    static List<String> backwardIncompatibilities(Map<String, Schema> current, Map<String, Schema> baseline) {
        List<String> problems = new ArrayList<>();
        baseline.forEach((name, old) -> {
            Schema now = current.get(name);
            if (now == null) {
                problems.add(name + ": removed, but data written with it may still be in Kafka");
                return;
            }
            SchemaPairCompatibility pair = SchemaCompatibility.checkReaderWriterCompatibility(now, old);
            if (pair.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
                List<String> details = new ArrayList<>();
                pair.getResult().getIncompatibilities().forEach(i ->
                        details.add(i.getType() + " at " + i.getLocation() + " (" + i.getMessage() + ")"));
                problems.add(name + ": " + String.join(", ", details));
            }
        });
        return problems;
    }

    private Path copyOfCurrent() throws IOException {
        Path copy = scratch.resolve("schemas");
        try (Stream<Path> tree = Files.walk(CURRENT)) {
            for (Path source : tree.toList()) {
                Path target = copy.resolve(CURRENT.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target);
                }
            }
        }
        return copy;
    }

    private static void replaceIn(Path file, String text, String replacement) throws IOException {
        String content = Files.readString(file);
        assertThat(content).as("test setup: %s must contain %s", file, text).contains(text);
        Files.writeString(file, content.replace(text, replacement));
    }
}
