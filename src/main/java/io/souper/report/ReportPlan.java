package io.souper.report;

import io.souper.checkpoint.Sha256;
import io.souper.events.IngredientRef;
import io.souper.events.ReportPart;
import io.souper.events.ReportRequest;
import io.souper.events.SoupPolicy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * What a soup's report asks the evaluator for, as {@link ReportRequest} events: every checkpoint
 * alone, the uniform soup of all, the greedy soup (and, if given, another greedy soup of the same
 * checkpoints to compare), and the logit ensemble of all; each on every split, with per-image
 * correctness. Ids are derived from the content, so the same report asked again names the same
 * parts and reuses answers already on souper.report-results instead of scoring them again.
 *
 * @param soupId      the soup whose definition (architecture, splits) every part is scored with
 * @param checkpoints every checkpoint of the soup, in arrival order
 * @param greedy      the soup's own greedy soup
 * @param other       another greedy soup of the same checkpoints, shown beside it
 */
public record ReportPlan(String soupId, List<IngredientRef> checkpoints, GreedySoup greedy,
                         Optional<GreedySoup> other) {

    /** A greedy soup: whose it is, how it was made, and its ingredients in join order. */
    public record GreedySoup(String soupId, SoupPolicy policy, List<IngredientRef> ingredients) {
        public GreedySoup {
            ingredients = List.copyOf(ingredients);
            if (ingredients.isEmpty()) {
                throw new IllegalArgumentException("the greedy soup " + soupId + " has no ingredients yet");
            }
        }

        public List<String> ids() {
            return ingredients.stream().map(IngredientRef::getCheckpointId).toList();
        }

        SoupScore.Method method() {
            return policy == SoupPolicy.ONLINE ? SoupScore.Method.GREEDY_ONLINE : SoupScore.Method.GREEDY_SORTED;
        }
    }

    public ReportPlan {
        checkpoints = List.copyOf(checkpoints);
        if (checkpoints.isEmpty()) {
            throw new IllegalArgumentException("soup " + soupId + " has no scored checkpoint to report on");
        }
        Set<String> ids = new HashSet<>();
        checkpoints.forEach(c -> {
            if (!ids.add(c.getCheckpointId())) {
                throw new IllegalArgumentException("checkpoint " + c.getCheckpointId() + " is listed twice");
            }
        });
        for (GreedySoup soup : other.map(o -> List.of(greedy, o)).orElse(List.of(greedy))) {
            for (String id : soup.ids()) {
                if (!ids.contains(id)) {
                    throw new IllegalArgumentException("the greedy soup " + soup.soupId() + " holds checkpoint " + id
                            + ", which is not among the report's checkpoints");
                }
            }
        }
    }

    public List<String> checkpointIds() {
        return checkpoints.stream().map(IngredientRef::getCheckpointId).toList();
    }

    /**
     * The report's id: the soup id and a digest of everything the parts name (ids, URIs, hashes), so
     * a soup that gained a checkpoint gets a new report and an unchanged one the same.
     */
    public String reportId() {
        StringBuilder canonical = new StringBuilder(soupId).append('\n');
        checkpoints.forEach(c -> canonical.append(line(c)));
        canonical.append("greedy ").append(greedy.soupId()).append('\n');
        greedy.ingredients().forEach(c -> canonical.append(line(c)));
        other.ifPresent(o -> {
            canonical.append("other ").append(o.soupId()).append('\n');
            o.ingredients().forEach(c -> canonical.append(line(c)));
        });
        return soupId + "~report-" + Sha256.hex(Sha256.newDigest().digest(canonical.toString().getBytes(StandardCharsets.UTF_8))).substring(0, 16);
    }

    private static String line(IngredientRef c) {
        return c.getCheckpointId() + '\t' + c.getUri() + '\t' + c.getSha256() + '\n';
    }

    /** The request id of a checkpoint alone. */
    public String checkpointRequestId(String checkpointId) {
        return reportId() + "/checkpoint/" + checkpointId;
    }

    /** Every part, checkpoints first (their logits are then cached for the ensemble). */
    public List<ReportRequest> requests(Instant now) {
        String reportId = reportId();
        List<ReportRequest> out = new ArrayList<>();
        for (IngredientRef c : checkpoints) {
            out.add(request(reportId, checkpointRequestId(c.getCheckpointId()), ReportPart.CHECKPOINT,
                    c.getCheckpointId(), List.of(c), now));
        }
        out.add(request(reportId, reportId + "/uniform", ReportPart.UNIFORM_SOUP, "all", checkpoints, now));
        // a weight average is the same model whatever it is called: a greedy soup that kept every checkpoint
        // is the uniform soup, and two greedy soups of one set are one model, so each set is scored once
        Set<Set<String>> averaged = new HashSet<>();
        averaged.add(Set.copyOf(checkpointIds()));
        for (GreedySoup soup : other.map(o -> List.of(greedy, o)).orElse(List.of(greedy))) {
            if (averaged.add(Set.copyOf(soup.ids()))) {
                out.add(request(reportId, reportId + "/greedy/" + soup.soupId(), ReportPart.GREEDY_SOUP,
                        soup.soupId(), soup.ingredients(), now));
            }
        }
        out.add(request(reportId, reportId + "/ensemble", ReportPart.ENSEMBLE, "all", checkpoints, now));
        return out;
    }

    private ReportRequest request(String reportId, String requestId, ReportPart part, String label,
                                  List<IngredientRef> ingredients, Instant now) {
        return ReportRequest.newBuilder().setRequestId(requestId).setReportId(reportId).setSoupId(soupId)
                .setPart(part).setLabel(label).setIngredients(ingredients).setRequestedAt(now).build();
    }

    /**
     * The report from the evaluator's answers to these parts: the best single model, the uniform
     * soup, the greedy soup(s) and the ensemble, beside every checkpoint.
     */
    public SoupReport report(ReportScores scores, String title, List<String> setup) {
        List<String> all = checkpointIds();
        List<ModelScore> models = all.stream().map(id -> scores.checkpoint(id).orElseThrow(
                () -> new IllegalStateException("no complete score for checkpoint " + id))).toList();
        SoupScore uniform = new SoupScore(SoupScore.Method.UNIFORM_SOUP, all, scores.average(all)
                .orElseThrow(() -> new IllegalStateException("no score for the uniform soup")), 1);
        SoupScore ensemble = new SoupScore(SoupScore.Method.ENSEMBLE, all, scores.ensemble(all)
                .orElseThrow(() -> new IllegalStateException("no score for the ensemble")), all.size());
        return new SoupReport(title, setup, models, Optional.empty(), uniform, greedyScore(greedy, scores),
                other.map(o -> greedyScore(o, scores)), ensemble);
    }

    private static SoupScore greedyScore(GreedySoup soup, ReportScores scores) {
        ModelScore score = scores.average(soup.ids()).orElseThrow(() -> new IllegalStateException(
                "no complete score for the " + soup.method().label() + " " + soup.soupId() + " " + soup.ids()));
        return new SoupScore(soup.method(), soup.ids(), score, 1);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "report of %s: %d checkpoints, greedy soup of %d", soupId,
                checkpoints.size(), greedy.ingredients().size());
    }
}
