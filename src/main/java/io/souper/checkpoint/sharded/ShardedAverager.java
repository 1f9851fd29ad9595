package io.souper.checkpoint.sharded;

import io.souper.checkpoint.CheckpointErrorCode;
import io.souper.errors.SouperException;
import io.souper.checkpoint.SafetensorsReader;
import io.souper.checkpoint.SafetensorsWriter;
import io.souper.checkpoint.Sha256;
import io.souper.checkpoint.StreamingMean;
import io.souper.checkpoint.TensorSpec;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * The uniform soup of checkpoints that may be sharded, shard by shard. All ingredients must
 * have the same tensors with the same dtypes and shapes (KEY_/DTYPE_/SHAPE_MISMATCH, naming the
 * ingredient); their shard layouts may differ, since each tensor is read from whichever shard
 * holds it. The soup takes the first ingredient's layout: the same shard file names holding the
 * same tensors, and its own index (total_size, weight_map, and every shard's sha256), so
 * {@code from_pretrained} loads it like the ingredients. A single-file first ingredient gives a
 * single-file soup. Tensors are averaged with {@link StreamingMean} (fp64 sums in ingredient
 * order, rounded as PyTorch rounds), a chunk at a time, so memory does not grow with the model.
 */
public final class ShardedAverager {

    /** File name of a single-file soup. */
    public static final String SINGLE_FILE = "model.safetensors";

    private final StreamingMean mean = new StreamingMean();

    public SoupFiles average(List<ShardedCheckpoint> ingredients, Path directory) {
        if (ingredients.isEmpty()) {
            throw new IllegalArgumentException("cannot average zero checkpoints");
        }
        ShardedCheckpoint layout = ingredients.get(0);
        List<TensorSpec> soupSpecs = layout.tensors();
        for (ShardedCheckpoint other : ingredients.subList(1, ingredients.size())) {
            StreamingMean.requireCompatible(layout.uri(), layout.tensors(), other.uri(), other.tensors());
            soupSpecs = StreamingMean.promoted(soupSpecs, other.tensors());
        }
        // the soup's dtype per tensor: mixed float dtypes are written in the promoted one
        Map<String, TensorSpec> written = new TreeMap<>();
        soupSpecs.forEach(s -> written.put(s.name(), s));
        try {
            Files.createDirectories(directory);
            Map<String, String> hashes = new TreeMap<>();
            long size = 0;
            if (!layout.isSharded()) {
                Path file = directory.resolve(SINGLE_FILE);
                hashes.put(SINGLE_FILE, writeShard(ingredients, soupSpecs, file));
                size = Files.size(file);
                return new SoupFiles(directory, hashes, false, hashes.get(SINGLE_FILE), size);
            }
            Map<String, String> weightMap = new TreeMap<>();
            long tensorBytes = 0;
            for (String shard : layout.shards()) {
                List<TensorSpec> specs = layout.tensorsIn(shard).stream().map(s -> written.get(s.name())).toList();
                Path file = directory.resolve(shard);
                hashes.put(shard, writeShard(ingredients, specs, file));
                size += Files.size(file);
                for (TensorSpec spec : specs) {
                    weightMap.put(spec.name(), shard);
                    tensorBytes += spec.byteSize();
                }
            }
            ShardIndex index = new ShardIndex(weightMap, OptionalLong.of(tensorBytes), hashes);
            byte[] json = index.toJson();
            Files.write(directory.resolve(ShardIndex.INDEX_FILE), json);
            hashes.put(ShardIndex.INDEX_FILE, Sha256.hex(Sha256.newDigest().digest(json)));
            size += json.length;
            return new SoupFiles(directory, hashes, true, CheckpointHashes.combined(true, hashes), size);
        } catch (IOException e) {
            throw new SouperException(CheckpointErrorCode.IO_ERROR, "writing the soup to " + directory + ": " + e, e);
        }
    }

    /** Writes the mean of {@code specs} to {@code file} and returns its sha256. */
    private String writeShard(List<ShardedCheckpoint> ingredients, List<TensorSpec> specs, Path file) throws IOException {
        MessageDigest digest = Sha256.newDigest();
        try (OutputStream out = new DigestOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 20),
                digest)) {
            SafetensorsWriter writer = SafetensorsWriter.open(out, specs, StreamingMean.outputMetadata());
            for (TensorSpec spec : writer.order()) {
                List<SafetensorsReader> operands = new ArrayList<>(ingredients.size());
                for (ShardedCheckpoint ingredient : ingredients) {
                    operands.add(ingredient.readerOf(spec.name()));
                }
                mean.mean(operands, List.of(spec), ingredients.size(), writer);
            }
            writer.finish();
        }
        return Sha256.hex(digest.digest());
    }
}
