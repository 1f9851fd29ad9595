package io.souper.web;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.souper.events.SoupDecision;
import io.souper.soup.Ignored;
import io.souper.soup.SoupState;
import io.souper.streams.SoupQueries.SoupView;

import java.util.List;

/** The query API's JSON for the souper's typed query results (see docs/api.md). */
final class SoupJson {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private SoupJson() {
    }

    /** A soup in the list of {@code GET /soups}. */
    static ObjectNode summary(SoupView view) {
        SoupState state = view.state();
        ObjectNode node = NODES.objectNode();
        node.put("soupId", view.soupId());
        // true: read from a standby copy while the soup's owner is away; it may lag by a few commits
        node.put("stale", view.stale());
        node.put("policy", state.policy().name());
        node.put("acceptRule", state.acceptance().name());
        node.put("version", state.version());
        ArrayNode ingredients = node.putArray("ingredients");
        state.publishedIngredientIds().forEach(ingredients::add);
        state.publishedHeldOut().ifPresentOrElse(a -> node.put("heldOutAccuracy", a.value()),
                () -> node.putNull("heldOutAccuracy"));
        // the metric the soup decides on, and every metric of its held-out split (empty before the first version)
        node.put("metric", state.objective().name());
        ObjectNode heldOutMetrics = node.putObject("heldOutMetrics");
        state.publishedHeldOut().ifPresent(a -> a.metrics().forEach(heldOutMetrics::put));
        ObjectNode counts = node.putObject("counts");
        counts.put("scored", state.tally().scored());
        counts.put("accepted", state.tally().accepted());
        counts.put("rejected", state.tally().rejected());
        counts.put("pending", state.tally().pending());
        counts.put("failed", state.tally().failed());
        node.put("candidateEvaluationsRequested", state.candidateEvaluationsRequested());
        node.put("memoisedSets", state.memoSize());
        ObjectNode ignored = node.putObject("ignoredResults");
        for (Ignored reason : Ignored.values()) {
            ignored.put(reason.name(), state.ignoredCount(reason));
        }
        state.requestInFlight().ifPresentOrElse(r -> {
            ObjectNode inFlight = node.putObject("inFlight");
            inFlight.put("requestId", r.requestId());
            inFlight.put("triedCheckpointId", r.triedCheckpointId());
            ArrayNode set = inFlight.putArray("ingredients");
            r.ingredientIds().forEach(set::add);
        }, () -> node.putNull("inFlight"));
        return node;
    }

    /** {@code GET /soups/{id}}: the summary, the definition and the last published version. */
    static ObjectNode detail(SoupView view) {
        ObjectNode node = summary(view);
        node.set("definition", view.definition() == null ? NODES.nullNode() : AvroJson.toJson(view.definition()));
        node.set("soup", view.latest() == null ? NODES.nullNode() : AvroJson.toJson(view.latest()));
        return node;
    }

    /** {@code GET /soups/{id}/decisions}: the audit log, oldest first. */
    static ArrayNode decisions(List<SoupDecision> decisions) {
        ArrayNode out = NODES.arrayNode();
        decisions.forEach(d -> out.add(AvroJson.toJson(d)));
        return out;
    }
}
