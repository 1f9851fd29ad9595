package io.souper.soup;

import java.util.List;

/**
 * Ask the evaluator to score the uniform average of {@code ingredients}. The ingredients are the
 * soup it is tried against, in the order they joined, followed by the checkpoint being tried
 * ({@code triedCheckpointId}, always last): an evaluator that keeps the soup's running sum adds one
 * checkpoint.
 *
 * @param requestId {@code soupId + "#" + n}, n = 1, 2, 3... per soup: deterministic, so a replay
 *                  after a crash produces the same ids
 * @param baseVersion the published soup version the request was made against
 */
public record CandidateRequest(String requestId, String soupId, long baseVersion, List<Ingredient> ingredients,
                               String triedCheckpointId, long requestedAtMillis) {

    public CandidateRequest {
        ingredients = List.copyOf(ingredients);
    }

    public List<String> ingredientIds() {
        return ingredients.stream().map(Ingredient::checkpointId).toList();
    }
}
