package io.souper.kafka;

import java.util.List;
import java.util.Map;

/**
 * Souper's topics and how each is created (see DESIGN.md, "The flow"). Every topic is
 * keyed by soup id and has the same partition count, so the souper's inputs are
 * co-partitioned and a soup always lives on one stream task.
 */
public final class TopicNames {
    public static final String DEFINITIONS = "souper.definitions";
    public static final String CHECKPOINTS = "souper.checkpoints";
    public static final String CANDIDATES = "souper.candidates";
    public static final String EVALUATIONS = "souper.evaluations";
    public static final String UPDATES = "souper.updates";
    public static final String DECISIONS = "souper.decisions";
    public static final String DLQ = "souper.dlq";
    /** Report requests (ReportRequest): the paper's baselines of a soup, asked of the evaluator. */
    public static final String REPORT_REQUESTS = "souper.report-requests";
    /** Their answers (EvaluationResult): apart from souper.evaluations, so the souper never reads them. */
    public static final String REPORT_RESULTS = "souper.report-results";

    private static final long WEEK_MS = 7L * 24 * 3600 * 1000;

    private TopicNames() {
    }

    public static List<TopicSpec> all(int partitions) {
        Map<String, String> compact = Map.of("cleanup.policy", "compact", "min.compaction.lag.ms", "0");
        Map<String, String> week = Map.of("cleanup.policy", "delete", "retention.ms", String.valueOf(WEEK_MS));
        return List.of(
                new TopicSpec(DEFINITIONS, partitions, compact),
                new TopicSpec(CHECKPOINTS, partitions, week),
                new TopicSpec(CANDIDATES, partitions, week),
                new TopicSpec(EVALUATIONS, partitions, week),
                new TopicSpec(UPDATES, partitions, compact),
                // the audit log is kept for a year: decisions are how a soup is explained
                new TopicSpec(DECISIONS, partitions, Map.of("cleanup.policy", "delete",
                        "retention.ms", String.valueOf(52 * WEEK_MS))),
                new TopicSpec(DLQ, partitions, Map.of("cleanup.policy", "delete",
                        "retention.ms", String.valueOf(4 * WEEK_MS))),
                new TopicSpec(REPORT_REQUESTS, partitions, week),
                // a report asked again within the week reuses the answers already here
                new TopicSpec(REPORT_RESULTS, partitions, week));
    }

    public static List<String> names() {
        return all(1).stream().map(TopicSpec::name).toList();
    }
}
