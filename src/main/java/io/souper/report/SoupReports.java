package io.souper.report;

import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.SouperTopics;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A report for any soup, as {@code souper report} and {@code GET /soups/{id}/report} make it:
 * read the soup's history from Kafka, ask the evaluator for the paper's baselines of its
 * checkpoints ({@link ReportPlan}, answered on souper.report-results), and build the paper's
 * table with paired error bars ({@link SoupReport}).
 */
public final class SoupReports {

    /** How long a caller waits for the evaluator's answers by default (ISO-8601). */
    public static final String DEFAULT_TIMEOUT = "PT10M";

    private SoupReports() {
    }

    /** The report of {@code soupId}; {@code otherSoupId}, if given, adds that soup's greedy soup beside it. */
    public static SoupReport make(KafkaClientConfigs clients, SouperTopics topics, String soupId,
                                  Optional<String> otherSoupId, Duration timeout, Consumer<String> progress) {
        SoupHistory history = SoupHistory.read(clients, topics, soupId);
        Optional<ReportPlan.GreedySoup> other = otherSoupId.map(id -> SoupHistory.read(clients, topics, id).greedy());
        ReportPlan plan = history.plan(other);
        return make(clients, topics, plan, "Souper report: soup " + soupId, history.setup(), timeout, progress);
    }

    /** The report of a plan the caller made (the demo names its runs itself). */
    public static SoupReport make(KafkaClientConfigs clients, SouperTopics topics, ReportPlan plan, String title,
                                  List<String> setup, Duration timeout, Consumer<String> progress) {
        progress.accept(plan.toString() + " (" + plan.reportId() + ")");
        ReportScores scores = ReportScores.of(ReportAnswers.collect(clients, topics,
                plan.requests(java.time.Instant.now()), timeout, progress));
        List<String> lines = new ArrayList<>(setup);
        lines.add("report " + plan.reportId() + ": every part scored by the evaluator on every split, answered on "
                + topics.reportResults.name());
        return plan.report(scores, title, lines);
    }
}
