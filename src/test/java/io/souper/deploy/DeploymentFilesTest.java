package io.souper.deploy;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The files that run Souper distributed are checked with the real tools: promtool for
 * the alert rules (including their unit tests) and docker-compose for the compose file.
 * Missing tools fail the test: CI installs them (scripts/install-deps.sh). That the dashboard and
 * the alerts only name series Souper exports is checked against a real scrape by
 * {@link MonitoringAgainstPrometheusTest}.
 */
class DeploymentFilesTest {

    @Test
    void alertRulesAreValidAndTheirUnitTestsPass() throws Exception {
        assertThat(run(Path.of("monitoring/prometheus"), "promtool", "check", "rules", "alerts.yml")).contains("SUCCESS");
        assertThat(run(Path.of("monitoring/prometheus"), "promtool", "test", "rules", "alerts_test.yml")).contains("SUCCESS");
        assertThat(run(Path.of("monitoring/prometheus"), "promtool", "check", "config", "prometheus.yml")).contains("SUCCESS");
    }

    @Test
    void composeFileIsValid() throws Exception {
        String config = run(Path.of("."), "docker-compose", "-f", "docker-compose.yml", "config");
        assertThat(config).contains("souper-streams", "souper-evaluator", "schema-registry", "kafka");
        String gpu = run(Path.of("."), "docker-compose", "-f", "docker-compose.yml", "-f", "docker-compose.gpu.yml", "config");
        assertThat(gpu).contains("nvidia", "souper:cuda");
    }

    @Test
    void wrapperAndImageSetTheSameMallocSettings() throws Exception {
        // bench/scoring measured these; the ./souper wrapper and the image must not drift apart.
        Map<String, String> wrapper = new TreeMap<>();
        Matcher w = Pattern.compile("export (MALLOC_\\w+)=\"\\$\\{\\1:-(\\w+)}\"").matcher(Files.readString(Path.of("souper")));
        while (w.find()) {
            wrapper.put(w.group(1), w.group(2));
        }
        Map<String, String> image = new TreeMap<>();
        Matcher d = Pattern.compile("(MALLOC_\\w+)=(\\w+)").matcher(Files.readString(Path.of("Dockerfile")).replace("\\\n", " ")
                .lines().filter(l -> l.startsWith("ENV ")).collect(Collectors.joining(" ")));
        while (d.find()) {
            image.put(d.group(1), d.group(2));
        }
        assertThat(wrapper).containsOnlyKeys("MALLOC_ARENA_MAX", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_",
                "MALLOC_TOP_PAD_");
        assertThat(image).isEqualTo(wrapper);
    }

    private static String run(Path dir, String... command) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError(command[0] + " is missing: run scripts/install-deps.sh", e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("%s failed:%n%s", String.join(" ", command), out).isZero();
        return out;
    }
}
