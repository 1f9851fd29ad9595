package io.souper.checkpoint;

import io.souper.errors.SouperException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where checkpoints and averaged artifacts live. URIs from events are untrusted: every
 * method refuses URIs outside the store (BAD_URI, URI_OUTSIDE_ROOTS). Errors are
 * {@link SouperException}s with a stable {@link CheckpointErrorCode}.
 * Implementations: {@link FileCheckpointStore} (file:// under configured roots);
 * an object store would return cached local copies from {@link #resolve}.
 */
public interface CheckpointStore {

    /** Produces an artifact's bytes; the stream is the store's (do not close it). */
    @FunctionalInterface
    interface ArtifactContent {
        void writeTo(OutputStream out) throws IOException;
    }

    /** A local, readable regular file holding the checkpoint behind {@code uri}. */
    Path resolve(String uri);

    /** Opens the checkpoint behind {@code uri} for reading; the caller closes the stream. */
    InputStream openRead(String uri);

    /** Streaming sha256 (lower-case hex) of the checkpoint behind {@code uri}. */
    String sha256(String uri);

    /** HASH_MISMATCH unless the checkpoint behind {@code uri} hashes to {@code expectedSha256}. */
    void verifySha256(String uri, String expectedSha256);

    /**
     * Stores the bytes {@code content} writes under their sha256, with {@code manifest} beside
     * them. Identical bytes are stored once: a second write keeps the first file, and keeps
     * the first manifest (use {@link #updateManifest} to add scores later). If
     * {@code content} fails, nothing is stored.
     */
    StoredArtifact writeArtifact(ArtifactContent content, ArtifactManifest manifest);

    /** The stored artifact with this sha256, if any. */
    Optional<StoredArtifact> findArtifact(String sha256);

    /** The manifest of a stored artifact, if it has one. */
    Optional<ArtifactManifest> readManifest(String sha256);

    /** Replaces the manifest of a stored artifact (FILE_NOT_FOUND if there is no such artifact). */
    void updateManifest(String sha256, ArtifactManifest manifest);
}
