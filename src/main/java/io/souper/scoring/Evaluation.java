package io.souper.scoring;

import io.souper.checkpoint.StoredArtifact;
import io.souper.events.IngredientRef;
import io.souper.events.SplitMetrics;
import java.util.List;

/**
 * What one successful evaluation produced.
 *
 * @param ingredients what was scored, with the sha256 of each file as verified or computed
 * @param artifact    for candidates: the averaged weights in the store; else null
 * @param images      images run through a network (all splits, every ensemble member)
 */
record Evaluation(List<IngredientRef> ingredients, SplitMetrics heldOut, SplitMetrics test, List<SplitMetrics> shifts,
                  StoredArtifact artifact, long images) {

    Evaluation {
        ingredients = List.copyOf(ingredients);
        shifts = List.copyOf(shifts);
    }
}
