package io.souper.evaluator;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.souper.kafka.DeadLetters;
import io.souper.metrics.MetricNames;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The evaluator's meters (names in {@link MetricNames}, which the dashboard and alerts use):
 * evaluations by kind and outcome, their duration as a histogram, images scored, and
 * dead letters by reason. Every series is registered at start, at zero, so rates and alerts
 * have a baseline before the first event.
 */
final class EvaluatorMetrics {

    static final String CHECKPOINT = "checkpoint";
    static final String CANDIDATE = "candidate";
    static final String ENSEMBLE = "ensemble";
    private static final List<String> KINDS = List.of(CHECKPOINT, CANDIDATE, ENSEMBLE);
    /** Every reason code the evaluator dead-letters with. */
    static final List<String> DEAD_LETTER_REASONS = List.of(DeadLetters.EVALUATION_FAILED,
            DeadLetters.DESERIALIZATION_FAILED, DeadLetters.INVALID_EVENT, DeadLetters.REPEATED_CRASH);
    /**
     * Histogram buckets: a GPU scores in well under a second, a CPU evaluation of a large split can
     * take minutes (the demo's took 33 s), so the buckets reach 10 minutes and p95 is never capped
     * below what was measured. Explicit buckets keep the series count small (18 + Inf per kind).
     */
    static final List<Duration> DURATION_BUCKETS = List.of(
            Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
            Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
            Duration.ofSeconds(20), Duration.ofSeconds(30), Duration.ofSeconds(45), Duration.ofSeconds(60),
            Duration.ofSeconds(90), Duration.ofMinutes(2), Duration.ofMinutes(3), Duration.ofMinutes(5),
            Duration.ofMinutes(7), Duration.ofMinutes(10));

    private final MeterRegistry registry;
    private final Counter images;

    EvaluatorMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.images = Counter.builder(MetricNames.EVALUATOR_IMAGES)
                .description("Images run through a network by the evaluator").register(registry);
        for (String kind : KINDS) {
            evaluations(kind, true);
            evaluations(kind, false);
            duration(kind);
        }
        for (String reason : DEAD_LETTER_REASONS) {
            deadLetters(reason);
        }
    }

    void evaluated(String kind, boolean ok, long nanos, long imageCount) {
        evaluations(kind, ok).increment();
        duration(kind).record(nanos, TimeUnit.NANOSECONDS);
        images.increment(imageCount);
    }

    void deadLettered(String reason) {
        deadLetters(reason).increment();
    }

    private Counter evaluations(String kind, boolean ok) {
        return Counter.builder(MetricNames.EVALUATIONS).description("Evaluations by kind and outcome")
                .tag("kind", kind).tag("outcome", ok ? "ok" : "failed").register(registry);
    }

    private Timer duration(String kind) {
        return Timer.builder(MetricNames.EVALUATION_DURATION).description("Time to evaluate one subject")
                .tag("kind", kind).serviceLevelObjectives(DURATION_BUCKETS.toArray(Duration[]::new))
                .register(registry);
    }

    private Counter deadLetters(String reason) {
        return Counter.builder(MetricNames.DEAD_LETTERS).description("Records sent to the dead-letter topic")
                .tag("reason", reason).register(registry);
    }
}
