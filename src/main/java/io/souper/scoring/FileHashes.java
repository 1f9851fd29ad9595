package io.souper.scoring;

import io.souper.checkpoint.CheckpointErrorCode;
import io.souper.checkpoint.Sha256;
import io.souper.checkpoint.sharded.CheckpointHashes;
import io.souper.checkpoint.sharded.ShardedCheckpoint;
import io.souper.checkpoint.store.BlobStore;
import io.souper.errors.SouperException;
import java.util.Optional;

/**
 * Remembers the sha256 of checkpoints it has hashed (a single file, or the composite hash of a
 * sharded checkpoint, see {@link CheckpointHashes}), keyed by what identifies their bytes without
 * reading them ({@link ShardedCheckpoint#fingerprint()}: a file's real path, size and modification
 * time, an object's ETag and size, the index's own hash), so verifying a checkpoint that was
 * already verified (when it was scored alone, or for an earlier candidate) costs a stat or a
 * HEAD instead of reading every byte again. Rewritten bytes have a new key and are hashed again.
 * Not thread-safe.
 */
final class FileHashes {

    private final BoundedLru<String, String> memo;

    FileHashes(int capacity) {
        this.memo = new BoundedLru<>(capacity, (k, v) -> { });
    }

    /**
     * The checkpoint's sha256, from memory when its bytes have not changed; HASH_MISMATCH (naming
     * both hashes) unless it equals {@code expected}, when that is not null, and unless every shard
     * hashes to what the index lists.
     */
    String sha256(BlobStore store, ShardedCheckpoint checkpoint, String expected) {
        Optional<String> key = checkpoint.fingerprint();
        String sha = key.flatMap(memo::get).orElse(null);
        if (sha == null) {
            sha = CheckpointHashes.verifiedSha256(store, checkpoint, null);
            String computed = sha;
            key.ifPresent(k -> memo.put(k, computed));
        }
        if (expected != null) {
            String want = Sha256.normalise(expected);
            if (!sha.equals(want)) {
                throw new SouperException(CheckpointErrorCode.HASH_MISMATCH, checkpoint.uri() + ": sha256 is " + sha
                        + ", but the event announced " + want);
            }
        }
        return sha;
    }
}
