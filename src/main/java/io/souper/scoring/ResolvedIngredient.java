package io.souper.scoring;

import io.souper.checkpoint.SafetensorsReader;
import io.souper.checkpoint.sharded.ShardedCheckpoint;

/**
 * An ingredient of a request, checked: its URI inside the stores, opened (a single file or every
 * shard of an index, headers validated) and its sha256 known (verified against the announced one
 * when there is one). Open until the request is done.
 */
record ResolvedIngredient(CheckpointRef ref, ShardedCheckpoint checkpoint, String sha256) implements AutoCloseable {

    String checkpointId() {
        return ref.checkpointId();
    }

    CheckpointRef verified() {
        return ref.withSha256(sha256);
    }

    /** All its tensors as one reader (shards read when asked for); closing it leaves the checkpoint open. */
    SafetensorsReader reader() {
        return checkpoint.asOneReader();
    }

    @Override
    public void close() {
        checkpoint.close();
    }
}
