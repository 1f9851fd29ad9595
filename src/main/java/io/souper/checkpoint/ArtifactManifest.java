package io.souper.checkpoint;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a stored artifact is made of: the method (e.g. "uniform_average"), the ingredients
 * in summation order, and scores if known. Written as JSON beside the artifact
 * ({@code <sha256>.json}), together with the artifact's own sha256 and size.
 */
public record ArtifactManifest(String method, List<Ingredient> ingredients, Map<String, Double> scores) {

    public static final String UNIFORM_AVERAGE = "uniform_average";

    public ArtifactManifest {
        if (method == null || method.isBlank()) {
            throw new IllegalArgumentException("manifest needs a method");
        }
        ingredients = ingredients == null ? List.of() : List.copyOf(ingredients);
        scores = scores == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(scores));
    }

    /** One checkpoint that went into the artifact. */
    public record Ingredient(String checkpointId, String uri, String sha256, Map<String, String> hyperParameters) {
        public Ingredient {
            if (checkpointId == null || uri == null) {
                throw new IllegalArgumentException("an ingredient needs a checkpoint id and a uri");
            }
            hyperParameters = hyperParameters == null ? Map.of()
                    : java.util.Collections.unmodifiableMap(new TreeMap<>(hyperParameters));
        }
    }

    public ArtifactManifest withScores(Map<String, Double> newScores) {
        return new ArtifactManifest(method, ingredients, newScores);
    }
}
