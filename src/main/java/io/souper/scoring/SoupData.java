package io.souper.scoring;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What a soup is scored with: its TorchScript architecture, the held-out split that drives its
 * decisions, and the reported-only test split (null if none) and distribution-shift splits by
 * name. The soup id keys the running sum of its ingredients.
 */
public record SoupData(String soupId, String architectureUri, String heldOutUri, String testUri,
                       Map<String, String> shiftUris) {

    public SoupData {
        Objects.requireNonNull(soupId, "soupId");
        Objects.requireNonNull(architectureUri, "architectureUri");
        Objects.requireNonNull(heldOutUri, "heldOutUri");
        // sorted by name, so shifts are always scored and reported in the same order
        shiftUris = shiftUris == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(shiftUris));
    }
}
