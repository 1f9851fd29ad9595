package io.souper.soup;

import java.util.Map;

/** An ingredient of a published soup, with its own scores. {@code sha256}, {@code runId}, {@code test} nullable. */
public record ScoredIngredient(String checkpointId, String uri, String sha256, String runId, Accuracy heldOut,
                               Accuracy test, Map<String, String> hyperParameters) {

    static ScoredIngredient of(CheckpointScored c) {
        return new ScoredIngredient(c.checkpointId(), c.uri(), c.sha256(), c.runId(), c.heldOut(), c.test(),
                c.hyperParameters());
    }
}
