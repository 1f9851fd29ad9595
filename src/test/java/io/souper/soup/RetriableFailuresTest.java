package io.souper.soup;

import static io.souper.soup.Fixtures.NOW;
import static io.souper.soup.Fixtures.acc;
import static io.souper.soup.Fixtures.answer;
import static io.souper.soup.Fixtures.ck;
import static org.assertj.core.api.Assertions.assertThat;

import io.souper.soup.Decision.Kind;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A retriable failure is the world's fault: the soup asks again rather than deciding on it. */
class RetriableFailuresTest {

    private static CandidateFailed retriable(CandidateRequest r) {
        return new CandidateFailed(r.requestId(), r.baseVersion(), Set.copyOf(r.ingredientIds()), "IO_ERROR",
                "store did not answer", true);
    }

    @ParameterizedTest
    @EnumSource(Policy.class)
    void aRetriableCandidateFailureAsksForTheSameSetAgainAndTheAnswerDecides(Policy policy) {
        SoupState soup = SoupState.create("s", policy, Acceptance.GREATER);
        Souper.step(soup, ck("a", 900), NOW);
        CandidateRequest first = Souper.step(soup, ck("b", 800), NOW).request().orElseThrow();

        SoupStep out = Souper.step(soup, retriable(first), NOW + 1);

        assertThat(out.decisions()).isEmpty();
        assertThat(out.updates()).isEmpty();
        CandidateRequest again = out.request().orElseThrow();
        assertThat(again.requestId()).isEqualTo("s#2");
        assertThat(again.ingredientIds()).isEqualTo(first.ingredientIds());
        assertThat(again.triedCheckpointId()).isEqualTo("b");
        assertThat(again.baseVersion()).isEqualTo(first.baseVersion());
        assertThat(soup.memoSize()).isZero();
        assertThat(soup.tally().pending()).isEqualTo(1);
        // the first request is settled: its late duplicate changes nothing
        assertThat(Souper.step(soup, answer(first, 990), NOW).ignored()).contains(Ignored.NOT_IN_FLIGHT);

        SoupStep judged = Souper.step(soup, answer(again, 950), NOW + 2);
        assertThat(judged.decisions()).extracting(Decision::kind).containsExactly(Kind.ACCEPTED);
        assertThat(soup.publishedIngredientIds()).containsExactlyInAnyOrder("a", "b");
        assertThat(soup.publishedHeldOut()).contains(acc(950));
    }

    @ParameterizedTest
    @EnumSource(Policy.class)
    void afterTheLastAttemptARetriableFailureIsFinal(Policy policy) {
        SoupState soup = SoupState.create("s", policy, Acceptance.GREATER);
        Souper.step(soup, ck("a", 900), NOW);
        CandidateRequest r = Souper.step(soup, ck("b", 800), NOW).request().orElseThrow();
        for (int attempt = 1; attempt < Souper.RETRIABLE_CANDIDATE_ATTEMPTS; attempt++) {
            SoupStep out = Souper.step(soup, retriable(r), NOW);
            assertThat(out.decisions()).as("attempt %d", attempt).isEmpty();
            r = out.request().orElseThrow();
        }

        SoupStep last = Souper.step(soup, retriable(r), NOW);

        assertThat(last.request()).isEmpty();
        assertThat(last.decisions()).singleElement().satisfies(d -> {
            assertThat(d.kind()).isEqualTo(Kind.REJECTED);
            assertThat(d.checkpointId()).isEqualTo("b");
            assertThat(d.reason()).contains("IO_ERROR")
                    .contains("failed " + Souper.RETRIABLE_CANDIDATE_ATTEMPTS + " times in a row");
        });
        assertThat(soup.candidateEvaluationsRequested()).isEqualTo(Souper.RETRIABLE_CANDIDATE_ATTEMPTS);
        assertThat(soup.tally()).isEqualTo(new Tally(2, 1, 1, 0, 0));
    }

    @Test
    void theAttemptCountSurvivesARestart() {
        SoupState soup = SoupState.create("s", Policy.SORTED, Acceptance.GREATER);
        Souper.step(soup, ck("a", 900), NOW);
        CandidateRequest r = Souper.step(soup, ck("b", 800), NOW).request().orElseThrow();
        for (int attempt = 1; attempt < Souper.RETRIABLE_CANDIDATE_ATTEMPTS; attempt++) {
            r = Souper.step(soup, retriable(r), NOW).request().orElseThrow();
            soup = SoupState.decode(soup.encode());
        }
        assertThat(Souper.step(soup, retriable(r), NOW).decisions()).extracting(Decision::kind)
                .containsExactly(Kind.REJECTED);
    }

    @Test
    void aFinalCandidateFailureIsStillDecidedAtOnce() {
        SoupState soup = SoupState.create("s", Policy.SORTED, Acceptance.GREATER);
        Souper.step(soup, ck("a", 900), NOW);
        CandidateRequest r = Souper.step(soup, ck("b", 800), NOW).request().orElseThrow();
        SoupStep out = Souper.step(soup, Fixtures.failure(r), NOW);
        assertThat(out.request()).isEmpty();
        assertThat(out.decisions()).extracting(Decision::kind).containsExactly(Kind.REJECTED);
    }

    @Test
    void aRetriableFailureOfASupersededTrialIsDroppedAndItsCheckpointTriedOnTheNewSoup() {
        SoupState soup = SoupState.create("s", Policy.ONLINE, Acceptance.GREATER);
        Souper.step(soup, ck("a", 800), NOW);
        CandidateRequest trial = Souper.step(soup, ck("b", 700), NOW).request().orElseThrow();
        Souper.step(soup, ck("c", 900), NOW); // replaces the soup; b's trial is superseded and b queued again

        SoupStep out = Souper.step(soup, retriable(trial), NOW);

        assertThat(out.decisions()).isEmpty();
        assertThat(out.ignored()).contains(Ignored.STALE_BASE_VERSION);
        CandidateRequest next = out.request().orElseThrow();
        assertThat(next.ingredientIds()).containsExactly("c", "b");
        assertThat(soup.memoSize()).isZero();
    }

    @ParameterizedTest
    @EnumSource(Policy.class)
    void aFailedCheckpointPublishedAgainIsScoredAndJoins(Policy policy) {
        SoupState soup = SoupState.create("s", policy, Acceptance.GREATER);
        Souper.step(soup, ck("a", 800), NOW);
        SoupStep failed = Souper.step(soup, new CheckpointFailed("x", "IO_ERROR", "store did not answer", true), NOW);
        assertThat(failed.decisions()).singleElement().satisfies(d -> {
            assertThat(d.kind()).isEqualTo(Kind.FAILED);
            assertThat(d.reason()).contains("IO_ERROR").contains("retriable");
        });
        assertThat(soup.tally().failed()).isEqualTo(1);

        SoupStep scored = Souper.step(soup, ck("x", 900), NOW);

        assertThat(scored.ignored()).isEmpty();
        assertThat(soup.tally().failed()).isZero();
        assertThat(soup.tally().scored()).isEqualTo(2);
        if (policy == Policy.ONLINE) {
            assertThat(scored.decisions()).extracting(Decision::kind).containsExactly(Kind.REPLACED);
        } else {
            assertThat(scored.decisions()).extracting(Decision::kind).contains(Kind.REBUILT);
        }
        // once scored, the checkpoint is settled
        assertThat(Souper.step(soup, ck("x", 999), NOW).ignored()).contains(Ignored.DUPLICATE_CHECKPOINT);
        assertThat(Souper.step(soup, new CheckpointFailed("x", "IO_ERROR", "again", true), NOW).ignored())
                .contains(Ignored.DUPLICATE_CHECKPOINT);
    }

    @Test
    void aCorrectedCheckpointAfterAHashMismatchIsEvaluatedAgain() {
        SoupState soup = SoupState.create("s", Policy.SORTED, Acceptance.GREATER);
        Souper.step(soup, ck("a", 800), NOW);
        Souper.step(soup, new CheckpointFailed("x", "HASH_MISMATCH", "sha differs"), NOW);
        // the same failure redelivered decides nothing new; another failure of the same id does
        assertThat(Souper.step(soup, new CheckpointFailed("x", "HASH_MISMATCH", "sha differs"), NOW).decisions())
                .isEmpty();
        assertThat(Souper.step(soup, new CheckpointFailed("x", "FILE_NOT_FOUND", "gone"), NOW).decisions())
                .extracting(Decision::kind).containsExactly(Kind.FAILED);
        assertThat(soup.tally().failed()).isEqualTo(1);

        CandidateRequest r = Souper.step(soup, ck("x", 700), NOW).request().orElseThrow();
        assertThat(r.ingredientIds()).containsExactly("a", "x");
    }
}
