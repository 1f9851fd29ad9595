package io.souper.checkpoint.sharded;

import io.souper.checkpoint.ByteSource;
import io.souper.checkpoint.ConcatenatedTensors;
import io.souper.checkpoint.CheckpointErrorCode;
import io.souper.errors.SouperException;
import io.souper.checkpoint.SafetensorsReader;
import io.souper.checkpoint.TensorSpec;
import io.souper.checkpoint.store.BlobStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * One checkpoint as a set of safetensors files: the shards a {@code *.safetensors.index.json}
 * names (when the URI names an index, or a directory holding {@code model.safetensors.index.json}),
 * or a single safetensors file seen as a checkpoint of one shard. Opening checks everything that
 * can be checked without reading tensor bytes: every shard exists (SHARD_MISSING), has a valid
 * header (BAD_HEADER), and holds exactly the tensors the index puts in it, each tensor in exactly
 * one shard (DUPLICATE_TENSOR, SHARD_MISMATCH), and total_size is right (SHARD_MISMATCH). Tensor
 * bytes are read later, through the shard readers, with bounded memory.
 */
public final class ShardedCheckpoint implements AutoCloseable {

    private final String uri;
    private final String indexUri;
    private final ShardIndex index;
    private final Map<String, String> shardUris;
    private final Map<String, SafetensorsReader> readers;
    private final Map<String, TensorSpec> specs;
    private final String indexSha256;

    private ShardedCheckpoint(String uri, String indexUri, String indexSha256, ShardIndex index,
                              Map<String, String> shardUris, Map<String, SafetensorsReader> readers) {
        this.uri = uri;
        this.indexSha256 = indexSha256;
        this.indexUri = indexUri;
        this.index = index;
        this.shardUris = shardUris;
        this.readers = readers;
        this.specs = new TreeMap<>();
        readers.values().forEach(r -> r.tensors().forEach(s -> specs.put(s.name(), s)));
    }

    /** Opens {@code uri}: an index, a directory holding {@value ShardIndex#INDEX_FILE}, or one safetensors file. */
    public static ShardedCheckpoint open(BlobStore store, String uri) {
        if (store.isDirectory(uri)) {
            return openIndex(store, uri, store.resolve(uri.endsWith("/") ? uri : uri + "/", ShardIndex.INDEX_FILE));
        }
        if (ShardIndex.isIndexName(uri)) {
            return openIndex(store, uri, uri);
        }
        SafetensorsReader single = SafetensorsReader.open(store.open(uri));
        String name = uri.substring(uri.lastIndexOf('/') + 1);
        Map<String, String> map = new TreeMap<>();
        single.names().forEach(t -> map.put(t, name));
        return new ShardedCheckpoint(uri, null, null, new ShardIndex(map, OptionalLong.of(single.dataBytes()), Map.of()),
                Map.of(name, uri), Map.of(name, single));
    }

    private static ShardedCheckpoint openIndex(BlobStore store, String uri, String indexUri) {
        byte[] indexBytes = readSmall(store, indexUri);
        ShardIndex index = ShardIndex.parse(indexUri, indexBytes);
        String indexSha256 = io.souper.checkpoint.Sha256.hex(io.souper.checkpoint.Sha256.newDigest().digest(indexBytes));
        Map<String, String> shardUris = new LinkedHashMap<>();
        Map<String, SafetensorsReader> readers = new LinkedHashMap<>();
        try {
            for (String shard : index.shards()) {
                String shardUri = store.resolve(indexUri, shard);
                shardUris.put(shard, shardUri);
                try {
                    readers.put(shard, SafetensorsReader.open(store.open(shardUri)));
                } catch (SouperException e) {
                    if (e.code() == CheckpointErrorCode.FILE_NOT_FOUND) {
                        throw new SouperException(CheckpointErrorCode.SHARD_MISSING, indexUri + " names shard '"
                                + shard + "' (" + index.tensorsIn(shard).size() + " tensors), but " + shardUri
                                + " does not exist", e);
                    }
                    throw e;
                }
            }
            validate(indexUri, index, readers);
            return new ShardedCheckpoint(uri, indexUri, indexSha256, index, shardUris, readers);
        } catch (RuntimeException e) {
            readers.values().forEach(SafetensorsReader::close);
            throw e;
        }
    }

    private static void validate(String indexUri, ShardIndex index, Map<String, SafetensorsReader> readers) {
        Map<String, String> seen = new TreeMap<>();
        long total = 0;
        for (Map.Entry<String, SafetensorsReader> shard : readers.entrySet()) {
            total += shard.getValue().dataBytes();
            for (String tensor : shard.getValue().names()) {
                String other = seen.put(tensor, shard.getKey());
                if (other != null) {
                    throw new SouperException(CheckpointErrorCode.DUPLICATE_TENSOR, indexUri + ": tensor '" + tensor
                            + "' is stored in both '" + other + "' and '" + shard.getKey() + "'");
                }
                String named = index.weightMap().get(tensor);
                if (named == null) {
                    throw new SouperException(CheckpointErrorCode.SHARD_MISMATCH, indexUri + ": shard '"
                            + shard.getKey() + "' holds tensor '" + tensor + "', which the index does not name");
                }
                if (!named.equals(shard.getKey())) {
                    throw new SouperException(CheckpointErrorCode.SHARD_MISMATCH, indexUri + ": the index puts '"
                            + tensor + "' in '" + named + "', but it is stored in '" + shard.getKey() + "'");
                }
            }
        }
        for (Map.Entry<String, String> e : index.weightMap().entrySet()) {
            if (!seen.containsKey(e.getKey())) {
                throw new SouperException(CheckpointErrorCode.SHARD_MISMATCH, indexUri + ": the index puts '"
                        + e.getKey() + "' in '" + e.getValue() + "', which does not hold it");
            }
        }
        if (index.totalSize().isPresent() && index.totalSize().getAsLong() != total) {
            throw new SouperException(CheckpointErrorCode.SHARD_MISMATCH, indexUri + ": metadata.total_size is "
                    + index.totalSize().getAsLong() + " but the shards hold " + total + " bytes of tensors");
        }
    }

    /** Reads a small blob (an index) whole, refusing one larger than {@link ShardIndex#MAX_INDEX_BYTES}. */
    static byte[] readSmall(BlobStore store, String uri) {
        try (ByteSource source = store.open(uri)) {
            long size = source.size();
            if (size > ShardIndex.MAX_INDEX_BYTES) {
                throw ShardIndex.bad(uri, "is " + size + " bytes, more than the " + ShardIndex.MAX_INDEX_BYTES
                        + " an index may have");
            }
            ByteBuffer buffer = ByteBuffer.allocate((int) size);
            while (buffer.hasRemaining()) {
                if (source.read(buffer, buffer.position()) < 0) {
                    throw new IOException("ended after " + buffer.position() + " of " + size + " bytes");
                }
            }
            return buffer.array();
        } catch (IOException e) {
            throw new SouperException(CheckpointErrorCode.IO_ERROR, uri + ": " + e.getMessage(), e);
        }
    }

    /** The URI this checkpoint was opened from. */
    public String uri() {
        return uri;
    }

    public boolean isSharded() {
        return indexUri != null;
    }

    public ShardIndex index() {
        return index;
    }

    /** Every file of the checkpoint by file name (the index too, when sharded), sorted by name. */
    public Map<String, String> fileUris() {
        Map<String, String> files = new TreeMap<>(shardUris);
        if (indexUri != null) {
            files.put(indexUri.substring(indexUri.lastIndexOf('/') + 1), indexUri);
        }
        return files;
    }

    /** Shard file names, sorted. */
    public List<String> shards() {
        return new ArrayList<>(readers.keySet());
    }

    /** All tensors, sorted by name. */
    public List<TensorSpec> tensors() {
        return new ArrayList<>(specs.values());
    }

    /** The tensors of one shard, sorted by name. */
    public List<TensorSpec> tensorsIn(String shard) {
        List<TensorSpec> out = new ArrayList<>(reader(shard).tensors());
        out.sort(Comparator.comparing(TensorSpec::name));
        return out;
    }

    public SafetensorsReader reader(String shard) {
        SafetensorsReader r = readers.get(shard);
        if (r == null) {
            throw new IllegalArgumentException(uri + " has no shard '" + shard + "'");
        }
        return r;
    }

    /** The shard reader holding {@code tensor}. */
    public SafetensorsReader readerOf(String tensor) {
        String shard = index.weightMap().get(tensor);
        if (shard == null) {
            throw new SouperException(CheckpointErrorCode.KEY_MISMATCH, uri + ": no tensor named '" + tensor + "'");
        }
        return readers.get(shard);
    }

    /**
     * All tensors as one safetensors reader (see {@link ConcatenatedTensors}), read from the shards
     * when asked for; it stays usable while this checkpoint is open, and closing it closes nothing.
     */
    public SafetensorsReader asOneReader() {
        return ConcatenatedTensors.open(uri, tensors(), this::readerOf, null);
    }

    /**
     * What identifies this checkpoint's exact bytes without reading the tensors: the index's own
     * sha256 and every shard's {@link io.souper.checkpoint.ByteSource#version()}; empty when a
     * source cannot tell (then the bytes must be hashed).
     */
    public java.util.Optional<String> fingerprint() {
        StringBuilder out = new StringBuilder(uri).append('\n');
        if (indexSha256 != null) {
            out.append("index ").append(indexSha256).append('\n');
        }
        for (Map.Entry<String, SafetensorsReader> shard : readers.entrySet()) {
            String version = shard.getValue().sourceVersion();
            if (version == null) {
                return java.util.Optional.empty();
            }
            out.append(shard.getKey()).append(' ').append(version).append('\n');
        }
        return java.util.Optional.of(out.toString());
    }

    /** Sum of all tensor bytes. */
    public long dataBytes() {
        return readers.values().stream().mapToLong(SafetensorsReader::dataBytes).sum();
    }

    @Override
    public void close() {
        readers.values().forEach(SafetensorsReader::close);
    }

    @Override
    public String toString() {
        return uri;
    }
}
