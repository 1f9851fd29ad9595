package io.souper.metrics;

import java.util.List;

/**
 * Souper's own meter names, in one place because the Grafana dashboard and the
 * Prometheus alerts under deploy/ depend on them (a test checks they agree).
 * Micrometer names: dotted, base units, no "total" (Prometheus adds it to counters).
 */
public final class MetricNames {
    /** Counter, tags kind (checkpoint|candidate|ensemble) and outcome (ok|failed). */
    public static final String EVALUATIONS = "souper.evaluations";
    /** Timer (histogram), tag kind. */
    public static final String EVALUATION_DURATION = "souper.evaluation.duration";
    /** Counter of images run through a model. */
    public static final String EVALUATOR_IMAGES = "souper.evaluator.images";
    /** Counter, tag kind (seeded|accepted|rejected|replaced|failed|rebuilt). */
    public static final String DECISIONS = "souper.decisions";
    /** Counter, tag reason (duplicate|stale|unknown-request...). */
    public static final String RESULTS_IGNORED = "souper.results.ignored";
    /** Counter, tag reason (the dead-letter reason code). */
    public static final String DEAD_LETTERS = "souper.dead.letters";
    /** Gauge, tag soup. */
    public static final String SOUP_HELDOUT_ACCURACY = "souper.soup.heldout.accuracy";
    /** Gauge, tag soup. */
    public static final String SOUP_INGREDIENTS = "souper.soup.ingredients";
    /** Gauge, tag soup: seconds since the soup's in-flight candidate was requested. */
    public static final String CANDIDATE_IN_FLIGHT_AGE = "souper.candidate.in.flight.age";

    private MetricNames() {
    }

    /** The Prometheus series names each meter is exposed as. */
    public static List<String> prometheusNames() {
        return List.of(
                prom(EVALUATIONS) + "_total",
                prom(EVALUATION_DURATION) + "_seconds_bucket",
                prom(EVALUATION_DURATION) + "_seconds_count",
                prom(EVALUATOR_IMAGES) + "_total",
                prom(DECISIONS) + "_total",
                prom(RESULTS_IGNORED) + "_total",
                prom(DEAD_LETTERS) + "_total",
                prom(SOUP_HELDOUT_ACCURACY),
                prom(SOUP_INGREDIENTS),
                prom(CANDIDATE_IN_FLIGHT_AGE) + "_seconds");
    }

    private static String prom(String name) {
        return name.replace('.', '_');
    }
}
