package io.souper.scoring;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What to score and on which splits.
 *
 * @param subject     what the caller calls it (a checkpoint or request id), for messages
 * @param what        one checkpoint alone, the uniform average of the ingredients, or their logit ensemble
 * @param soup        the architecture and data
 * @param ingredients for {@link What#UNIFORM_AVERAGE}: the soup's ingredients in join order, then the one
 *                    tried; for {@link What#CHECKPOINT}: exactly one
 * @param splits      held-out only (what decisions need), or every split the soup names
 */
public record ScoringRequest(String subject, What what, SoupData soup, List<CheckpointRef> ingredients,
                             Splits splits) {

    public enum What { CHECKPOINT, UNIFORM_AVERAGE, ENSEMBLE }

    public enum Splits { HELD_OUT, ALL }

    /** Callers validate what they were sent first; a request breaking these rules is a bug of theirs. */
    public ScoringRequest {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(what, "what");
        Objects.requireNonNull(soup, "soup");
        Objects.requireNonNull(splits, "splits");
        ingredients = List.copyOf(ingredients);
        if (ingredients.isEmpty() || (what == What.CHECKPOINT && ingredients.size() != 1)) {
            throw new IllegalArgumentException(subject + ": " + what + " with " + ingredients.size() + " ingredients");
        }
        Set<String> ids = new HashSet<>();
        for (CheckpointRef ingredient : ingredients) {
            if (!ids.add(ingredient.checkpointId())) {
                throw new IllegalArgumentException(subject + " names checkpoint " + ingredient.checkpointId() + " twice");
            }
        }
    }

    public static ScoringRequest checkpoint(String subject, SoupData soup, CheckpointRef checkpoint) {
        return new ScoringRequest(subject, What.CHECKPOINT, soup, List.of(checkpoint), Splits.ALL);
    }
}
