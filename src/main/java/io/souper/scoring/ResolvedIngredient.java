package io.souper.scoring;

import io.souper.events.IngredientRef;
import java.nio.file.Path;

/**
 * An ingredient named by an event, checked: its URI resolved inside the store roots and its
 * sha256 known (verified against the event's when the event carries one).
 */
record ResolvedIngredient(IngredientRef ref, Path path, String sha256) {

    String checkpointId() {
        return ref.getCheckpointId();
    }
}
