package io.souper.soup;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;

/**
 * Drives one soup through a scenario the way Kafka would: checkpoints arrive in scenario order,
 * interleaved at random with the evaluator's answers (from the oracle), plus injected noise:
 * duplicate answers, unknown request ids, stale base versions and duplicate checkpoints. Records
 * every step for the properties to inspect, and checks on the way what must hold at every step
 * (at most one request in flight; noise changes nothing). With {@code forkAt}, the state is
 * encoded and decoded at that step and the copy is driven in lockstep: its outputs must be
 * identical.
 */
final class SoupRun {

    record Arrival(String id, long correct, boolean fails) {
    }

    record Scenario(List<Arrival> arrivals, long oracleSeed, long scheduleSeed, Acceptance rule, int noisePercent,
                    int forkAt, Objective objective) {

        Scenario(List<Arrival> arrivals, long oracleSeed, long scheduleSeed, Acceptance rule, int noisePercent,
                 int forkAt) {
            this(arrivals, oracleSeed, scheduleSeed, rule, noisePercent, forkAt, Objective.ACCURACY);
        }

        Map<String, Long> singles() {
            Map<String, Long> singles = new LinkedHashMap<>();
            arrivals.forEach(a -> singles.put(a.id(), a.correct()));
            return singles;
        }
    }

    /** One input and what surrounded it. {@code injected} is the expected reason for noise, else null. */
    record StepRecord(SoupInput input, SoupStep out, List<String> scoredSoFar, Set<String> failedSoFar,
                      List<String> publishedBefore, List<String> publishedAfter, Accuracy heldOutAfter,
                      CandidateRequest outstandingBefore, Ignored injected) {
    }

    static final String SOUP = "soup";

    final Scenario scenario;
    final SetOracle oracle;
    final SoupState state;
    final List<StepRecord> records = new ArrayList<>();
    final List<CandidateRequest> requests = new ArrayList<>();
    final Map<Ignored, Integer> injected = new EnumMap<>(Ignored.class);
    final List<String> scored = new ArrayList<>();
    final Set<String> failed = new HashSet<>();
    boolean forked;

    private final Random random;
    private final List<SoupInput> answers = new ArrayList<>();
    private SoupState shadow;
    private CandidateRequest outstanding;
    private int nextArrival;
    private long now = Fixtures.NOW;

    private SoupRun(Scenario scenario, Policy policy) {
        this.scenario = scenario;
        this.oracle = new SetOracle(scenario.oracleSeed(), scenario.singles(), scenario.objective());
        this.state = SoupState.create(SOUP, policy, scenario.rule(), scenario.objective());
        this.random = new Random(scenario.scheduleSeed());
    }

    static SoupRun play(Scenario scenario, Policy policy) {
        SoupRun run = new SoupRun(scenario, policy);
        run.playToTheEnd();
        return run;
    }

    private void playToTheEnd() {
        List<Arrival> arrivals = scenario.arrivals();
        while (nextArrival < arrivals.size() || outstanding != null) {
            assertThat(records.size()).as("steps (runaway soup?)").isLessThan(10_000);
            if (records.size() == scenario.forkAt() && shadow == null) {
                fork();
            }
            if (random.nextInt(100) < scenario.noisePercent() && injectNoise()) {
                continue;
            }
            if (nextArrival < arrivals.size() && (outstanding == null || random.nextInt(3) > 0)) {
                deliver(arrivals.get(nextArrival++));
            } else {
                CandidateRequest r = outstanding;
                outstanding = null;
                SoupInput answer = oracle.answer(r);
                answers.add(answer);
                feed(answer, null);
            }
        }
        if (shadow == null) {
            fork(); // nothing left to compare but the bytes
        }
        assertThat(shadow.encode()).isEqualTo(state.encode());
    }

    private void deliver(Arrival a) {
        if (a.fails()) {
            failed.add(a.id());
            feed(new CheckpointFailed(a.id(), "FILE_NOT_FOUND", "no such file"), null);
        } else {
            scored.add(a.id());
            feed(Fixtures.ck(a.id(), a.correct(), scenario.objective()), null);
        }
    }

    private void fork() {
        byte[] bytes = state.encode();
        shadow = SoupState.decode(bytes);
        assertThat(shadow.encode()).isEqualTo(bytes);
        forked = records.size() == scenario.forkAt();
    }

    /** @return false when the drawn kind of noise does not apply now */
    private boolean injectNoise() {
        SoupInput input;
        Ignored expected;
        switch (random.nextInt(4)) {
            case 0 -> {
                if (answers.isEmpty()) {
                    return false;
                }
                input = answers.get(random.nextInt(answers.size()));
                expected = Ignored.NOT_IN_FLIGHT;
            }
            case 1 -> {
                String[] ids = {"other#1", SOUP + "#0", SOUP + "#-1", SOUP + "#x", SOUP, SOUP + "#0x1",
                        SOUP + "#" + (state.candidateEvaluationsRequested() + 1 + random.nextInt(3))};
                input = new CandidateScored(ids[random.nextInt(ids.length)], state.version(), Set.of("c0"),
                        Fixtures.score(999, scenario.objective()));
                expected = Ignored.UNKNOWN_REQUEST;
            }
            case 2 -> {
                if (outstanding == null || outstanding.baseVersion() == 0) {
                    return false;
                }
                input = new CandidateScored(outstanding.requestId(), random.nextInt((int) outstanding.baseVersion()),
                        Set.copyOf(outstanding.ingredientIds()), Fixtures.score(1000, scenario.objective()));
                expected = Ignored.STALE_BASE_VERSION;
            }
            default -> {
                List<String> seen = new ArrayList<>(scored);
                seen.addAll(failed);
                if (seen.isEmpty()) {
                    return false;
                }
                String id = seen.get(random.nextInt(seen.size()));
                // a scored checkpoint is settled; a failed one only ignores its own failure redelivered
                // (published again and scored, it would be evaluated: see RetriableFailuresTest)
                input = failed.contains(id) ? new CheckpointFailed(id, "FILE_NOT_FOUND", "no such file")
                        : random.nextBoolean() ? Fixtures.ck(id, 1000, scenario.objective()) : new CheckpointFailed(id, "LATE", "again");
                expected = Ignored.DUPLICATE_CHECKPOINT;
            }
        }
        Optional<CandidateRequest> inFlight = state.requestInFlight();
        long version = state.version();
        long decisionCount = state.decisionCount();
        int memo = state.memoSize();
        Tally tally = state.tally();
        SoupStep out = feed(input, expected);
        assertThat(out.isEmpty()).as("noise produced output").isTrue();
        assertThat(out.ignored()).contains(expected);
        assertThat(state.requestInFlight()).isEqualTo(inFlight);
        assertThat(state.version()).isEqualTo(version);
        assertThat(state.decisionCount()).isEqualTo(decisionCount);
        assertThat(state.memoSize()).isEqualTo(memo);
        assertThat(state.tally()).isEqualTo(tally);
        injected.merge(expected, 1, Integer::sum);
        return true;
    }

    private SoupStep feed(SoupInput input, Ignored expected) {
        List<String> before = state.publishedIngredientIds();
        CandidateRequest outstandingBefore = expected == null ? outstanding : null;
        SoupStep out = Souper.step(state, input, now);
        if (shadow != null) {
            assertThat(Souper.step(shadow, input, now)).as("decoded copy diverged").isEqualTo(out);
        }
        now += 1 + random.nextInt(5_000);
        out.request().ifPresent(r -> {
            assertThat(outstanding).as("a second request while one is in flight").isNull();
            outstanding = r;
            requests.add(r);
        });
        records.add(new StepRecord(input, out, List.copyOf(scored), Set.copyOf(failed), before,
                state.publishedIngredientIds(), state.publishedHeldOut().orElse(null), outstandingBefore, expected));
        return out;
    }

    List<Decision> decisions() {
        return records.stream().flatMap(r -> r.out().decisions().stream()).toList();
    }

    List<SoupVersion> updates() {
        return records.stream().flatMap(r -> r.out().updates().stream()).toList();
    }
}
