package io.souper.scoring;

import io.souper.checkpoint.StoredArtifact;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What one successful scoring produced, split by split.
 *
 * @param ingredients  what was scored, each with the sha256 of its file as verified or computed
 * @param heldOut      the score that decisions use
 * @param test         the test split's score, when the soup has one and it was asked for
 * @param shifts       distribution-shift scores by shift name (sorted), when asked for
 * @param artifact     for a uniform average: the averaged weights in the store
 * @param imagesScored images run through a network (all splits, every ensemble member); cached
 *                     scores cost none
 */
public record ScoringResult(List<CheckpointRef> ingredients, SplitScore heldOut, Optional<SplitScore> test,
                            Map<String, SplitScore> shifts, Optional<StoredArtifact> artifact, long imagesScored) {

    public ScoringResult {
        ingredients = List.copyOf(ingredients);
        Objects.requireNonNull(heldOut, "heldOut");
        Objects.requireNonNull(test, "test");
        shifts = Collections.unmodifiableMap(new TreeMap<>(shifts));
        Objects.requireNonNull(artifact, "artifact");
    }
}
