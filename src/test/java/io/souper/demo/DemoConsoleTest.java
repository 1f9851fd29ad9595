package io.souper.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.souper.events.DecisionKind;
import io.souper.events.SoupDecision;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The lines a first-time reader sees: decisions in words with scores and soup size; versions only when published. */
class DemoConsoleTest {

    private static long sequence;

    private static SoupDecision decision(long version, DecisionKind kind, String checkpoint, List<String> set,
                                         Double candidate, Double soup) {
        sequence++;
        return SoupDecision.newBuilder().setDecisionId("demo-sorted-" + sequence).setSoupId("demo-sorted")
                .setSequence(sequence).setSoupVersion(version).setKind(kind).setCheckpointId(checkpoint)
                .setCandidateIngredients(set).setCandidateAccuracy(candidate).setSoupAccuracy(soup)
                .setDecidedAt(Instant.EPOCH).build();
    }

    @Test
    void aSortedSoupsStoryReadsInWords() {
        DemoConsole.DecisionLines lines = new DemoConsole.DecisionLines();
        assertThat(lines.line(decision(1, DecisionKind.SEEDED, "run-01", List.of("run-01"), 0.88, null)))
                .isEqualTo("  sorted   run-01     started the soup, held-out 88.00%; soup of 1");
        assertThat(lines.line(decision(2, DecisionKind.ACCEPTED, "run-02", List.of("run-01", "run-02"), 0.885,
                0.88))).isEqualTo("  sorted   run-02     accepted into the soup: with it 88.50% held-out, without it "
                + "88.00%; soup of 2");
        assertThat(lines.line(decision(2, DecisionKind.REJECTED, "run-03", List.of("run-01", "run-02", "run-03"),
                0.881, 0.885))).as("no version on a decision")
                .isEqualTo("  sorted   run-03     rejected: with it 88.10% held-out, the soup without it 88.50%; "
                        + "soup of 2");
        String rebuilt = lines.line(decision(2, DecisionKind.REBUILT, "run-04", List.of(), 0.89, 0.885));
        assertThat(rebuilt).isEqualTo("  sorted   run-04     ranks above checkpoints scored before it (held-out "
                + "89.00%): the greedy loop is replayed from it; soup of 2");
        assertThat(rebuilt).doesNotContain("0 in set");
        assertThat(lines.line(decision(3, DecisionKind.SEEDED, "run-04", List.of("run-04"), 0.89, null)))
                .endsWith("soup of 1");
        assertThat(lines.line(decision(3, DecisionKind.ACCEPTED, "run-02", List.of("run-04", "run-02"), 0.892,
                0.89))).isEqualTo("  sorted   run-02     replayed after a better checkpoint arrived, accepted into "
                + "the soup: with it 89.20% held-out, without it 89.00%; soup of 2");
        assertThat(lines.line(decision(3, DecisionKind.FAILED, "run-05", List.of(), null, null)))
                .isEqualTo("  sorted   run-05     could not be scored, left out; soup of 2");
    }

    @Test
    void anOnlineReplacementSaysTheSoupWasReplaced() {
        DemoConsole.DecisionLines lines = new DemoConsole.DecisionLines();
        lines.line(decision(1, DecisionKind.SEEDED, "run-01", List.of("run-01"), 0.80, null));
        lines.line(decision(2, DecisionKind.ACCEPTED, "run-02", List.of("run-01", "run-02"), 0.81, 0.80));
        assertThat(lines.line(decision(3, DecisionKind.REPLACED, "run-03", List.of("run-03"), 0.85, 0.81)))
                .isEqualTo("  sorted   run-03     replaced the soup: alone 85.00% held-out, the soup 81.00%; the "
                        + "others will be tried again; soup of 1");
    }

    @Test
    void aVersionIsShownOnlyWhenTheSoupIsPublishedNeverOnADecision() {
        DemoConsole.DecisionLines lines = new DemoConsole.DecisionLines();
        // a replay's last step: a rejection whose step publishes the replayed soup as version 3
        assertThat(lines.line(decision(3, DecisionKind.REJECTED, "run-03", List.of("run-04", "run-03"), 0.88, 0.89)))
                .doesNotContain("version");
        io.souper.events.SoupUpdated update = io.souper.events.SoupUpdated.newBuilder().setSoupId("demo-sorted")
                .setVersion(3).setIngredients(List.of(ingredient("run-04"), ingredient("run-02")))
                .setHeldOut(io.souper.events.SplitMetrics.newBuilder().setSplit("held-out").setCorrect(892).setTotal(1000)
                        .setAccuracy(0.892).build())
                .setUpdatedAt(Instant.EPOCH).build();
        assertThat(lines.published(update))
                .isEqualTo("  sorted   soup is now version 3: run-04 + run-02 (2), held-out 89.20%");
    }

    private static io.souper.events.SoupIngredient ingredient(String id) {
        return io.souper.events.SoupIngredient.newBuilder().setCheckpointId(id).setUri("file:///" + id)
                .setHeldOutAccuracy(0.89).build();
    }
}
