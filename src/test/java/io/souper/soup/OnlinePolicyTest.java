package io.souper.soup;

import static io.souper.soup.Fixtures.NOW;
import static io.souper.soup.Fixtures.acc;
import static io.souper.soup.Fixtures.answer;
import static io.souper.soup.Fixtures.ck;
import static org.assertj.core.api.Assertions.assertThat;

import io.souper.soup.Decision.Kind;
import org.junit.jupiter.api.Test;

class OnlinePolicyTest {

    private final SoupState soup = SoupState.create("o", Policy.ONLINE, Acceptance.GREATER);

    private SoupStep step(SoupInput input) {
        return Souper.step(soup, input, NOW);
    }

    @Test
    void eachCheckpointIsTriedOnceInArrivalOrder() {
        assertThat(step(ck("a", 800)).decisions()).extracting(Decision::kind).containsExactly(Kind.SEEDED);
        CandidateRequest ab = step(ck("b", 790)).request().orElseThrow();
        SoupStep queued = step(ck("c", 780)); // waits: one request in flight
        assertThat(queued.isEmpty()).isTrue();
        assertThat(soup.tally()).isEqualTo(new Tally(3, 1, 0, 2, 0));

        SoupStep accepted = step(answer(ab, 820));
        assertThat(accepted.decisions()).extracting(Decision::kind).containsExactly(Kind.ACCEPTED);
        assertThat(accepted.updates()).singleElement().satisfies(u -> {
            assertThat(u.version()).isEqualTo(2);
            assertThat(u.ingredientIds()).containsExactly("a", "b");
        });
        CandidateRequest abc = accepted.request().orElseThrow();
        assertThat(abc.ingredientIds()).containsExactly("a", "b", "c");
        assertThat(abc.baseVersion()).isEqualTo(2);

        SoupStep rejected = step(answer(abc, 815));
        assertThat(rejected.decisions()).extracting(Decision::kind).containsExactly(Kind.REJECTED);
        assertThat(rejected.request()).isEmpty();
        assertThat(soup.candidateEvaluationsRequested()).isEqualTo(2);
        assertThat(soup.tally()).isEqualTo(new Tally(3, 2, 1, 0, 0));
    }

    @Test
    void aCheckpointThatAloneBeatsTheSoupReplacesItAndTheDroppedAreRetried() {
        step(ck("a", 800));
        step(answer(step(ck("b", 790)).request().orElseThrow(), 820)); // soup {a,b} at 820
        CandidateRequest abc = step(ck("c", 700)).request().orElseThrow();

        SoupStep replaced = step(ck("d", 830)); // alone beats 820, while {a,b,c} is in flight
        assertThat(replaced.decisions()).singleElement().satisfies(d -> {
            assertThat(d.kind()).isEqualTo(Kind.REPLACED);
            assertThat(d.soupAccuracy()).isEqualTo(acc(820));
            assertThat(d.reason()).contains("[c, a, b]");
        });
        assertThat(replaced.updates()).singleElement().satisfies(u -> {
            assertThat(u.ingredientIds()).containsExactly("d");
            assertThat(u.heldOut()).isEqualTo(acc(830));
        });
        assertThat(replaced.request()).isEmpty(); // the old request is still out
        assertThat(soup.retriesQueued()).isEqualTo(3);

        SoupStep stale = step(answer(abc, 900)); // judged against a soup that no longer exists
        assertThat(stale.ignored()).contains(Ignored.STALE_BASE_VERSION);
        assertThat(stale.decisions()).isEmpty();
        assertThat(soup.memoSize()).isEqualTo(2); // kept anyway
        assertThat(stale.request().orElseThrow().ingredientIds()).containsExactly("d", "c");
    }

    @Test
    void greaterOrEqualReplacesOnATieButRetriesNeverSwapForever() {
        SoupState s = SoupState.create("ge", Policy.ONLINE, Acceptance.GREATER_OR_EQUAL);
        Souper.step(s, ck("a", 800), NOW);
        SoupStep tie = Souper.step(s, ck("b", 800), NOW);
        assertThat(tie.decisions()).extracting(Decision::kind).containsExactly(Kind.REPLACED);
        CandidateRequest retry = tie.request().orElseThrow(); // a retried on {b}, not guarded again
        assertThat(retry.ingredientIds()).containsExactly("b", "a");

        Souper.step(s, answer(retry, 790), NOW);
        assertThat(s.publishedIngredientIds()).containsExactly("b");
        assertThat(s.requestInFlight()).isEmpty();
        assertThat(s.tally()).isEqualTo(new Tally(2, 1, 1, 0, 0));
    }

    @Test
    void aRetryAfterAReplacementIsAFreshCandidateOnTheNewSoup() {
        step(ck("a", 800));
        step(answer(step(ck("b", 700)).request().orElseThrow(), 750)); // {a,b} rejected
        step(ck("c", 900)); // replaces {a}: a retried on {c}
        CandidateRequest ca = soup.requestInFlight().orElseThrow();
        assertThat(ca.ingredientIds()).containsExactly("c", "a");
        SoupStep out = step(answer(ca, 700));
        assertThat(out.decisions()).extracting(Decision::kind).containsExactly(Kind.REJECTED);
        assertThat(soup.candidateEvaluationsRequested()).isEqualTo(2);
    }
}
