package io.souper.soup;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * A checkpoint was scored alone. Its arrival order (the tie-break of the sorted policy) is the
 * order in which the soup receives these inputs; the engine numbers them itself so a replay of the
 * same input sequence numbers them identically.
 *
 * @param sha256 nullable
 * @param runId nullable
 * @param test nullable: reported, never used for decisions
 */
public record CheckpointScored(String checkpointId, String uri, String sha256, String runId,
                               Map<String, String> hyperParameters, Accuracy heldOut, Accuracy test)
        implements SoupInput {

    public CheckpointScored {
        Inputs.requireText(checkpointId, "checkpointId");
        Inputs.requireText(uri, "uri of checkpoint " + checkpointId);
        Inputs.requireNonNull(heldOut, "held-out accuracy of checkpoint " + checkpointId);
        // sorted, so that the encoded state is byte-for-byte deterministic
        hyperParameters = hyperParameters == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(hyperParameters));
    }

    Ingredient ingredient() {
        return new Ingredient(checkpointId, uri, sha256);
    }
}
