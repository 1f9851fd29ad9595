package io.souper.data;

import io.souper.errors.SouperException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;

/**
 * Loads a labelled split from a URI or path in any format Souper knows (see {@link DatasetUri}
 * for the scheme): IDX pairs and safetensors files or shard directories. Errors are
 * {@link SouperException}s with a stable code and a message naming the file.
 */
public final class DatasetLoader {

    private DatasetLoader() {
    }

    public static LabeledImages load(String uri) {
        try {
            return load(new URI(uri));
        } catch (URISyntaxException e) {
            throw new SouperException(DatasetErrorCode.BAD_URI, "'" + uri + "' is not a URI: " + e.getMessage(), e);
        }
    }

    public static LabeledImages load(URI uri) {
        return load(DatasetUri.parse(uri));
    }

    /** A safetensors file or shard directory. */
    public static LabeledImages load(Path path) {
        return load(DatasetUri.of(path));
    }

    public static LabeledImages load(DatasetUri where) {
        return switch (where.format()) {
            case IDX -> FashionMnist.load(where.path(), where.split(), where.from(), where.to(),
                    where.normalisation() != null ? where.normalisation() : PixelNormalisation.FASHION_MNIST);
            case SAFETENSORS -> slice(DatasetFiles.read(where.path(), where.normalisation()), where);
        };
    }

    /**
     * The split as the scorer takes it: images (IDX, or safetensors {@code inputs} + {@code labels})
     * when {@code spec} names no inputs, else the named tensors and targets of a safetensors file or
     * shard directory ({@link TensorFiles}).
     */
    public static TensorSplit load(DatasetUri where, InputSpec spec) {
        if (spec.images()) {
            return TensorSplit.of(load(where), spec.ignoreIndex());
        }
        if (where.format() != DatasetFormat.SAFETENSORS) {
            throw new SouperException(DatasetErrorCode.BAD_URI, where.uri() + ": inputs " + spec.inputNames()
                    + " are read from safetensors; an " + where.format() + " split holds images only");
        }
        if (where.normalisation() != null) {
            throw new SouperException(DatasetErrorCode.BAD_URI, where.uri() + ": mean/std normalise 8-bit images;"
                    + " named input tensors are passed to the model as they are");
        }
        TensorSplit all = TensorFiles.read(where.path(), spec);
        int to = where.to() < 0 ? all.size() : where.to();
        if (where.from() == 0 && to == all.size()) {
            return all;
        }
        if (to > all.size()) {
            throw new SouperException(DatasetErrorCode.BAD_URI, where.uri() + ": range [" + where.from() + ", " + to
                    + ") is outside the " + all.size() + " examples");
        }
        return all.slice(all.name() + "[" + where.from() + ":" + to + "]", where.from(), to);
    }

    private static LabeledImages slice(LabeledImages all, DatasetUri where) {
        int to = where.to() < 0 ? all.size() : where.to();
        if (where.from() == 0 && to == all.size()) {
            return all;
        }
        if (to > all.size()) {
            throw new SouperException(DatasetErrorCode.BAD_URI, where.uri() + ": range [" + where.from() + ", " + to
                    + ") is outside the " + all.size() + " images");
        }
        return all.slice(all.name() + "[" + where.from() + ":" + to + "]", where.from(), to);
    }
}
