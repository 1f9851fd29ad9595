package io.souper.metrics;

/**
 * Souper's own meter names, in one place because the Grafana dashboard and the Prometheus
 * alerts under monitoring/ depend on them (a test scrapes a running Souper with a real
 * Prometheus and checks every query names a series the scrape had).
 * Micrometer names: dotted, base units, no "total" (Prometheus adds it to counters).
 * Every labelled counter is registered at zero for each label value it can take, so a rate
 * or an alert has a baseline before the first event.
 */
public final class MetricNames {
    /** Counter, tags kind (checkpoint|candidate|ensemble) and outcome (ok|failed). */
    public static final String EVALUATIONS = "souper.evaluations";
    /** Timer (histogram, buckets up to 10 minutes), tag kind (checkpoint|candidate|ensemble). */
    public static final String EVALUATION_DURATION = "souper.evaluation.duration";
    /** Counter of images run through a model. */
    public static final String EVALUATOR_IMAGES = "souper.evaluator.images";
    /**
     * Counter, tag kind: the lower-cased {@code io.souper.soup.Decision.Kind}
     * (seeded|accepted|rejected|replaced|failed|rebuilt).
     */
    public static final String DECISIONS = "souper.decisions";
    /**
     * Counter, tag reason: the lower-cased {@code io.souper.soup.Ignored}
     * (unknown_request|not_in_flight|stale_base_version|duplicate_checkpoint).
     */
    public static final String RESULTS_IGNORED = "souper.results.ignored";
    /**
     * Counter, tag reason: the dead-letter reason code as written in the record, upper case
     * ({@code io.souper.kafka.DeadLetters}: DESERIALIZATION_FAILED|INVALID_EVENT|UNKNOWN_SOUP|
     * DEFINITION_CONFLICT|EVALUATION_FAILED), plus the process's common tag role.
     */
    public static final String DEAD_LETTERS = "souper.dead.letters";
    /** Gauge, tag soup; removed when the soup leaves this instance. */
    public static final String SOUP_HELDOUT_ACCURACY = "souper.soup.heldout.accuracy";
    /** Gauge, tag soup: accuracy of the published soup on the test split (NaN when the soup has none). */
    public static final String SOUP_TEST_ACCURACY = "souper.soup.test.accuracy";
    /** Gauge, tag soup; removed when the soup leaves this instance. */
    public static final String SOUP_INGREDIENTS = "souper.soup.ingredients";
    /** Gauge, tag soup: seconds since the soup's in-flight candidate was requested (0: none in flight). */
    public static final String CANDIDATE_IN_FLIGHT_AGE = "souper.candidate.in.flight.age";
    /**
     * Gauge, tag state (every {@code KafkaStreams.State}): 1 for the state the souper's Kafka
     * Streams client is in, 0 for the others.
     */
    public static final String STREAMS_STATE = "souper.streams.state";
    /**
     * Gauge, tags group and topic: records on the topic's log end (read-committed) not yet covered by
     * the group's committed offsets, summed over partitions. Read with an admin client, so it stays
     * visible while the group's consumers are down.
     */
    public static final String CONSUMER_GROUP_LAG = "souper.consumer.group.lag";

    private MetricNames() {
    }
}
