package io.souper.report;

import java.util.List;

/**
 * One combined model of the comparison (a soup or the ensemble) with what it is made of.
 *
 * @param method        what it is (see {@link Method})
 * @param ingredients   ids of the models it combines, in the order they were added
 * @param score         its accuracies
 * @param forwardPasses forward passes per prediction: 1 for a soup or a single model, K for an ensemble of K
 */
public record SoupScore(Method method, List<String> ingredients, ModelScore score, int forwardPasses) {

    public enum Method {
        BEST_SINGLE("best single model"),
        UNIFORM_SOUP("uniform soup"),
        GREEDY_SORTED("greedy soup (sorted)"),
        GREEDY_ONLINE("greedy soup (online)"),
        ENSEMBLE("ensemble (logit mean)");

        private final String label;

        Method(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    public SoupScore {
        ingredients = List.copyOf(ingredients);
        if (ingredients.isEmpty()) {
            throw new IllegalArgumentException(method + " needs at least one ingredient");
        }
        if (forwardPasses < 1) {
            throw new IllegalArgumentException(method + ": forward passes must be at least 1");
        }
    }

    public int size() {
        return ingredients.size();
    }
}
