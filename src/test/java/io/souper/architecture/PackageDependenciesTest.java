package io.souper.architecture;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The package layout the design promises, checked on the source tree so a stray import fails the
 * build instead of waiting for a review: the soup core and scoring know nothing of Kafka or the
 * Avro events, and only the CLI and the all-in-one runner reach into the evaluator service.
 * References are found in imports and in fully qualified names alike (comments excluded).
 */
class PackageDependenciesTest {

    private static final Path MAIN = Path.of("src/main/java/io/souper");
    private static final Pattern KAFKA_OR_EVENTS = Pattern.compile("\\b(org\\.apache\\.kafka|io\\.souper\\.events)\\.");
    private static final Pattern EVALUATOR = Pattern.compile("\\bio\\.souper\\.evaluator\\.");

    @Test
    void soupAndScoringUseNeitherKafkaNorTheEventClasses() throws IOException {
        List<String> offending = new ArrayList<>();
        offending.addAll(references(MAIN.resolve("soup"), KAFKA_OR_EVENTS));
        offending.addAll(references(MAIN.resolve("scoring"), KAFKA_OR_EVENTS));
        assertThat(offending).as("the pure core and scoring must not depend on Kafka or io.souper.events").isEmpty();
    }

    @Test
    void onlyTheCliAndTheAllInOneRunnerUseTheEvaluator() throws IOException {
        List<String> offending = new ArrayList<>();
        try (Stream<Path> packages = Files.list(MAIN)) {
            for (Path pkg : packages.filter(Files::isDirectory).sorted().toList()) {
                String name = pkg.getFileName().toString();
                if (name.equals("evaluator") || name.equals("cli")) {
                    continue;
                }
                references(pkg, EVALUATOR).stream()
                        .filter(r -> !r.startsWith(MAIN.resolve("demo/AllInOne.java").toString()))
                        .forEach(offending::add);
            }
        }
        assertThat(offending).as("only cli and demo/AllInOne may use io.souper.evaluator (use io.souper.scoring)")
                .isEmpty();
    }

    @Test
    void theCheckSeesWhatItLooksFor() {
        // guards the guard: a pattern that matched nothing would pass every layout
        assertThat(matches("import org.apache.kafka.clients.producer.KafkaProducer;", KAFKA_OR_EVENTS)).isTrue();
        assertThat(matches("var r = new io.souper.events.SplitMetrics();", KAFKA_OR_EVENTS)).isTrue();
        assertThat(matches("// see io.souper.events.SplitMetrics", KAFKA_OR_EVENTS)).isFalse();
        assertThat(matches("import io.souper.evaluator.EvaluatorService;", EVALUATOR)).isTrue();
        assertThat(matches("import io.souper.evaluatorx.Foo;", EVALUATOR)).isFalse();
    }

    /** "file:line: text" for every line of code under {@code dir} that references {@code pattern}. */
    private static List<String> references(Path dir, Pattern pattern) throws IOException {
        assertThat(dir).as("package directory").isDirectory();
        List<String> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
                List<String> lines = Files.readAllLines(file);
                boolean inComment = false;
                for (int i = 0; i < lines.size(); i++) {
                    String line = lines.get(i).strip();
                    if (inComment) {
                        inComment = !line.contains("*/");
                        continue;
                    }
                    if (line.startsWith("/*")) {
                        inComment = !line.contains("*/");
                        continue;
                    }
                    if (matches(line, pattern)) {
                        out.add(file + ":" + (i + 1) + ": " + line);
                    }
                }
            }
        }
        return out;
    }

    private static boolean matches(String line, Pattern pattern) {
        String code = line.strip();
        if (code.startsWith("//") || code.startsWith("*")) {
            return false;
        }
        int comment = code.indexOf("//");
        Matcher m = pattern.matcher(comment >= 0 ? code.substring(0, comment) : code);
        return m.find();
    }
}
