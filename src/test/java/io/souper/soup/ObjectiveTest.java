package io.souper.soup;

import static io.souper.soup.Fixtures.NOW;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.souper.soup.Decision.Kind;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Soups judged by a metric where lower is better (perplexity), and what the core refuses. */
class ObjectiveTest {

    private static Accuracy ppl(double perplexity) {
        // the top-1 counts point the other way on purpose: the soup must not look at them
        return new Accuracy((long) (perplexity * 10), 1000, Map.of("perplexity", perplexity, "mean_loss",
                Math.log(perplexity)));
    }

    private static CheckpointScored ck(String id, double perplexity) {
        return new CheckpointScored(id, "file:///store/" + id + ".safetensors", null, null, Map.of(), ppl(perplexity),
                null);
    }

    private static CandidateScored answer(CandidateRequest r, double perplexity) {
        return new CandidateScored(r.requestId(), r.baseVersion(), Set.copyOf(r.ingredientIds()), ppl(perplexity));
    }

    @Test
    void theLowestPerplexitySeedsAndACandidateJoinsOnlyWhenStrictlyLower() {
        SoupState soup = SoupState.create("lm", Policy.SORTED, Acceptance.GREATER, Objective.PERPLEXITY);
        Souper.step(soup, ck("a", 12.0), NOW);
        SoupStep rebuilt = Souper.step(soup, ck("b", 9.5), NOW); // lower: ranks first, replayed from it
        assertThat(rebuilt.decisions()).extracting(Decision::kind).containsExactly(Kind.REBUILT, Kind.SEEDED);
        assertThat(rebuilt.decisions().get(0).reason()).contains("perplexity 9.50000");
        CandidateRequest r = rebuilt.request().orElseThrow();
        assertThat(r.ingredientIds()).containsExactly("b", "a");

        SoupStep tie = Souper.step(soup, answer(r, 9.5), NOW);
        assertThat(tie.decisions()).extracting(Decision::kind).containsExactly(Kind.REJECTED);
        assertThat(tie.decisions().get(0).reason()).contains("perplexity 9.50000 not < soup perplexity 9.50000");
        assertThat(soup.publishedIngredientIds()).containsExactly("b");

        SoupStep lower = Souper.step(soup, ck("c", 11.0), NOW);
        SoupStep accepted = Souper.step(soup, answer(lower.request().orElseThrow(), 9.25), NOW);
        assertThat(accepted.decisions()).extracting(Decision::kind).containsExactly(Kind.ACCEPTED);
        assertThat(accepted.decisions().get(0).reason()).contains("perplexity 9.25000 < soup perplexity 9.50000");
        // a is tried on top of {b, c}; higher perplexity: rejected, and the complete walk is published
        CandidateRequest last = accepted.request().orElseThrow();
        assertThat(last.ingredientIds()).containsExactly("b", "c", "a");
        SoupStep done = Souper.step(soup, answer(last, 9.4), NOW);
        assertThat(done.decisions()).extracting(Decision::kind).containsExactly(Kind.REJECTED);
        assertThat(done.updates()).singleElement().satisfies(u -> {
            assertThat(u.ingredientIds()).containsExactly("b", "c");
            assertThat(u.heldOut().metrics()).containsEntry("perplexity", 9.25);
        });
    }

    @Test
    void notWorseKeepsTiesOfALoss() {
        SoupState soup = SoupState.create("lm", Policy.ONLINE, Acceptance.GREATER_OR_EQUAL, Objective.PERPLEXITY);
        Souper.step(soup, ck("a", 10.0), NOW);
        CandidateRequest r = Souper.step(soup, ck("b", 11.0), NOW).request().orElseThrow();
        assertThat(Souper.step(soup, answer(r, 10.0), NOW).decisions()).extracting(Decision::kind)
                .containsExactly(Kind.ACCEPTED);
        // online guard: a checkpoint alone strictly lower replaces the soup
        SoupStep replaced = Souper.step(soup, ck("c", 8.0), NOW);
        assertThat(replaced.decisions().get(0).kind()).isEqualTo(Kind.REPLACED);
        assertThat(replaced.decisions().get(0).reason()).contains("alone perplexity 8.00000 <= soup perplexity 10.0000");
    }

    @Test
    void aResultWithoutTheSoupsMetricIsRefusedBeforeAnythingChanges() {
        SoupState soup = SoupState.create("lm", Policy.SORTED, Acceptance.GREATER, Objective.PERPLEXITY);
        byte[] before = soup.encode();
        CheckpointScored topOneOnly = new CheckpointScored("a", "file:///a", null, null, Map.of(),
                new Accuracy(5, 10), null);
        assertThatThrownBy(() -> Souper.step(soup, topOneOnly, NOW)).isInstanceOf(InvalidSoupInputException.class)
                .hasMessageContaining("no 'perplexity' metric");
        assertThat(soup.encode()).isEqualTo(before);
        // an accuracy soup takes it (old evaluators report counts only)
        SoupState byAccuracy = SoupState.create("acc", Policy.SORTED, Acceptance.GREATER);
        assertThat(Souper.step(byAccuracy, topOneOnly, NOW).updates()).hasSize(1);
    }

    @Test
    void aMetricThatIsNotANumberIsRefused() {
        assertThatThrownBy(() -> new Accuracy(1, 2, Map.of("perplexity", Double.NaN)))
                .isInstanceOf(InvalidSoupInputException.class).hasMessageContaining("finite");
        assertThatThrownBy(() -> new Accuracy(1, 2, Map.of("mean_loss", Double.POSITIVE_INFINITY)))
                .isInstanceOf(InvalidSoupInputException.class);
    }

    @Test
    void theMetricSurvivesEncodingAndAFormatTwoStateIsASoupByAccuracy() {
        SoupState soup = SoupState.create("lm", Policy.SORTED, Acceptance.GREATER, Objective.MEAN_LOSS);
        Souper.step(soup, new CheckpointScored("a", "file:///a", null, null, Map.of(),
                new Accuracy(1, 2, Map.of("mean_loss", 2.5)), null), NOW);
        SoupState copy = SoupState.decode(soup.encode());
        assertThat(copy.objective()).isEqualTo(Objective.MEAN_LOSS);
        assertThat(copy.publishedHeldOut().orElseThrow().metrics()).containsEntry("mean_loss", 2.5);
        assertThat(copy.encode()).isEqualTo(soup.encode());

        String v2 = new String(SoupState.create("old", Policy.SORTED, Acceptance.GREATER).encode(),
                StandardCharsets.UTF_8).replace("\"format\":3", "\"format\":2").replace(",\"metric\":\"ACCURACY\"", "");
        assertThat(v2).doesNotContain("metric");
        assertThat(SoupState.decode(v2.getBytes(StandardCharsets.UTF_8)).objective()).isEqualTo(Objective.ACCURACY);
    }
}
