package io.souper.soup;

import static io.souper.soup.Fixtures.NOW;
import static io.souper.soup.Fixtures.acc;
import static io.souper.soup.Fixtures.answer;
import static io.souper.soup.Fixtures.ck;
import static io.souper.soup.Fixtures.failure;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.souper.soup.Decision.Kind;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SortedPolicyTest {

    private final SoupState soup = SoupState.create("s1", Policy.SORTED, Acceptance.GREATER);

    private SoupStep step(SoupInput input) {
        return Souper.step(soup, input, NOW);
    }

    @Test
    void firstCheckpointSeedsTheSoupAndPublishesVersionOne() {
        SoupStep out = step(ck("a", 900));

        assertThat(out.request()).isEmpty();
        assertThat(out.decisions()).singleElement().satisfies(d -> {
            assertThat(d.kind()).isEqualTo(Kind.SEEDED);
            assertThat(d.checkpointId()).isEqualTo("a");
            assertThat(d.sequence()).isEqualTo(1);
            assertThat(d.soupVersion()).isEqualTo(1);
        });
        assertThat(out.updates()).singleElement().satisfies(u -> {
            assertThat(u.version()).isEqualTo(1);
            assertThat(u.ingredientIds()).containsExactly("a");
            assertThat(u.heldOut()).isEqualTo(acc(900));
            assertThat(u.artifactUri()).isEqualTo("file:///store/a.safetensors");
            assertThat(u.counts()).isEqualTo(new Tally(1, 1, 0, 0, 0));
            assertThat(u.lastDecision().kind()).isEqualTo(Kind.SEEDED);
        });
    }

    @Test
    void aLowerNewcomerIsTriedAgainstTheSoupWithTheNewcomerLast() {
        step(ck("a", 900));
        SoupStep out = step(ck("b", 800));

        CandidateRequest r = out.request().orElseThrow();
        assertThat(r.requestId()).isEqualTo("s1#1");
        assertThat(r.baseVersion()).isEqualTo(1);
        assertThat(r.ingredientIds()).containsExactly("a", "b");
        assertThat(r.triedCheckpointId()).isEqualTo("b");
        assertThat(out.decisions()).isEmpty(); // b ranks last: no replay, nothing decided yet
        assertThat(soup.tally()).isEqualTo(new Tally(2, 1, 0, 1, 0));

        SoupStep judged = step(answer(r, 950));
        assertThat(judged.decisions()).singleElement().satisfies(d -> {
            assertThat(d.kind()).isEqualTo(Kind.ACCEPTED);
            assertThat(d.candidateAccuracy()).isEqualTo(acc(950));
            assertThat(d.soupAccuracy()).isEqualTo(acc(900));
            assertThat(d.requestId()).isEqualTo("s1#1");
        });
        assertThat(judged.updates()).singleElement().satisfies(u -> {
            assertThat(u.version()).isEqualTo(2);
            assertThat(u.ingredientIds()).containsExactly("a", "b");
            assertThat(u.heldOut()).isEqualTo(acc(950));
        });
    }

    @Test
    void aRejectedNewcomerLeavesLaterSetsUnchangedSoTheyAreServedFromTheMemo() {
        step(ck("a", 900));
        step(answer(step(ck("b", 800)).request().orElseThrow(), 850)); // {a,b} rejected

        SoupStep arrival = step(ck("c", 850)); // ranks 2 of 3, above b: replay from c
        assertThat(arrival.decisions()).extracting(Decision::kind).containsExactly(Kind.REBUILT);
        CandidateRequest r = arrival.request().orElseThrow();
        assertThat(r.ingredientIds()).containsExactly("a", "c");

        SoupStep judged = step(answer(r, 880)); // {a,c} rejected: b is judged on {a,b} again, from the memo
        assertThat(judged.decisions()).extracting(Decision::kind, Decision::checkpointId)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(Kind.REJECTED, "c"));
        assertThat(judged.request()).isEmpty();
        assertThat(judged.updates()).isEmpty(); // soup still {a}
        assertThat(soup.candidateEvaluationsRequested()).isEqualTo(2);
        assertThat(soup.tally()).isEqualTo(new Tally(3, 1, 2, 0, 0));
    }

    @Test
    void anAcceptedNewcomerMakesEveryLaterSetNew() {
        step(ck("a", 900));
        step(answer(step(ck("b", 800)).request().orElseThrow(), 850)); // {a,b} rejected

        CandidateRequest ac = step(ck("c", 850)).request().orElseThrow();
        SoupStep judged = step(answer(ac, 920)); // {a,c} accepted: b must now be tried on {a,c}
        assertThat(judged.decisions()).extracting(Decision::kind).containsExactly(Kind.ACCEPTED);
        assertThat(judged.updates()).isEmpty(); // b is still to be replayed: not a fixed point
        CandidateRequest acb = judged.request().orElseThrow();
        assertThat(acb.ingredientIds()).containsExactly("a", "c", "b");

        SoupStep last = step(answer(acb, 910));
        assertThat(last.decisions()).singleElement().satisfies(d -> {
            assertThat(d.kind()).isEqualTo(Kind.REJECTED);
            assertThat(d.checkpointId()).isEqualTo("b");
            assertThat(d.candidateIngredients()).containsExactly("a", "c", "b");
            assertThat(d.soupAccuracy()).isEqualTo(acc(920));
        });
        assertThat(last.updates()).singleElement().satisfies(u -> {
            assertThat(u.ingredientIds()).containsExactly("a", "c");
            assertThat(u.heldOut()).isEqualTo(acc(920));
            assertThat(u.counts()).isEqualTo(new Tally(3, 2, 1, 0, 0));
        });
    }

    @Test
    void aNewBestReseedsAndAResultNoLongerNeededIsStillMemoised() {
        step(ck("a", 800));
        CandidateRequest ab = step(ck("b", 700)).request().orElseThrow();

        SoupStep best = step(ck("c", 900)); // new rank 1 while {a,b} is in flight
        assertThat(best.decisions()).extracting(Decision::kind).containsExactly(Kind.REBUILT, Kind.SEEDED);
        assertThat(best.request()).isEmpty(); // one in flight at a time
        assertThat(best.updates()).isEmpty(); // replay unfinished: {c} alone is not yet the greedy result

        SoupStep stale = step(answer(ab, 850));
        assertThat(soup.memoSize()).isEqualTo(1);
        assertThat(stale.request().orElseThrow().ingredientIds()).containsExactly("c", "a");
    }

    @Test
    void duplicateLateUnknownAndStaleResultsAreIgnoredAndCounted() {
        step(ck("a", 900));
        CandidateRequest first = step(ck("b", 800)).request().orElseThrow();
        step(answer(first, 700));
        CandidateRequest second = step(ck("c", 790)).request().orElseThrow();

        assertThat(step(answer(first, 990)).ignored()).contains(Ignored.NOT_IN_FLIGHT);
        assertThat(step(new CandidateScored("s1#99", 1, Set.of("a", "c"), acc(990))).ignored())
                .contains(Ignored.UNKNOWN_REQUEST);
        assertThat(step(new CandidateScored("other#2", 1, Set.of("a", "c"), acc(990))).ignored())
                .contains(Ignored.UNKNOWN_REQUEST);
        assertThat(step(new CandidateScored(second.requestId(), 0, Set.of("a", "c"), acc(990))).ignored())
                .contains(Ignored.STALE_BASE_VERSION);
        assertThat(step(ck("b", 999)).ignored()).contains(Ignored.DUPLICATE_CHECKPOINT);

        assertThat(soup.ignoredTotal()).isEqualTo(5);
        assertThat(soup.ignoredCount(Ignored.UNKNOWN_REQUEST)).isEqualTo(2);
        assertThat(soup.publishedIngredientIds()).containsExactly("a");
        assertThat(soup.requestInFlight()).contains(second);
    }

    @Test
    void strictRuleRejectsATieAndGreaterOrEqualKeepsIt() {
        for (Acceptance rule : Acceptance.values()) {
            SoupState s = SoupState.create("tie", Policy.SORTED, rule);
            Souper.step(s, ck("a", 900), NOW);
            CandidateRequest r = Souper.step(s, ck("b", 850), NOW).request().orElseThrow();
            SoupStep out = Souper.step(s, answer(r, 900), NOW);
            Kind expected = rule == Acceptance.GREATER ? Kind.REJECTED : Kind.ACCEPTED;
            assertThat(out.decisions()).extracting(Decision::kind).as(rule.name()).containsExactly(expected);
            assertThat(s.publishedIngredientIds()).as(rule.name())
                    .isEqualTo(rule == Acceptance.GREATER ? java.util.List.of("a") : java.util.List.of("a", "b"));
        }
    }

    @Test
    void equalAccuraciesRankByArrival() {
        step(ck("a", 800));
        CandidateRequest r = step(ck("b", 800)).request().orElseThrow();
        assertThat(r.ingredientIds()).containsExactly("a", "b"); // a arrived first, so a seeds
    }

    @Test
    void failedCheckpointsAndFailedCandidatesNeverBecomeIngredients() {
        step(ck("a", 800));
        SoupStep failed = step(new CheckpointFailed("x", "FILE_NOT_FOUND", "gone"));
        assertThat(failed.decisions()).singleElement().satisfies(d -> {
            assertThat(d.kind()).isEqualTo(Kind.FAILED);
            assertThat(d.reason()).contains("FILE_NOT_FOUND");
        });
        assertThat(step(new CheckpointFailed("x", "FILE_NOT_FOUND", "gone")).ignored())
                .contains(Ignored.DUPLICATE_CHECKPOINT); // the same failure again decides nothing new

        CandidateRequest r = step(ck("b", 700)).request().orElseThrow();
        SoupStep out = step(failure(r));
        assertThat(out.decisions()).singleElement().satisfies(d -> {
            assertThat(d.kind()).isEqualTo(Kind.REJECTED);
            assertThat(d.candidateAccuracy()).isNull();
            assertThat(d.reason()).contains("SHAPE_MISMATCH");
        });
        assertThat(soup.publishedIngredientIds()).containsExactly("a");
        assertThat(soup.tally()).isEqualTo(new Tally(2, 1, 1, 0, 1));
    }

    @Test
    void aResultForOtherIngredientsThanRequestedIsRefusedAndChangesNothing() {
        step(ck("a", 900));
        CandidateRequest r = step(ck("b", 800)).request().orElseThrow();
        byte[] before = soup.encode();

        assertThatThrownBy(() -> step(new CandidateScored(r.requestId(), r.baseVersion(), Set.of("a"), acc(950))))
                .isInstanceOf(InvalidSoupInputException.class).hasMessageContaining("s1#1").hasMessageContaining("[a]");
        assertThatThrownBy(() -> step(new CandidateScored(r.requestId(), 7, Set.of("a", "b"), acc(950))))
                .isInstanceOf(InvalidSoupInputException.class).hasMessageContaining("base version 7");
        assertThat(soup.encode()).isEqualTo(before);
    }
}
