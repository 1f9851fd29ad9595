package io.souper.web;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The log format a process picks from {@code SOUPER_LOG_FORMAT}, through the real
 * logback.xml: each case runs a fresh JVM, since logback reads its configuration once.
 */
class LogFormatTest {

    /** What the child JVM logs: a plain line, one with a line break, one with a stack trace. */
    public static final class Sample {
        public static void main(String[] args) {
            Logger log = LoggerFactory.getLogger("io.souper.sample");
            log.info("souper streams {} -> {}", "REBALANCING", "RUNNING");
            log.info("two\nlines \"quoted\"");
            log.warn("stream thread failed; replacing it", new IllegalStateException("boom"));
        }
    }

    @Test
    void jsonGivesOneObjectPerLineWithAnIsoTimestampAndTheStackTraceInside() throws Exception {
        Instant before = Instant.now().minusSeconds(1);
        List<String> lines = run("json");

        assertThat(lines).hasSize(3);
        List<JsonNode> records = new ArrayList<>();
        for (String line : lines) {
            JsonNode record = Json.MAPPER.readTree(line);
            assertThat(record.isObject()).as(line).isTrue();
            records.add(record);
        }
        for (JsonNode r : records) {
            String timestamp = r.get("timestamp").asText();
            assertThat(timestamp).matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z");
            assertThat(Instant.parse(timestamp)).isBetween(before, Instant.now().plusSeconds(1));
            assertThat(r.get("logger").asText()).isEqualTo("io.souper.sample");
            assertThat(r.get("thread").asText()).isEqualTo("main");
        }
        assertThat(records.get(0).get("level").asText()).isEqualTo("INFO");
        assertThat(records.get(0).get("message").asText()).isEqualTo("souper streams REBALANCING -> RUNNING");
        assertThat(records.get(1).get("message").asText()).isEqualTo("two\nlines \"quoted\"");
        assertThat(records.get(2).get("level").asText()).isEqualTo("WARN");
        assertThat(records.get(2).get("exception").asText())
                .startsWith("java.lang.IllegalStateException: boom")
                .contains("\tat io.souper.web.LogFormatTest$Sample.main");
        assertThat(records.get(0).has("exception")).isFalse();
    }

    @Test
    void textIsTheDefaultWithAnIsoTimestampAndAnUnknownFormatFallsBackToIt() throws Exception {
        for (String format : new String[] {null, "xml"}) {
            List<String> lines = run(format);
            assertThat(lines.stream().filter(l -> l.contains("io.souper.sample")).toList()).as("format " + format)
                    .hasSize(3)
                    .allSatisfy(l -> assertThat(l).matches(
                            "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}(Z|[+-]\\d{2}:\\d{2}) (INFO |WARN ) .*"));
            assertThat(String.join("\n", lines)).contains("java.lang.IllegalStateException: boom");
        }
    }

    /** Runs {@link Sample} in a new JVM; its stderr lines. */
    private static List<String> run(String format) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder builder = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                Sample.class.getName()).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        builder.environment().remove("SOUPER_LOG_FORMAT");
        builder.environment().remove("SOUPER_LOG_LEVEL");
        if (format != null) {
            builder.environment().put("SOUPER_LOG_FORMAT", format);
        }
        Process process = builder.start();
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(Duration.ofSeconds(60).toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(err).isZero();
        return err.lines().filter(l -> !l.isBlank()).toList();
    }
}
