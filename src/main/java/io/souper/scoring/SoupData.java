package io.souper.scoring;

import io.souper.data.InputSpec;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What a soup is scored with: its TorchScript architecture, the held-out split that drives its
 * decisions, and the reported-only test split (null if none) and distribution-shift splits by
 * name, all read as {@code inputs} says (which tensors go to {@code forward}, which target is
 * padding). The soup id keys the running sum of its ingredients.
 */
public record SoupData(String soupId, String architectureUri, String heldOutUri, String testUri,
                       Map<String, String> shiftUris, InputSpec inputs) {

    /** An image soup: each split's one {@code inputs} tensor, every label scored. */
    public SoupData(String soupId, String architectureUri, String heldOutUri, String testUri,
                    Map<String, String> shiftUris) {
        this(soupId, architectureUri, heldOutUri, testUri, shiftUris, InputSpec.IMAGES);
    }

    public SoupData {
        Objects.requireNonNull(soupId, "soupId");
        Objects.requireNonNull(architectureUri, "architectureUri");
        Objects.requireNonNull(heldOutUri, "heldOutUri");
        inputs = inputs == null ? InputSpec.IMAGES : inputs;
        // sorted by name, so shifts are always scored and reported in the same order
        shiftUris = shiftUris == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(shiftUris));
    }
}
