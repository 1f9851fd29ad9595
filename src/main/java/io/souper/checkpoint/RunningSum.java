package io.souper.checkpoint;

import io.souper.errors.SouperException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The exact sum of a soup's ingredients, kept on disk (not on the heap) as a safetensors
 * file: F64 for float tensors, I64 for integer ones, with the original dtypes and the
 * ingredient ids in its metadata. Trying a candidate then costs one checkpoint read:
 * {@link #averageWith} writes (sum + candidate) / (k + 1), and the result has exactly the
 * bytes of averaging the ingredients followed by the candidate in one pass, because both
 * add in the same order from the same zero (see {@link ChunkedAccumulator}).
 *
 * <p>The uniform soup: the element-wise mean of every tensor (parameters and buffers alike, as
 * the paper's reference code does), accumulated in fp64 and rounded half-to-even to each
 * tensor's own dtype (F32, F64, F16, BF16). Integer tensors (I64, I32, U8, BOOL, e.g.
 * BatchNorm's num_batches_tracked) get floor(sum / n) in exact int64 arithmetic; for BOOL that
 * is "true only if every input is true". The bytes are a function of the ordered list of
 * inputs; callers add a soup's ingredients in the soup's own (join) order.
 *
 * <p>Immutable: {@link #add} writes a new file (atomically, via a temporary sibling) and
 * returns a new RunningSum, so a crash never leaves a half-updated sum behind.
 */
public final class RunningSum {

    static final String FORMAT_KEY = "souper.running_sum";
    static final String INGREDIENTS_KEY = "souper.ingredients";
    static final String DTYPES_KEY = "souper.dtypes";

    /** Metadata written into every average, so averages of the same ingredients match byte for byte. */
    static final Map<String, String> OUTPUT_METADATA = Map.of("format", "pt");

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final List<String> ingredientIds;
    private final List<TensorSpec> logicalSpecs;

    private RunningSum(Path file, List<String> ingredientIds, List<TensorSpec> logicalSpecs) {
        this.file = file;
        this.ingredientIds = List.copyOf(ingredientIds);
        this.logicalSpecs = List.copyOf(logicalSpecs);
    }

    /** The sum of no checkpoints: {@link #averageWith} then returns the candidate itself (re-encoded). */
    public static RunningSum empty() {
        return new RunningSum(null, List.of(), List.of());
    }

    /** Opens a sum file written by {@link #add}; anything else is BAD_HEADER. */
    public static RunningSum open(Path sumFile) {
        try (SafetensorsReader reader = SafetensorsReader.open(sumFile)) {
            Map<String, String> meta = reader.metadata();
            if (!"1".equals(meta.get(FORMAT_KEY)) || !meta.containsKey(INGREDIENTS_KEY) || !meta.containsKey(DTYPES_KEY)) {
                throw bad(sumFile, "is not a Souper running-sum file (metadata " + FORMAT_KEY + "=1, "
                        + INGREDIENTS_KEY + " and " + DTYPES_KEY + " required)");
            }
            List<String> ids;
            Map<String, String> dtypes;
            try {
                ids = JSON.readValue(meta.get(INGREDIENTS_KEY), new TypeReference<List<String>>() { });
                dtypes = JSON.readValue(meta.get(DTYPES_KEY), new TypeReference<Map<String, String>>() { });
            } catch (JsonProcessingException e) {
                throw bad(sumFile, "has unreadable running-sum metadata: " + e.getOriginalMessage());
            }
            if (ids.isEmpty()) {
                throw bad(sumFile, "names no ingredients");
            }
            List<TensorSpec> logical = new ArrayList<>();
            for (TensorSpec stored : reader.tensors()) {
                String dtypeName = dtypes.get(stored.name());
                DType dtype;
                try {
                    dtype = DType.valueOf(String.valueOf(dtypeName));
                } catch (IllegalArgumentException e) {
                    throw bad(sumFile, "has no valid original dtype for tensor '" + stored.name() + "'");
                }
                if (ChunkedAccumulator.sumDtype(dtype) != stored.dtype()) {
                    throw bad(sumFile, "stores tensor '" + stored.name() + "' as " + stored.dtype()
                            + ", but a sum of " + dtype + " is kept as " + ChunkedAccumulator.sumDtype(dtype));
                }
                logical.add(stored.withDtype(dtype));
            }
            if (dtypes.size() != logical.size()) {
                throw bad(sumFile, "lists dtypes for " + dtypes.size() + " tensors but holds " + logical.size());
            }
            return new RunningSum(sumFile, ids, logical);
        }
    }

    public int count() {
        return ingredientIds.size();
    }

    /** Ingredient ids in the order they were added (the order of summation). */
    public List<String> ingredientIds() {
        return ingredientIds;
    }

    /** The sum file; empty for {@link #empty()}. */
    public Optional<Path> file() {
        return Optional.ofNullable(file);
    }

    /** Tensors of the soup, with the ingredients' own dtypes; empty for {@link #empty()}. */
    public List<TensorSpec> tensors() {
        return logicalSpecs;
    }

    /**
     * Writes this sum plus {@code checkpoint} to {@code newSumFile} (replacing it atomically)
     * and returns it. This sum and its file are left untouched.
     */
    public RunningSum add(String ingredientId, Path checkpoint, Path newSumFile) {
        try (SafetensorsReader candidate = SafetensorsReader.open(checkpoint)) {
            return add(ingredientId, candidate, newSumFile);
        }
    }

    /** {@link #add(String, Path, Path)} for a checkpoint behind any reader (object store, shards); the caller closes it. */
    public RunningSum add(String ingredientId, SafetensorsReader candidate, Path newSumFile) {
        List<String> ids = new ArrayList<>(ingredientIds);
        ids.add(ingredientId);
        Path temp = newSumFile.resolveSibling(newSumFile.getFileName() + ".tmp");
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(temp), 1 << 16)) {
            List<TensorSpec> logical = operandsFor(candidate);
            List<TensorSpec> stored = logical.stream().map(s -> s.withDtype(ChunkedAccumulator.sumDtype(s.dtype()))).toList();
            SafetensorsWriter writer = SafetensorsWriter.open(out, stored, metadata(ids, logical));
            withOperands(candidate, operands -> accumulator().sum(operands, logical, writer));
            writer.finish();
            out.close();
            Files.move(temp, newSumFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return new RunningSum(newSumFile, ids, logical);
        } catch (IOException e) {
            throw CheckpointErrorCode.io(newSumFile, e);
        } finally {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException ignored) {
                // the real failure, if any, is already propagating
            }
        }
    }

    /** Writes the average of the soup's ingredients and {@code candidate}, reading only {@code candidate} and the sum. */
    public void averageWith(Path candidate, OutputStream out) {
        try (SafetensorsReader reader = SafetensorsReader.open(candidate)) {
            averageWith(reader, out);
        }
    }

    /** {@link #averageWith(Path, OutputStream)} for a checkpoint behind any reader; the caller closes it. */
    public void averageWith(SafetensorsReader candidate, OutputStream out) {
        List<TensorSpec> logical = operandsFor(candidate);
        SafetensorsWriter writer = SafetensorsWriter.open(out, logical, OUTPUT_METADATA);
        withOperands(candidate, operands -> accumulator().mean(operands, logical, count() + 1L, writer));
        writer.finish();
    }

    /** Writes the soup itself: the average of the ingredients added so far. */
    public void average(OutputStream out) {
        if (file == null) {
            throw new IllegalStateException("the empty running sum has no average");
        }
        try (SafetensorsReader sum = SafetensorsReader.open(file)) {
            SafetensorsWriter writer = SafetensorsWriter.open(out, logicalSpecs, OUTPUT_METADATA);
            accumulator().mean(List.of(sum), logicalSpecs, count(), writer);
            writer.finish();
        }
    }

    /**
     * The candidate must match the soup; the logical specs are the candidate's, in its order, with
     * each dtype promoted with the soup's (an f16 checkpoint joining an f32 soup keeps it f32).
     */
    private List<TensorSpec> operandsFor(SafetensorsReader candidate) {
        if (file == null) {
            return candidate.tensors();
        }
        StateDicts.requireCompatible(file, logicalSpecs, candidate.file(), candidate.tensors());
        return StateDicts.promoted(candidate.tensors(), logicalSpecs);
    }

    private static ChunkedAccumulator accumulator() {
        return new ChunkedAccumulator(ChunkedAccumulator.DEFAULT_CHUNK_ELEMENTS);
    }

    private interface OperandsAction {
        void run(List<SafetensorsReader> operands);
    }

    /** Runs {@code action} on [sum file (if any), candidate]: the sum first, as in a from-scratch sum. */
    private void withOperands(SafetensorsReader candidate, OperandsAction action) {
        if (file == null) {
            action.run(List.of(candidate));
            return;
        }
        try (SafetensorsReader sum = SafetensorsReader.open(file)) {
            action.run(List.of(sum, candidate));
        }
    }

    private static Map<String, String> metadata(List<String> ids, List<TensorSpec> logical) {
        Map<String, String> dtypes = new TreeMap<>();
        logical.forEach(s -> dtypes.put(s.name(), s.dtype().name()));
        Map<String, String> meta = new HashMap<>();
        try {
            meta.put(FORMAT_KEY, "1");
            meta.put(INGREDIENTS_KEY, JSON.writeValueAsString(ids));
            meta.put(DTYPES_KEY, JSON.writeValueAsString(dtypes));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        return meta;
    }

    private static SouperException bad(Path file, String what) {
        return new SouperException(CheckpointErrorCode.BAD_HEADER, file + " " + what);
    }
}
