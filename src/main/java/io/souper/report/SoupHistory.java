package io.souper.report;

import io.souper.events.EvaluationResult;
import io.souper.events.IngredientRef;
import io.souper.events.SoupDefinition;
import io.souper.events.SoupIngredient;
import io.souper.events.SoupUpdated;
import io.souper.events.SubjectKind;
import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.SouperTopics;
import io.souper.kafka.TopicReader;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a report needs to know of a soup, read from Kafka like any subscriber: its definition
 * (souper.definitions), its latest version (souper.updates: the greedy soup's ingredients) and
 * every checkpoint the evaluator scored for it (souper.evaluations, in arrival order; a checkpoint
 * that could not be scored is never an ingredient and is left out).
 *
 * @param definition  the soup's definition
 * @param latest      its latest published version
 * @param checkpoints every checkpoint scored for it, in arrival order
 */
public record SoupHistory(SoupDefinition definition, SoupUpdated latest, List<IngredientRef> checkpoints) {

    public SoupHistory {
        checkpoints = List.copyOf(checkpoints);
    }

    /** The soup's history as the topics hold it now. */
    public static SoupHistory read(KafkaClientConfigs clients, SouperTopics topics, String soupId) {
        SoupDefinition definition = latest(TopicReader.readAll(clients, topics.definitions).stream()
                .filter(r -> soupId.equals(r.key()) && r.value() != null).map(r -> r.value()).toList())
                .orElseThrow(() -> new IllegalArgumentException("no soup '" + soupId + "' is defined on "
                        + topics.definitions.name()));
        SoupUpdated latest = latest(TopicReader.readAll(clients, topics.updates).stream()
                .filter(r -> soupId.equals(r.key()) && r.value() != null).map(r -> r.value()).toList())
                .orElseThrow(() -> new IllegalArgumentException("soup '" + soupId
                        + "' has no version yet: no checkpoint of it was scored"));
        Map<String, IngredientRef> scored = new LinkedHashMap<>();
        for (var record : TopicReader.readAll(clients, topics.evaluations)) {
            EvaluationResult r = record.value();
            if (r != null && soupId.equals(r.getSoupId()) && r.getSubjectKind() == SubjectKind.CHECKPOINT
                    && r.getError() == null && r.getHeldOut() != null && r.getIngredients().size() == 1) {
                scored.putIfAbsent(r.getSubjectId(), r.getIngredients().get(0));
            }
        }
        return new SoupHistory(definition, latest, new ArrayList<>(scored.values()));
    }

    /**
     * The soup's checkpoints for a report: every scored one, and the soup's own ingredients even if
     * their scores have aged out of souper.evaluations.
     */
    public List<IngredientRef> reportCheckpoints() {
        Map<String, IngredientRef> all = new LinkedHashMap<>();
        checkpoints.forEach(c -> all.put(c.getCheckpointId(), c));
        greedy().ingredients().forEach(c -> all.putIfAbsent(c.getCheckpointId(), c));
        return new ArrayList<>(all.values());
    }

    /** The soup's greedy soup at its latest version. */
    public ReportPlan.GreedySoup greedy() {
        return new ReportPlan.GreedySoup(latest.getSoupId(), latest.getPolicy(),
                latest.getIngredients().stream().map(SoupHistory::ref).toList());
    }

    /** The plan of this soup's report, with {@code other} (another soup's greedy soup) beside it if given. */
    public ReportPlan plan(Optional<ReportPlan.GreedySoup> other) {
        return new ReportPlan(definition.getSoupId(), reportCheckpoints(), greedy(), other);
    }

    /** Lines that say what the report is about. */
    public List<String> setup() {
        List<String> lines = new ArrayList<>();
        lines.add("soup `" + definition.getSoupId() + "`, policy " + definition.getPolicy() + ", accept rule "
                + definition.getAcceptRule() + ", version " + latest.getVersion() + (definition.getDescription() == null
                ? "" : " (" + definition.getDescription() + ")"));
        lines.add("splits: held-out " + definition.getHeldOutUri() + "; test "
                + (definition.getTestUri() == null ? "none" : definition.getTestUri()) + "; shifts "
                + (definition.getShiftUris().isEmpty() ? "none" : String.join(", ", definition.getShiftUris().keySet())));
        return lines;
    }

    private static IngredientRef ref(SoupIngredient i) {
        return IngredientRef.newBuilder().setCheckpointId(i.getCheckpointId()).setUri(i.getUri())
                .setSha256(i.getSha256()).build();
    }

    private static <T> Optional<T> latest(List<T> values) {
        return values.isEmpty() ? Optional.empty() : Optional.of(values.get(values.size() - 1));
    }
}
