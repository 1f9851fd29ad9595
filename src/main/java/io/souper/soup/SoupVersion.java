package io.souper.soup;

import java.util.List;

/**
 * A new published version of a soup (souper.updates). For a one-ingredient soup the held-out and
 * test scores and the artifact are the checkpoint's own.
 *
 * @param ingredients in the order they joined
 * @param test nullable
 * @param artifactUri nullable: averaged weights if the evaluator stored them
 * @param artifactSha256 nullable
 * @param lastDecision nullable
 */
public record SoupVersion(String soupId, long version, Policy policy, List<ScoredIngredient> ingredients,
                          Accuracy heldOut, Accuracy test, String artifactUri, String artifactSha256, Tally counts,
                          Decision lastDecision, long updatedAtMillis) {

    public SoupVersion {
        ingredients = List.copyOf(ingredients);
    }

    public List<String> ingredientIds() {
        return ingredients.stream().map(ScoredIngredient::checkpointId).toList();
    }
}
