package io.souper.deploy;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

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
