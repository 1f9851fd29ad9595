package io.souper.checkpoint;

import io.souper.errors.SouperException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Checks that two state dicts can be averaged: same names, and per name the same shape and either
 * the same dtype or two float dtypes (the soup is then written in the promoted one, {@link
 * DType#promotedWith}), so an fp16 or bf16 checkpoint can join an f32 soup instead of freezing it.
 */
final class StateDicts {

    private static final int NAMES_SHOWN = 5;

    private StateDicts() {
    }

    static void requireCompatible(Path referenceFile, List<TensorSpec> reference, Path otherFile, List<TensorSpec> other) {
        Map<String, TensorSpec> mine = byName(reference);
        Map<String, TensorSpec> theirs = byName(other);
        TreeSet<String> missing = new TreeSet<>(mine.keySet());
        missing.removeAll(theirs.keySet());
        TreeSet<String> extra = new TreeSet<>(theirs.keySet());
        extra.removeAll(mine.keySet());
        if (!missing.isEmpty() || !extra.isEmpty()) {
            throw new SouperException(CheckpointErrorCode.KEY_MISMATCH, otherFile + " does not have the tensors of "
                    + referenceFile + ": missing " + show(missing) + ", unexpected " + show(extra));
        }
        for (TensorSpec spec : mine.values()) {
            TensorSpec that = theirs.get(spec.name());
            if (spec.dtype().promotedWith(that.dtype()).isEmpty()) {
                throw new SouperException(CheckpointErrorCode.DTYPE_MISMATCH, "tensor '" + spec.name() + "' is "
                        + that.dtype() + " in " + otherFile + " but " + spec.dtype() + " in " + referenceFile);
            }
            if (!spec.sameShape(that)) {
                throw new SouperException(CheckpointErrorCode.SHAPE_MISMATCH, "tensor '" + spec.name()
                        + "' has shape " + Arrays.toString(that.shape()) + " in " + otherFile + " but "
                        + Arrays.toString(spec.shape()) + " in " + referenceFile);
            }
        }
    }

    /**
     * {@code specs} (in their order) with each dtype promoted with the same tensor's dtype in
     * {@code other}; both must be {@link #requireCompatible compatible}.
     */
    static List<TensorSpec> promoted(List<TensorSpec> specs, List<TensorSpec> other) {
        Map<String, TensorSpec> theirs = byName(other);
        return specs.stream().map(s -> s.withDtype(s.dtype().promotedWith(theirs.get(s.name()).dtype()).orElseThrow()))
                .toList();
    }

    private static Map<String, TensorSpec> byName(List<TensorSpec> specs) {
        Map<String, TensorSpec> map = new TreeMap<>();
        specs.forEach(s -> map.put(s.name(), s));
        return map;
    }

    private static String show(TreeSet<String> names) {
        if (names.isEmpty()) {
            return "none";
        }
        String shown = names.stream().limit(NAMES_SHOWN).map(n -> "'" + n + "'").collect(Collectors.joining(", "));
        return names.size() > NAMES_SHOWN ? shown + " and " + (names.size() - NAMES_SHOWN) + " more" : shown;
    }
}
