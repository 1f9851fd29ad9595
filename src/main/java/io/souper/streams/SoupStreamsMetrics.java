package io.souper.streams;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.souper.metrics.MetricNames;
import io.souper.soup.SoupState;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The souper's meters: decisions, ignored results and dead letters as counters, and
 * per-soup gauges (held-out accuracy, size, age of the candidate in flight) read from
 * the last state each stream thread saw.
 */
final class SoupStreamsMetrics {

    private record SoupGauges(double heldOut, int ingredients, long inFlightSinceMillis) {
    }

    private final MeterRegistry registry;
    private final Map<String, SoupGauges> soups = new ConcurrentHashMap<>();

    SoupStreamsMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    void decided(String kind) {
        registry.counter(MetricNames.DECISIONS, "kind", kind.toLowerCase(Locale.ROOT)).increment();
    }

    void ignored(String reason) {
        registry.counter(MetricNames.RESULTS_IGNORED, "reason", reason.toLowerCase(Locale.ROOT)).increment();
    }

    void deadLetter(String reason) {
        registry.counter(MetricNames.DEAD_LETTERS, "reason", reason).increment();
    }

    void observe(SoupState state) {
        String soupId = state.soupId();
        SoupGauges gauges = new SoupGauges(
                state.publishedHeldOut().map(a -> a.value()).orElse(Double.NaN),
                state.publishedIngredientIds().size(),
                state.requestInFlight().map(r -> r.requestedAtMillis()).orElse(-1L));
        if (soups.put(soupId, gauges) == null) {
            Gauge.builder(MetricNames.SOUP_HELDOUT_ACCURACY, soups, m -> value(m, soupId).heldOut())
                    .tag("soup", soupId).register(registry);
            Gauge.builder(MetricNames.SOUP_INGREDIENTS, soups, m -> value(m, soupId).ingredients())
                    .tag("soup", soupId).register(registry);
            Gauge.builder(MetricNames.CANDIDATE_IN_FLIGHT_AGE, soups, m -> {
                        long since = value(m, soupId).inFlightSinceMillis();
                        return since < 0 ? 0 : (System.currentTimeMillis() - since) / 1000.0;
                    })
                    .tag("soup", soupId).baseUnit("seconds").register(registry);
        }
    }

    void forget(String soupId) {
        soups.remove(soupId);
    }

    private static SoupGauges value(Map<String, SoupGauges> m, String soupId) {
        return m.getOrDefault(soupId, new SoupGauges(Double.NaN, 0, -1));
    }
}
