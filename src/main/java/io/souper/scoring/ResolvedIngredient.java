package io.souper.scoring;

import java.nio.file.Path;

/**
 * An ingredient of a request, checked: its URI resolved inside the store roots and its sha256
 * known (verified against the announced one when there is one).
 */
record ResolvedIngredient(CheckpointRef ref, Path path, String sha256) {

    String checkpointId() {
        return ref.checkpointId();
    }

    CheckpointRef verified() {
        return ref.withSha256(sha256);
    }
}
