package io.souper.evaluator;

import io.souper.errors.SouperException;
import io.souper.events.CheckpointReady;
import io.souper.events.EvaluationRequest;
import io.souper.events.IngredientRef;
import io.souper.events.ReportRequest;
import io.souper.events.SoupDefinition;
import io.souper.events.SplitMetrics;
import io.souper.scoring.CheckpointRef;
import io.souper.scoring.ScoringRequest;
import io.souper.scoring.ScoringResult;
import io.souper.scoring.SoupData;
import io.souper.scoring.SplitScore;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Events to the scoring domain and back: what an event names becomes a {@link ScoringRequest}
 * (checked here, so an event that cannot be acted on is INVALID_EVENT, the record's fault), and
 * a {@link ScoringResult}'s named scores become the event's {@link SplitMetrics}.
 */
final class ScoringEvents {

    private ScoringEvents() {
    }

    static SoupData soupData(SoupDefinition soup) {
        return new SoupData(soup.getSoupId(), soup.getArchitectureUri(), soup.getHeldOutUri(), soup.getTestUri(),
                soup.getShiftUris(), inputSpec(soup));
    }

    /** Which tensors go to forward, and the padding target; a bad list is the definition's fault. */
    private static io.souper.data.InputSpec inputSpec(SoupDefinition soup) {
        try {
            return new io.souper.data.InputSpec(soup.getInputNames(), soup.getIgnoreIndex());
        } catch (IllegalArgumentException e) {
            throw new SouperException(EvaluatorErrorCode.INVALID_EVENT, "definition of soup " + soup.getSoupId()
                    + ": " + e.getMessage());
        }
    }

    /** A checkpoint alone, on every split its soup names. */
    static ScoringRequest request(CheckpointReady event, SoupDefinition soup) {
        return ScoringRequest.checkpoint(event.getCheckpointId(), soupData(soup), new CheckpointRef(
                event.getCheckpointId(), event.getUri(), event.getSha256(), event.getHyperParameters()));
    }

    /** A candidate (uniform weight average) or an ensemble (logit mean) of the request's ingredients. */
    static ScoringRequest request(EvaluationRequest request, SoupDefinition soup) {
        ScoringRequest.What what = switch (request.getKind()) {
            case CANDIDATE -> ScoringRequest.What.UNIFORM_AVERAGE;
            case ENSEMBLE -> ScoringRequest.What.ENSEMBLE;
            default -> throw invalid(request, "has kind " + request.getKind()
                    + "; the evaluator scores CANDIDATE (weight average) and ENSEMBLE (logit mean) requests");
        };
        List<CheckpointRef> ingredients = ingredients("request " + request.getRequestId(), request.getIngredients());
        return new ScoringRequest(request.getRequestId(), what, soupData(soup), ingredients,
                request.getReportSplits() ? ScoringRequest.Splits.ALL : ScoringRequest.Splits.HELD_OUT);
    }

    /**
     * One part of a report, always on every split: a checkpoint alone, a weight average (uniform or
     * greedy soup; of a single checkpoint, that checkpoint alone, so no artifact is written for it), or
     * a logit ensemble.
     */
    static ScoringRequest request(ReportRequest request, SoupDefinition soup) {
        String subject = "report part " + request.getRequestId();
        List<CheckpointRef> ingredients = ingredients(subject, request.getIngredients());
        ScoringRequest.What what = switch (request.getPart()) {
            case CHECKPOINT -> {
                if (ingredients.size() != 1) {
                    throw new SouperException(EvaluatorErrorCode.INVALID_EVENT, subject + " asks for one checkpoint "
                            + "alone but names " + ingredients.size());
                }
                yield ScoringRequest.What.CHECKPOINT;
            }
            case UNIFORM_SOUP, GREEDY_SOUP -> ingredients.size() == 1
                    ? ScoringRequest.What.CHECKPOINT : ScoringRequest.What.UNIFORM_AVERAGE;
            case ENSEMBLE -> ScoringRequest.What.ENSEMBLE;
            default -> throw new SouperException(EvaluatorErrorCode.INVALID_EVENT, subject + " has part "
                    + request.getPart() + "; the evaluator answers CHECKPOINT, UNIFORM_SOUP, GREEDY_SOUP and ENSEMBLE");
        };
        return new ScoringRequest(request.getRequestId(), what, soupData(soup), ingredients, ScoringRequest.Splits.ALL);
    }

    /** The named ingredients, checked: at least one, each with an id, none twice. */
    private static List<CheckpointRef> ingredients(String subject, List<IngredientRef> refs) {
        if (refs.isEmpty()) {
            throw new SouperException(EvaluatorErrorCode.INVALID_EVENT, subject + " names no ingredients");
        }
        Set<String> seen = new HashSet<>();
        List<CheckpointRef> ingredients = new ArrayList<>(refs.size());
        for (IngredientRef ref : refs) {
            if (ref.getCheckpointId() == null || ref.getCheckpointId().isBlank()) {
                throw new SouperException(EvaluatorErrorCode.INVALID_EVENT, subject
                        + " has an ingredient without a checkpoint id");
            }
            if (!seen.add(ref.getCheckpointId())) {
                throw new SouperException(EvaluatorErrorCode.INVALID_EVENT, subject + " names checkpoint "
                        + ref.getCheckpointId() + " twice");
            }
            ingredients.add(new CheckpointRef(ref.getCheckpointId(), ref.getUri(), ref.getSha256(), Map.of()));
        }
        return ingredients;
    }

    static List<IngredientRef> ingredients(ScoringResult result) {
        return result.ingredients().stream().map(i -> IngredientRef.newBuilder().setCheckpointId(i.checkpointId())
                .setUri(i.uri()).setSha256(i.sha256()).build()).toList();
    }

    static SplitMetrics metrics(SplitScore score) {
        return SplitMetrics.newBuilder().setSplit(score.name()).setCorrect(score.correct()).setTotal(score.total())
                .setAccuracy(score.accuracy()).setCorrectMask(java.nio.ByteBuffer.wrap(score.rightAsBytes()))
                .setMetrics(new java.util.HashMap<>(score.metrics())).build();
    }

    /** The shifts in the result's order (by name). */
    static List<SplitMetrics> shifts(ScoringResult result) {
        return result.shifts().values().stream().map(ScoringEvents::metrics).toList();
    }

    private static SouperException invalid(EvaluationRequest request, String what) {
        return new SouperException(EvaluatorErrorCode.INVALID_EVENT, "request " + request.getRequestId() + " " + what);
    }
}
