package io.souper.checkpoint.sharded;

import io.souper.checkpoint.ByteSource;
import io.souper.checkpoint.CheckpointErrorCode;
import io.souper.errors.SouperException;
import io.souper.checkpoint.Sha256;
import io.souper.checkpoint.store.BlobStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.util.TreeMap;

/**
 * The sha256 that names a checkpoint in events and artifacts. A single file: the sha256 of its
 * bytes, as before. A sharded checkpoint: the sha256 of its {@code sha256sum} listing, i.e. of
 * the lines {@code "<sha256>  <file name>\n"} for the index and every shard, sorted by file name,
 * so the hash covers every shard and the index, and a training job can compute it with
 * {@code LC_ALL=C sha256sum model*.safetensors model.safetensors.index.json | sort -k2 | sha256sum}.
 * Files are hashed streaming, in 1 MiB reads.
 */
public final class CheckpointHashes {

    private static final int BUFFER = 1 << 20;

    private CheckpointHashes() {
    }

    /** File name -> sha256 of every file of {@code checkpoint}. */
    public static Map<String, String> fileHashes(BlobStore store, ShardedCheckpoint checkpoint) {
        Map<String, String> out = new TreeMap<>();
        checkpoint.fileUris().forEach((name, uri) -> out.put(name, sha256(store, uri)));
        return out;
    }

    /** The checkpoint's hash given its files' hashes (one file: that file's own hash). */
    public static String combined(boolean sharded, Map<String, String> fileHashes) {
        if (!sharded) {
            return fileHashes.values().iterator().next();
        }
        StringBuilder listing = new StringBuilder();
        new TreeMap<>(fileHashes).forEach((name, sha) -> listing.append(sha).append("  ").append(name).append('\n'));
        return Sha256.hex(Sha256.newDigest().digest(listing.toString().getBytes(StandardCharsets.UTF_8)));
    }

    public static String sha256(BlobStore store, ShardedCheckpoint checkpoint) {
        return combined(checkpoint.isSharded(), fileHashes(store, checkpoint));
    }

    /**
     * HASH_MISMATCH unless {@code checkpoint} hashes to {@code expected}. Shards whose sha256 the
     * index lists are checked first, so a wrong shard is named; otherwise the message lists every
     * file's hash for an operator to compare. Returns the file hashes.
     */
    public static Map<String, String> verify(BlobStore store, ShardedCheckpoint checkpoint, String expected) {
        Map<String, String> files = fileHashes(store, checkpoint);
        check(checkpoint, files, Sha256.normalise(expected));
        return files;
    }

    /**
     * The checkpoint's hash, read once: every shard whose sha256 the index lists is checked
     * (HASH_MISMATCH naming it), and so is {@code expected} when it is not null.
     */
    public static String verifiedSha256(BlobStore store, ShardedCheckpoint checkpoint, String expected) {
        String want = expected == null ? null : Sha256.normalise(expected);
        Map<String, String> files = fileHashes(store, checkpoint);
        return check(checkpoint, files, want);
    }

    private static String check(ShardedCheckpoint checkpoint, Map<String, String> files, String want) {
        for (Map.Entry<String, String> listed : checkpoint.index().shardSha256().entrySet()) {
            String got = files.get(listed.getKey());
            if (!listed.getValue().equalsIgnoreCase(got)) {
                throw new SouperException(CheckpointErrorCode.HASH_MISMATCH, checkpoint.uri() + ": shard '"
                        + listed.getKey() + "' has sha256 " + got + ", the index lists " + listed.getValue());
            }
        }
        String got = combined(checkpoint.isSharded(), files);
        if (want != null && !got.equals(want)) {
            throw new SouperException(CheckpointErrorCode.HASH_MISMATCH, checkpoint.uri() + ": sha256 is " + got
                    + ", but the event announced " + want + (checkpoint.isSharded() ? " (files: " + files + ")" : ""));
        }
        return got;
    }

    /** Streaming sha256 of one blob. */
    public static String sha256(BlobStore store, String uri) {
        MessageDigest digest = Sha256.newDigest();
        ByteBuffer buffer = ByteBuffer.allocate(BUFFER);
        try (ByteSource source = store.open(uri)) {
            long opened = source.size();
            long position = 0;
            while (true) {
                buffer.clear();
                int n = source.read(buffer, position);
                if (n < 0) {
                    break;
                }
                digest.update(buffer.array(), 0, n);
                position += n;
            }
            // A blob that shrank (or grew) while hashed changed underneath us: the world's fault, hashed
            // again on retry, never a HASH_MISMATCH dead letter.
            if (position != opened || source.size() != opened) {
                throw new IOException("read " + position + " bytes of a blob that had " + opened + " when opened and "
                        + source.size() + " now: it changed while being hashed");
            }
        } catch (IOException e) {
            throw new SouperException(CheckpointErrorCode.IO_ERROR, uri + ": hashing failed: " + e.getMessage(), e);
        }
        return Sha256.hex(digest.digest());
    }
}
