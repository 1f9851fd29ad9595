package io.souper.checkpoint;

import io.souper.errors.SouperException;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Turns untrusted {@code file:} URIs into paths, and only paths inside the configured roots.
 * Refused: other schemes, hosts, queries, fragments, relative or non-normalised paths
 * ('.', '..', '//' or a trailing '/', also when percent-encoded), paths outside the roots,
 * and symlinks whose target leaves the roots. Roots are compared component-wise, so
 * /data/ckpt-evil is not inside the root /data/ckpt.
 */
final class FileUriResolver {

    private final List<Path> roots;
    private final List<Path> realRoots;

    FileUriResolver(List<Path> configuredRoots) {
        if (configuredRoots.isEmpty()) {
            throw new IllegalArgumentException("a file checkpoint store needs at least one root directory");
        }
        this.roots = new ArrayList<>();
        this.realRoots = new ArrayList<>();
        for (Path root : configuredRoots) {
            Path absolute = root.toAbsolutePath().normalize();
            if (!Files.isDirectory(absolute)) {
                throw new IllegalArgumentException("checkpoint root " + absolute + " is not an existing directory");
            }
            try {
                realRoots.add(absolute.toRealPath());
            } catch (IOException e) {
                throw new IllegalArgumentException("checkpoint root " + absolute + " cannot be resolved: " + e, e);
            }
            roots.add(absolute);
        }
    }

    List<Path> roots() {
        return List.copyOf(roots);
    }

    /** The real path of the existing regular file {@code uri} names, inside the roots. */
    Path resolveExisting(String uri) {
        Path path = lexicalPath(uri);
        Path real;
        try {
            real = path.toRealPath();
        } catch (NoSuchFileException | NotDirectoryException | AccessDeniedException e) {
            throw absent(uri, path, e);
        } catch (IOException e) {
            // EIO, a stale NFS handle: the file system failed, not the record
            throw new SouperException(CheckpointErrorCode.IO_ERROR, uri + ": " + path + ": " + e, e);
        }
        requireInsideRealRoots(real, uri);
        if (!Files.isRegularFile(real)) {
            throw new SouperException(CheckpointErrorCode.FILE_NOT_FOUND, uri + ": " + real + " is not a regular file");
        }
        return real;
    }

    /**
     * A file that is not there is the record's fault (FILE_NOT_FOUND, dead-lettered) only when the
     * root it lies under is there and readable: a root that is missing or unreadable is an unmounted
     * or failing volume, the world's fault (the retriable IO_ERROR), and the same URI will resolve
     * once it is back. Symlinked roots are judged by their target.
     */
    private SouperException absent(String uri, Path path, IOException e) {
        for (Path root : Stream.concat(roots.stream(), realRoots.stream()).toList()) {
            if (path.startsWith(root) && !(Files.isDirectory(root) && Files.isReadable(root))) {
                return new SouperException(CheckpointErrorCode.IO_ERROR, uri + ": the store root " + root
                        + " is not there or not readable (unmounted?); " + path + " may be back with it", e);
            }
        }
        return new SouperException(CheckpointErrorCode.FILE_NOT_FOUND, uri + ": no such file (" + path + ")", e);
    }

    void requireInsideRealRoots(Path real, String uri) {
        if (!underAny(real, realRoots)) {
            throw new SouperException(CheckpointErrorCode.URI_OUTSIDE_ROOTS, uri + ": resolves through a symlink to "
                    + real + ", outside the checkpoint roots " + roots);
        }
    }

    /** The validated absolute path {@code uri} names (it need not exist). */
    Path lexicalPath(String uri) {
        if (uri == null) {
            throw bad("null", "no URI given");
        }
        URI parsed;
        try {
            parsed = new URI(uri);
        } catch (URISyntaxException e) {
            throw bad(uri, "not a valid URI: " + e.getReason());
        }
        if (!"file".equalsIgnoreCase(parsed.getScheme())) {
            throw bad(uri, "only file:// URIs are accepted, got scheme '" + parsed.getScheme() + "'");
        }
        if (parsed.isOpaque() || parsed.getRawPath() == null || !parsed.getRawPath().startsWith("/")) {
            throw bad(uri, "a file URI needs an absolute path");
        }
        if (parsed.getRawAuthority() != null) {
            throw bad(uri, "a file URI must not name a host ('" + parsed.getRawAuthority() + "')");
        }
        if (parsed.getRawQuery() != null || parsed.getRawFragment() != null) {
            throw bad(uri, "a file URI must not have a query or fragment");
        }
        String path = parsed.getPath();
        if (path.indexOf('\0') >= 0) {
            throw bad(uri, "path contains a NUL character");
        }
        String[] segments = path.split("/", -1);
        for (int i = 1; i < segments.length; i++) {
            String s = segments[i];
            if (s.isEmpty() || s.equals(".") || s.equals("..")) {
                throw bad(uri, "path is not normalised (empty, '.' or '..' segment)");
            }
        }
        Path resolved = Path.of(path);
        if (!underAny(resolved, roots) && !underAny(resolved, realRoots)) {
            throw new SouperException(CheckpointErrorCode.URI_OUTSIDE_ROOTS, uri + ": " + resolved
                    + " is outside the checkpoint roots " + roots);
        }
        return resolved;
    }

    private static boolean underAny(Path path, List<Path> candidates) {
        for (Path root : candidates) {
            if (path.startsWith(root) && !path.equals(root)) {
                return true;
            }
        }
        return false;
    }

    private static SouperException bad(String uri, String what) {
        return new SouperException(CheckpointErrorCode.BAD_URI, uri + ": " + what);
    }
}
