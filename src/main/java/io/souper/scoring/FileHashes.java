package io.souper.scoring;

import io.souper.checkpoint.CheckpointErrorCode;
import io.souper.errors.SouperException;
import io.souper.checkpoint.Sha256;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Remembers the sha256 of files it has hashed, keyed by real path, size and modification time,
 * so verifying the hash of a checkpoint that was already verified (when it was scored alone, or
 * for an earlier candidate) costs a stat instead of reading the file again. A rewritten file has
 * a new key and is hashed again. Not thread-safe.
 */
final class FileHashes {

    private record Key(Path realPath, long size, long modifiedNanos) {
    }

    private final BoundedLru<Key, String> memo;

    FileHashes(int capacity) {
        this.memo = new BoundedLru<>(capacity, (k, v) -> { });
    }

    /** Lower-case hex sha256 of {@code file}, from memory when the file has not changed. */
    String sha256(Path file) {
        Key key = key(file);
        return memo.get(key).orElseGet(() -> {
            String sha = Sha256.of(key.realPath());
            memo.put(key, sha);
            return sha;
        });
    }

    /** HASH_MISMATCH (naming both hashes) unless {@code file} hashes to {@code expected}; returns the hash. */
    String verify(Path file, String expected) {
        String want = Sha256.normalise(expected);
        String got = sha256(file);
        if (!got.equals(want)) {
            throw new SouperException(CheckpointErrorCode.HASH_MISMATCH,
                    file + ": sha256 is " + got + ", but the event announced " + want);
        }
        return got;
    }

    private static Key key(Path file) {
        try {
            Path real = file.toRealPath();
            BasicFileAttributes attrs = Files.readAttributes(real, BasicFileAttributes.class);
            return new Key(real, attrs.size(), attrs.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS));
        } catch (NoSuchFileException e) {
            throw new SouperException(CheckpointErrorCode.FILE_NOT_FOUND, file + ": no such file", e);
        } catch (IOException e) {
            throw new SouperException(CheckpointErrorCode.IO_ERROR, file + ": " + e, e);
        }
    }
}
