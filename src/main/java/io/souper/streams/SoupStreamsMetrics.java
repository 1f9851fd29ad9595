package io.souper.streams;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.souper.kafka.DeadLetters;
import io.souper.metrics.MetricNames;
import io.souper.soup.Accuracy;
import io.souper.soup.Decision;
import io.souper.soup.Ignored;
import io.souper.soup.SoupState;

import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The souper's meters: decisions, ignored results and dead letters as counters, registered at
 * zero for every label value at start (so an alert sees the first event as an increase), and
 * per-soup gauges (held-out and test accuracy, size, age of the candidate in flight) read from
 * the last state seen. A soup's gauges are removed when it leaves this instance (its task's
 * processor closes on a rebalance or shutdown, or the soup is deleted), so an instance never
 * reports a soup another instance now owns.
 */
final class SoupStreamsMetrics {

    /** Every reason code the souper dead-letters with. */
    static final List<String> DEAD_LETTER_REASONS = List.of(DeadLetters.DESERIALIZATION_FAILED,
            DeadLetters.INVALID_EVENT, DeadLetters.UNKNOWN_SOUP, DeadLetters.DEFINITION_CONFLICT, DeadLetters.REPEATED_CRASH);

    private record SoupGauges(double heldOut, double test, int ingredients, long inFlightSinceMillis) {
    }

    private final MeterRegistry registry;
    private final Map<String, SoupGauges> soups = new ConcurrentHashMap<>();
    private final Map<String, List<Meter>> meters = new ConcurrentHashMap<>();

    SoupStreamsMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (Decision.Kind kind : Decision.Kind.values()) {
            decisions(label(kind.name()));
        }
        for (Ignored reason : Ignored.values()) {
            ignoredResults(label(reason.name()));
        }
        for (String reason : DEAD_LETTER_REASONS) {
            deadLetters(reason);
        }
    }

    void decided(String kind) {
        decisions(label(kind)).increment();
    }

    void ignored(String reason) {
        ignoredResults(label(reason)).increment();
    }

    void deadLetter(String reason) {
        deadLetters(reason).increment();
    }

    void observe(SoupState state) {
        String soupId = state.soupId();
        SoupGauges gauges = new SoupGauges(
                state.publishedHeldOut().map(Accuracy::value).orElse(Double.NaN),
                state.publishedTest().map(Accuracy::value).orElse(Double.NaN),
                state.publishedIngredientIds().size(),
                state.requestInFlight().map(r -> r.requestedAtMillis()).orElse(-1L));
        soups.put(soupId, gauges);
        // computeIfAbsent: two stream threads never own one soup, but a task may move between
        // threads, and registering twice would only return the existing gauges anyway
        meters.computeIfAbsent(soupId, this::register);
    }

    /** The soup left this instance (or was deleted): its gauges go away. */
    void forget(String soupId) {
        List<Meter> gone = meters.remove(soupId);
        soups.remove(soupId);
        if (gone != null) {
            gone.forEach(registry::remove);
        }
    }

    /** The soups of a task that closed. */
    void forgetAll(Collection<String> soupIds) {
        soupIds.forEach(this::forget);
    }

    private List<Meter> register(String soupId) {
        return List.of(
                Gauge.builder(MetricNames.SOUP_HELDOUT_ACCURACY, soups, m -> value(m, soupId).heldOut())
                        .description("Held-out accuracy of the published soup").tag("soup", soupId).register(registry),
                Gauge.builder(MetricNames.SOUP_TEST_ACCURACY, soups, m -> value(m, soupId).test())
                        .description("Test accuracy of the published soup").tag("soup", soupId).register(registry),
                Gauge.builder(MetricNames.SOUP_INGREDIENTS, soups, m -> value(m, soupId).ingredients())
                        .description("Ingredients in the published soup").tag("soup", soupId).register(registry),
                Gauge.builder(MetricNames.CANDIDATE_IN_FLIGHT_AGE, soups, m -> {
                            long since = value(m, soupId).inFlightSinceMillis();
                            return since < 0 ? 0 : (System.currentTimeMillis() - since) / 1000.0;
                        })
                        .description("Time the soup's candidate evaluation has been awaited")
                        .tag("soup", soupId).baseUnit("seconds").register(registry));
    }

    private Counter decisions(String kind) {
        return Counter.builder(MetricNames.DECISIONS).description("Soup decisions by kind")
                .tag("kind", kind).register(registry);
    }

    private Counter ignoredResults(String reason) {
        return Counter.builder(MetricNames.RESULTS_IGNORED).description("Evaluation results that changed nothing")
                .tag("reason", reason).register(registry);
    }

    private Counter deadLetters(String reason) {
        return Counter.builder(MetricNames.DEAD_LETTERS).description("Records sent to the dead-letter topic")
                .tag("reason", reason).register(registry);
    }

    private static String label(String enumName) {
        return enumName.toLowerCase(Locale.ROOT);
    }

    private static SoupGauges value(Map<String, SoupGauges> m, String soupId) {
        return m.getOrDefault(soupId, new SoupGauges(Double.NaN, Double.NaN, 0, -1));
    }
}
