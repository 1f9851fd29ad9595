package io.souper.soup;

import static io.souper.soup.Fixtures.score;
import static io.souper.soup.Fixtures.value;
import static org.assertj.core.api.Assertions.assertThat;

import io.souper.soup.Decision.Kind;
import io.souper.soup.SoupRun.Arrival;
import io.souper.soup.SoupRun.Scenario;
import io.souper.soup.SoupRun.StepRecord;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;

/**
 * Soups driven through random scenarios: arrival orders, scores drawn from a few values (so
 * ties are common), a set oracle, interleavings, failures and delivery noise, for every metric
 * (accuracy and top-5 up; mean loss and perplexity down). See {@link SoupRun}.
 */
class SoupProperties {

    @Provide
    Arbitrary<Scenario> scenarios() {
        Arbitrary<Long> correct = Arbitraries.of(780L, 790L, 800L, 800L, 810L, 820L);
        Arbitrary<Boolean> fails = Arbitraries.integers().between(0, 9).map(i -> i == 0);
        Arbitrary<List<Arrival>> arrivals = Combinators.combine(correct, fails).as((c, f) -> new long[] {c, f ? 1 : 0})
                .list().ofMaxSize(10).withSizeDistribution(RandomDistribution.uniform())
                .map(drawn -> {
                    List<Arrival> list = new ArrayList<>();
                    for (int i = 0; i < drawn.size(); i++) {
                        list.add(new Arrival("c" + i, drawn.get(i)[0], drawn.get(i)[1] == 1));
                    }
                    return list;
                });
        return Combinators.combine(arrivals, Arbitraries.longs(), Arbitraries.longs(),
                Arbitraries.of(Acceptance.class), Arbitraries.integers().between(5, 45),
                Arbitraries.integers().between(0, 30), Arbitraries.of(Objective.class)).as(Scenario::new);
    }

    @Property(tries = 1000, edgeCases = EdgeCasesMode.NONE)
    void sortedSoupIsAlwaysThePapersGreedyOverWhatWasScored(@ForAll("scenarios") Scenario sc) {
        SoupRun run = SoupRun.play(sc, Policy.SORTED);
        boolean orEqual = sc.rule() == Acceptance.GREATER_OR_EQUAL;
        boolean higher = sc.objective().higherIsBetter();

        long version = 0;
        Set<String> previous = Set.of();
        for (StepRecord rec : run.records) {
            for (SoupVersion update : rec.out().updates()) {
                ReferenceGreedy.Result expected = ReferenceGreedy.soup(rec.scoredSoFar(), run.oracle, orEqual, higher);
                assertThat(update.ingredientIds()).as("published soup after %s", rec.scoredSoFar())
                        .isEqualTo(expected.ingredients());
                assertThat(update.heldOut()).isEqualTo(score(expected.correct(), sc.objective()));
                assertThat(update.version()).isEqualTo(++version);
                assertThat(Set.copyOf(update.ingredientIds())).as("republished an unchanged soup").isNotEqualTo(previous);
                previous = Set.copyOf(update.ingredientIds());
            }
        }
        ReferenceGreedy.Result expected = ReferenceGreedy.soup(run.scored, run.oracle, orEqual, higher);
        assertThat(run.state.publishedIngredientIds()).isEqualTo(expected.ingredients());
        if (!run.scored.isEmpty()) {
            assertThat(run.state.publishedHeldOut()).contains(score(expected.correct(), sc.objective()));
        }
        int size = expected.ingredients().size();
        assertThat(run.state.tally())
                .isEqualTo(new Tally(run.scored.size(), size, run.scored.size() - size, 0, run.failed.size()));
    }

    @Property(tries = 1000, edgeCases = EdgeCasesMode.NONE)
    void sortedAsksForEachSetOnceAndNeverMoreThanANaiveReplay(@ForAll("scenarios") Scenario sc) {
        SoupRun run = SoupRun.play(sc, Policy.SORTED);

        Set<Set<String>> asked = new HashSet<>();
        for (CandidateRequest r : run.requests) {
            assertThat(asked.add(Set.copyOf(r.ingredientIds()))).as("asked twice for %s", r.ingredientIds()).isTrue();
        }
        assertThat(run.state.candidateEvaluationsRequested())
                .isEqualTo(run.requests.size())
                .isLessThanOrEqualTo(ReferenceGreedy.naiveEvaluations(run.scored.size()));
    }

    @Property(tries = 1000, edgeCases = EdgeCasesMode.NONE)
    void onlineSoupNeverFallsNeverTrailsTheBestSingleAndTriesEachOncePlusRetries(@ForAll("scenarios") Scenario sc) {
        SoupRun run = SoupRun.play(sc, Policy.ONLINE);
        // "goodness": the score, negated when lower is better, so every check reads "never falls"
        Objective o = sc.objective();
        long sign = o.higherIsBetter() ? 1 : -1;

        Long last = null;
        for (SoupVersion update : run.updates()) {
            long now = sign * value(update.heldOut(), o);
            if (last != null) {
                assertThat(now).as("soup fell").isGreaterThanOrEqualTo(last);
            }
            last = now;
        }
        Map<String, Long> singles = sc.singles();
        for (StepRecord rec : run.records) {
            java.util.OptionalLong bestSingle = rec.scoredSoFar().stream().mapToLong(id -> sign * singles.get(id)).max();
            if (bestSingle.isPresent()) {
                assertThat(sign * value(rec.heldOutAfter(), o)).as("soup below the best single after %s", rec.input())
                        .isGreaterThanOrEqualTo(bestSingle.getAsLong());
            }
        }

        // Every checkpoint is tried once, plus once per time it was queued again: its ingredients
        // dropped by a replacement, or its trial in flight when a replacement came.
        Map<String, Integer> allowed = new HashMap<>();
        run.scored.forEach(id -> allowed.put(id, 1));
        Set<String> superseded = new HashSet<>();
        long requeued = 0;
        for (StepRecord rec : run.records) {
            if (rec.out().decisions().stream().anyMatch(d -> d.kind() == Kind.REPLACED)) {
                List<String> again = new ArrayList<>(rec.publishedBefore());
                if (rec.outstandingBefore() != null && superseded.add(rec.outstandingBefore().requestId())) {
                    again.add(rec.outstandingBefore().triedCheckpointId());
                }
                again.forEach(id -> allowed.merge(id, 1, Integer::sum));
                requeued += again.size();
            }
        }
        Map<String, Integer> tried = new HashMap<>();
        run.requests.forEach(r -> tried.merge(r.triedCheckpointId(), 1, Integer::sum));
        tried.forEach((id, n) -> assertThat(n).as("trials of %s", id).isLessThanOrEqualTo(allowed.get(id)));
        assertThat(run.state.retriesQueued()).isEqualTo(requeued);
        assertThat(run.state.candidateEvaluationsRequested())
                .isEqualTo(run.requests.size())
                .isLessThanOrEqualTo(run.scored.size() + requeued);
        assertThat(run.state.tally().pending()).isZero();
        assertThat(run.state.requestInFlight()).isEmpty();
    }

    @Property(tries = 1000, edgeCases = EdgeCasesMode.NONE)
    void bothPoliciesKeepTheirBooksStraight(@ForAll("scenarios") Scenario sc, @ForAll Policy policy) {
        SoupRun run = SoupRun.play(sc, policy);

        for (SoupVersion u : run.updates()) {
            assertThat(u.ingredientIds()).as("failed checkpoint in a soup").noneMatch(run.failed::contains);
        }
        for (CandidateRequest r : run.requests) {
            assertThat(r.ingredientIds()).noneMatch(run.failed::contains).doesNotHaveDuplicates();
            assertThat(r.ingredientIds().get(r.ingredients().size() - 1)).isEqualTo(r.triedCheckpointId());
        }
        for (StepRecord rec : run.records) {
            rec.out().request().ifPresent(r -> assertThat(rec.scoredSoFar()).containsAll(r.ingredientIds()));
        }

        List<Decision> decisions = run.decisions();
        for (int i = 0; i < decisions.size(); i++) {
            Decision d = decisions.get(i);
            assertThat(d.sequence()).isEqualTo(i + 1);
            if (i > 0) {
                assertThat(d.soupVersion()).isGreaterThanOrEqualTo(decisions.get(i - 1).soupVersion());
            }
            boolean orEqual = sc.rule() == Acceptance.GREATER_OR_EQUAL;
            long sign = sc.objective().higherIsBetter() ? 1 : -1;
            if (d.kind() == Kind.ACCEPTED || d.kind() == Kind.REPLACED) {
                long c = sign * value(d.candidateAccuracy(), sc.objective());
                long s = sign * value(d.soupAccuracy(), sc.objective());
                assertThat(orEqual ? c >= s : c > s).as("accepted without beating the soup: %s", d).isTrue();
            }
            if (d.kind() == Kind.REJECTED && d.candidateAccuracy() != null) {
                long c = sign * value(d.candidateAccuracy(), sc.objective());
                long s = sign * value(d.soupAccuracy(), sc.objective());
                assertThat(orEqual ? c >= s : c > s).as("rejected although it beat the soup: %s", d).isFalse();
            }
            if (d.kind() == Kind.FAILED) {
                assertThat(run.failed).contains(d.checkpointId());
            } else {
                assertThat(run.failed).doesNotContain(d.checkpointId());
            }
        }
        assertThat(decisions.stream().filter(d -> d.kind() == Kind.FAILED).count()).isEqualTo(run.failed.size());

        // The audit log accounts for every checkpoint: its last verdict says whether it is in the soup.
        Map<String, Kind> lastVerdict = new HashMap<>();
        decisions.stream().filter(d -> d.kind() != Kind.REBUILT).forEach(d -> lastVerdict.put(d.checkpointId(), d.kind()));
        Set<Kind> joined = Set.of(Kind.SEEDED, Kind.ACCEPTED, Kind.REPLACED);
        for (String id : run.scored) {
            assertThat(lastVerdict).as("no verdict on %s", id).containsKey(id);
            assertThat(joined.contains(lastVerdict.get(id))).as("last verdict on %s vs soup %s", id,
                    run.state.publishedIngredientIds()).isEqualTo(run.state.publishedIngredientIds().contains(id));
        }

        for (Ignored reason : List.of(Ignored.UNKNOWN_REQUEST, Ignored.NOT_IN_FLIGHT, Ignored.DUPLICATE_CHECKPOINT)) {
            assertThat(run.state.ignoredCount(reason)).as(reason.name())
                    .isEqualTo(run.injected.getOrDefault(reason, 0).longValue());
        }
        long staleAnswers = run.records.stream()
                .filter(r -> r.injected() == null && r.out().ignored().isPresent()).count();
        assertThat(run.state.ignoredCount(Ignored.STALE_BASE_VERSION))
                .isEqualTo(run.injected.getOrDefault(Ignored.STALE_BASE_VERSION, 0) + staleAnswers);
        if (policy == Policy.SORTED) {
            assertThat(staleAnswers).as("sorted never supersedes a request").isZero();
        }
        Tally t = run.state.tally();
        assertThat(t.scored()).isEqualTo(run.scored.size());
        assertThat(t.failed()).isEqualTo(run.failed.size());
        assertThat(t.accepted()).isEqualTo(run.state.publishedIngredientIds().size());
    }

    @Property(tries = 1000, edgeCases = EdgeCasesMode.NONE)
    void aStateDecodedMidRunContinuesWithIdenticalOutputs(@ForAll("scenarios") Scenario sc, @ForAll Policy policy) {
        // SoupRun forks a decoded copy at step sc.forkAt() and asserts every later step is identical
        SoupRun run = SoupRun.play(sc, policy);
        if (run.forked) {
            SoupState again = SoupState.decode(run.state.encode());
            assertThat(again.encode()).isEqualTo(run.state.encode());
            assertThat(again.tally()).isEqualTo(run.state.tally());
            assertThat(again.publishedIngredientIds()).isEqualTo(run.state.publishedIngredientIds());
        }
    }
}
