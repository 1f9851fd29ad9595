package io.souper.scoring;

import io.souper.checkpoint.CheckpointErrorCode;
import io.souper.errors.SouperException;
import io.souper.data.DatasetErrorCode;
import io.souper.data.DatasetLoader;
import io.souper.data.DatasetUri;
import io.souper.data.InputSpec;
import io.souper.data.TensorSplit;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Data splits (held-out, test, shifts) kept in memory between requests, least recently used
 * first out. A split's URI comes from a SoupDefinition, an event like any other, so its path
 * (and, through symlinks, its real path) must lie inside the store roots, as checkpoints must;
 * a root itself may be a data directory (e.g. {@code /usr/share/datasets/fashion-mnist}).
 * Not thread-safe.
 */
final class SplitCache {

    private final List<Path> roots;
    private final List<Path> realRoots;
    /** By URI and input spec: two soups may read one file with different inputs. */
    private final BoundedLru<String, TensorSplit> splits;

    SplitCache(List<Path> roots, int capacity) {
        this.roots = roots.stream().map(p -> p.toAbsolutePath().normalize()).toList();
        this.realRoots = new ArrayList<>();
        for (Path root : this.roots) {
            try {
                realRoots.add(root.toRealPath());
            } catch (IOException e) {
                throw new IllegalArgumentException("store root " + root + " cannot be resolved: " + e, e);
            }
        }
        this.splits = new BoundedLru<>(capacity, (k, v) -> { });
    }

    /** The split behind {@code uri}, read as {@code spec} says, loaded now or earlier. */
    TensorSplit get(String uri, InputSpec spec) {
        String key = uri + '\u0000' + spec.inputNames() + '\u0000' + spec.ignoreIndex();
        return splits.get(key).orElseGet(() -> {
            TensorSplit loaded = DatasetLoader.load(checked(uri), spec);
            splits.put(key, loaded);
            return loaded;
        });
    }

    private DatasetUri checked(String uri) {
        URI parsed;
        try {
            parsed = new URI(uri);
        } catch (URISyntaxException e) {
            throw new SouperException(DatasetErrorCode.BAD_URI, "'" + uri + "' is not a URI: " + e.getMessage(), e);
        }
        if (parsed.getScheme() != null && parsed.getScheme().equalsIgnoreCase("file") && parsed.getPath() != null
                && parsed.getPath().startsWith("/")) {
            // Refuse before DatasetUri looks at the file system: an outside path is never even probed.
            requireInside(Path.of(parsed.getPath()).normalize(), roots, uri, Path.of(parsed.getPath()).normalize());
        }
        DatasetUri where = DatasetUri.parse(parsed);
        Path real;
        try {
            real = where.path().toRealPath();
        } catch (NoSuchFileException e) {
            throw new SouperException(DatasetErrorCode.FILE_NOT_FOUND, where.path() + ": no such file or directory", e);
        } catch (IOException e) {
            throw new SouperException(DatasetErrorCode.IO_ERROR, where.path() + ": " + e, e);
        }
        requireInside(real, realRoots, uri, real);
        return where;
    }

    private void requireInside(Path path, List<Path> allowed, String uri, Path shown) {
        for (Path root : allowed) {
            if (path.startsWith(root)) {
                return;
            }
        }
        throw new SouperException(CheckpointErrorCode.URI_OUTSIDE_ROOTS, "data split " + uri + ": " + shown
                + " is outside the store roots " + roots + " (add its directory with --store-root)");
    }
}
