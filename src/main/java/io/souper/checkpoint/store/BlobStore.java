package io.souper.checkpoint.store;

import io.souper.errors.SouperException;
import io.souper.checkpoint.ByteSource;
import java.nio.file.Path;

/**
 * Where checkpoint files live, seen as named blobs with ranged reads: {@code file:} URIs under
 * configured roots ({@link io.souper.checkpoint.FileBlobStore}) or {@code s3:} URIs under an
 * allow-list of bucket/prefix pairs ({@link io.souper.checkpoint.s3.S3CheckpointStore}). URIs
 * come from events and are untrusted: every method refuses what lies outside the store
 * (BAD_URI, URI_OUTSIDE_ROOTS) with a {@link io.souper.checkpoint.SouperException}.
 */
public interface BlobStore extends AutoCloseable {

    /** The URI scheme this store serves ("file", "s3"). */
    String scheme();

    /** Opens the blob for positional reads (FILE_NOT_FOUND if there is none); the caller closes it. */
    ByteSource open(String uri);

    /** Whether a blob exists at {@code uri} (which must be inside the store). */
    boolean exists(String uri);

    /**
     * Whether {@code uri} names a directory: an existing directory for files, a URI ending in
     * '/' for object stores (which have prefixes, not directories).
     */
    boolean isDirectory(String uri);

    /**
     * The URI of {@code fileName} inside the directory {@code uri} names (a URI ending in '/', or
     * an existing local directory), or else next to the blob it names. {@code fileName} must be a plain file name (no '/', not '.' or '..'): BAD_URI
     * otherwise; the result must itself be inside the store.
     */
    String resolve(String uri, String fileName);

    /** Stores the local file's bytes at {@code uri}, replacing nothing a reader could see half-written. */
    void put(String uri, Path localFile);

    @Override
    void close();

    /** A plain file name: what an index may name as a shard, and what {@link #resolve} accepts. */
    static boolean isPlainFileName(String name) {
        return name != null && !name.isEmpty() && name.length() <= 255 && !name.equals(".") && !name.equals("..")
                && name.chars().allMatch(c -> (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_');
    }
}
