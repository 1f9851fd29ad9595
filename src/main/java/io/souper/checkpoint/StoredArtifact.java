package io.souper.checkpoint;

import java.nio.file.Path;

/**
 * A content-addressed artifact in the store.
 *
 * @param uri      the file:// URI to put in events
 * @param path     where it is on this machine
 * @param sha256   lower-case hex sha256 of its bytes (also its name)
 * @param reused   true when identical bytes were already stored and the new copy was dropped
 */
public record StoredArtifact(String uri, Path path, String sha256, long sizeBytes, boolean reused) {
}
