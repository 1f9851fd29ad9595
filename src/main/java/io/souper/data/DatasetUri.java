package io.souper.data;

import io.souper.errors.SouperException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Where a data split lives and which part of it to use, parsed from a URI:
 * <pre>
 *   file:///usr/share/datasets/fashion-mnist?split=t10k            IDX pair t10k-images-idx3-ubyte[.gz] + labels
 *   file:///usr/share/datasets/fashion-mnist?split=train&amp;from=55000&amp;to=60000
 *   file:///data/heldout.safetensors                                one safetensors file
 *   file:///data/heldout                                            a directory of *.safetensors shards
 * </pre>
 * Query parameters (anything else is an error, so typos do not pass silently):
 * <ul>
 *   <li>{@code format=idx|safetensors}: optional; without it a {@code split} means IDX, a file
 *       or a directory of {@code *.safetensors} means safetensors;</li>
 *   <li>{@code split=train|t10k|test}: IDX only, required there;</li>
 *   <li>{@code from}, {@code to}: use images [from, to) (defaults 0 and the end);</li>
 *   <li>{@code mean}, {@code std}: normalisation of 8-bit pixels, one value or one per channel
 *       separated by commas (IDX default: Fashion-MNIST's 0.2860 / 0.3530; safetensors: the
 *       file's metadata first).</li>
 * </ul>
 * Only {@code file:} URIs with an absolute path are accepted. {@link #path()} is exposed so a
 * caller can check it against allowed roots before loading.
 */
public record DatasetUri(URI uri, Path path, DatasetFormat format, String split, int from, int to,
                         PixelNormalisation normalisation) {

    private static final Set<String> PARAMETERS = Set.of("format", "split", "from", "to", "mean", "std");

    /** Parses and resolves the format (which may look at the file system). */
    public static DatasetUri parse(URI uri) {
        if (!"file".equalsIgnoreCase(uri.getScheme())) {
            throw bad(uri, "only file: URIs are supported");
        }
        if (uri.getAuthority() != null && !uri.getAuthority().isEmpty()) {
            throw bad(uri, "a file: URI must not name a host");
        }
        if (uri.getFragment() != null) {
            throw bad(uri, "fragments are not allowed");
        }
        String rawPath = uri.getPath();
        if (rawPath == null || !rawPath.startsWith("/")) {
            throw bad(uri, "the path must be absolute");
        }
        Map<String, String> query = query(uri);
        return resolve(uri, Path.of(rawPath), query);
    }

    /** A path without query parameters: a safetensors file or shard directory. */
    public static DatasetUri of(Path path) {
        Path absolute = path.toAbsolutePath().normalize();
        return resolve(absolute.toUri(), absolute, Map.of());
    }

    private static DatasetUri resolve(URI uri, Path path, Map<String, String> query) {
        for (String key : query.keySet()) {
            if (!PARAMETERS.contains(key)) {
                throw bad(uri, "unknown parameter '" + key + "' (known: " + PARAMETERS + ")");
            }
        }
        DatasetFormat format = format(uri, path, query);
        String split = query.get("split");
        if (format == DatasetFormat.IDX) {
            if (split == null) {
                throw bad(uri, "an IDX dataset needs split=train or split=t10k");
            }
            split = FashionMnist.canonicalSplit(split);
        } else if (split != null) {
            throw bad(uri, "split applies to IDX datasets only");
        }
        int from = integer(uri, query, "from", 0);
        int to = integer(uri, query, "to", -1);
        if (from < 0 || (to >= 0 && to < from)) {
            throw bad(uri, "bad range from=" + from + " to=" + to);
        }
        PixelNormalisation normalisation = null;
        if (query.containsKey("mean") || query.containsKey("std")) {
            if (!query.containsKey("mean") || !query.containsKey("std")) {
                throw bad(uri, "give both mean and std");
            }
            try {
                normalisation = new PixelNormalisation(DatasetFiles.floats(query.get("mean")),
                        DatasetFiles.floats(query.get("std")));
            } catch (IllegalArgumentException e) {
                throw bad(uri, e.getMessage());
            }
        }
        return new DatasetUri(uri, path, format, split, from, to, normalisation);
    }

    private static DatasetFormat format(URI uri, Path path, Map<String, String> query) {
        String explicit = query.get("format");
        if (explicit != null) {
            return switch (explicit.toLowerCase(Locale.ROOT)) {
                case "idx" -> DatasetFormat.IDX;
                case "safetensors" -> DatasetFormat.SAFETENSORS;
                default -> throw bad(uri, "unknown format '" + explicit + "' (idx or safetensors)");
            };
        }
        if (query.containsKey("split")) {
            return DatasetFormat.IDX;
        }
        if (Files.isRegularFile(path)) {
            return DatasetFormat.SAFETENSORS;
        }
        if (Files.isDirectory(path)) {
            if (containsShards(path)) {
                return DatasetFormat.SAFETENSORS;
            }
            throw bad(uri, "directory without *.safetensors shards; for IDX files add ?split=train or ?split=t10k");
        }
        throw new SouperException(DatasetErrorCode.FILE_NOT_FOUND, path + ": no such file or directory (" + uri + ")");
    }

    private static boolean containsShards(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.anyMatch(p -> p.getFileName().toString().endsWith(DatasetFiles.EXTENSION));
        } catch (java.io.IOException e) {
            throw DatasetErrorCode.io(dir, e);
        }
    }

    private static Map<String, String> query(URI uri) {
        Map<String, String> out = new LinkedHashMap<>();
        String raw = uri.getRawQuery();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw bad(uri, "query part '" + pair + "' is not key=value");
            }
            String key = URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            if (out.put(key, value) != null) {
                throw bad(uri, "parameter '" + key + "' given twice");
            }
        }
        return out;
    }

    private static int integer(URI uri, Map<String, String> query, String key, int fallback) {
        String v = query.get(key);
        if (v == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw bad(uri, key + "='" + v + "' is not an integer");
        }
    }

    private static SouperException bad(URI uri, String what) {
        return new SouperException(DatasetErrorCode.BAD_URI, uri + ": " + what);
    }
}
