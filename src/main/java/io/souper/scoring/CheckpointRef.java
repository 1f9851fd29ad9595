package io.souper.scoring;

import java.util.Map;
import java.util.Objects;

/**
 * A checkpoint to score or to average: its id, where its safetensors file is, the sha256 it is
 * announced with (null: computed, not verified) and the hyper-parameters it was trained with
 * (recorded in the manifests of averages made of it; empty when unknown).
 */
public record CheckpointRef(String checkpointId, String uri, String sha256, Map<String, String> hyperParameters) {

    public CheckpointRef {
        Objects.requireNonNull(checkpointId, "checkpointId");
        Objects.requireNonNull(uri, "uri");
        hyperParameters = hyperParameters == null ? Map.of() : Map.copyOf(hyperParameters);
    }

    /** The same checkpoint with its sha256 as verified or computed. */
    public CheckpointRef withSha256(String verified) {
        return new CheckpointRef(checkpointId, uri, verified, hyperParameters);
    }
}
