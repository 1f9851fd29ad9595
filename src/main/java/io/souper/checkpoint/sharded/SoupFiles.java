package io.souper.checkpoint.sharded;

import java.nio.file.Path;
import java.util.Map;

/**
 * An averaged soup on local disk, before it is published: one safetensors file, or shards plus
 * their index in one directory.
 *
 * @param directory  where the files are
 * @param files      file name -> sha256, sorted by name (the index included)
 * @param sharded    whether the files are shards with an index
 * @param sha256     the soup's hash ({@link CheckpointHashes#combined})
 * @param sizeBytes  all files together
 */
public record SoupFiles(Path directory, Map<String, String> files, boolean sharded, String sha256, long sizeBytes) {

    public SoupFiles {
        files = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(files));
    }
}
