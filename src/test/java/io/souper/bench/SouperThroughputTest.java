package io.souper.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The souper benchmark at tiny size: every soup settles, with one decision per checkpoint. */
class SouperThroughputTest {

    @TempDir
    Path tmp;

    @Test
    void everySoupSettlesWithOneDecisionPerCheckpointAndOneRequestPerLaterCheckpoint() throws Exception {
        int soups = 5;
        int checkpoints = 3;
        // paced (the saturated run is the same minus the waits between results)
        SouperThroughput.Run run = SouperThroughput.run(tmp, soups, checkpoints, 2, 1, Duration.ofSeconds(120), 30);

        assertThat(run.decisions()).isEqualTo((long) soups * checkpoints);
        assertThat(run.decisionsPerSoup()).hasSize(soups).allSatisfy((soup, n) -> assertThat(n).isEqualTo(checkpoints));
        // online policy: the first checkpoint starts the soup, each later one is tried as a candidate
        assertThat(run.requests()).isEqualTo((long) soups * (checkpoints - 1));
        // every answer was followed by that soup's next output (its decision)
        assertThat(run.latenciesMs()).hasSize(soups * (checkpoints - 1));
        // and every checkpoint result was timed to its decision
        assertThat(run.decisionLatenciesMs()).hasSize(soups * checkpoints);
        assertThat(run.decisionsPerSecond()).isPositive();
        assertThat(run.percentileMs(99)).isGreaterThanOrEqualTo(run.percentileMs(50)).isPositive();
    }
}
