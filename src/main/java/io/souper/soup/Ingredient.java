package io.souper.soup;

/** A checkpoint as an ingredient of a candidate: where its weights are and what they hash to. */
public record Ingredient(String checkpointId, String uri, String sha256) {

    public Ingredient {
        Inputs.requireText(checkpointId, "ingredient checkpointId");
        Inputs.requireText(uri, "ingredient uri of " + checkpointId);
    }
}
