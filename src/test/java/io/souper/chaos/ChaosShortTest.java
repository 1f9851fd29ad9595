package io.souper.chaos;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The short seeded chaos run in CI (the full one is bench/chaos/run.sh): broker + registry, two
 * soupers and two evaluators in their own JVMs (from the test class path: target/souper.jar is
 * built after the tests), 4 soups x 3 real checkpoints undisturbed, then their twins under 4
 * SIGKILLs and a broker restart. Every twin must end exactly as its undisturbed soup, nothing may
 * be decided twice or lost, no service may die on its own, and the surviving souper must answer
 * for every soup while the other is down.
 */
class ChaosShortTest {

    @TempDir
    Path tmp;

    @Test
    void soupsUnderKillsAndABrokerRestartEndExactlyAsUndisturbedOnes() throws Exception {
        ChaosRun.Plan plan = new ChaosRun.Plan(20261130L, 3, 3, 4, true, 3, Duration.ofMinutes(8));
        ChaosRun.Report report = new ChaosRun(plan, tmp, System.getProperty("java.class.path")).run();
        System.out.print(report.summary());

        assertThat(report.outages()).hasSize(5);
        assertThat(report.chaos().values()).allSatisfy(o -> assertThat(o.versions()).isNotEmpty());
        assertThat(report.differences()).as("soups under chaos vs undisturbed").isEmpty();
        assertThat(report.problems()).as("duplicated decisions, unaccounted checkpoints").isEmpty();
        assertThat(report.crashes()).as("services that died on their own").isEmpty();
        assertThat(report.outages()).allSatisfy(o -> assertThat(o.soupsNeverAnswered())
                .as("soups the surviving souper never answered for while %s was down", o.victim()).isEmpty());
    }
}
