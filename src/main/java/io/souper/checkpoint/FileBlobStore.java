package io.souper.checkpoint;

import io.souper.errors.SouperException;
import io.souper.checkpoint.store.BlobStore;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * {@code file:} URIs under configured roots as a {@link BlobStore}, with the same rules as
 * {@link FileCheckpointStore} (see {@link FileUriResolver}): the same URIs are accepted and refused.
 */
public final class FileBlobStore implements BlobStore {

    private final FileUriResolver resolver;

    public FileBlobStore(List<Path> roots) {
        this.resolver = new FileUriResolver(roots);
    }

    @Override
    public String scheme() {
        return "file";
    }

    @Override
    public ByteSource open(String uri) {
        Path file = resolver.resolveExisting(uri);
        try {
            return ByteSource.of(file, FileChannel.open(file, StandardOpenOption.READ));
        } catch (IOException e) {
            throw CheckpointErrorCode.io(file, e);
        }
    }

    @Override
    public boolean exists(String uri) {
        Path path = resolver.lexicalPath(uri);
        if (!Files.isRegularFile(path)) {
            return false;
        }
        resolver.resolveExisting(uri); // a symlink out of the roots is refused, not "absent"
        return true;
    }

    @Override
    public boolean isDirectory(String uri) {
        Path path = resolver.lexicalPath(withoutTrailingSlash(uri));
        if (!Files.isDirectory(path)) {
            return false;
        }
        try {
            resolver.requireInsideRealRoots(path.toRealPath(), uri);
        } catch (IOException e) {
            throw CheckpointErrorCode.io(path, e);
        }
        return true;
    }

    @Override
    public String resolve(String uri, String fileName) {
        if (!BlobStore.isPlainFileName(fileName)) {
            throw new SouperException(CheckpointErrorCode.BAD_URI, "'" + fileName + "' is not a plain file name");
        }
        boolean directory = uri != null && uri.endsWith("/");
        Path base = resolver.lexicalPath(withoutTrailingSlash(uri));
        Path target = (directory || Files.isDirectory(base) ? base : base.getParent()).resolve(fileName);
        String resolved = target.toUri().toString();
        resolver.lexicalPath(resolved);
        return resolved;
    }

    @Override
    public void put(String uri, Path localFile) {
        Path target = resolver.lexicalPath(uri);
        Path temp = null;
        try {
            Files.createDirectories(target.getParent());
            resolver.requireInsideRealRoots(target.getParent().toRealPath(), uri);
            temp = Files.createTempFile(target.getParent(), ".incoming-", ".tmp");
            Files.copy(localFile, temp, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            temp = null;
        } catch (IOException e) {
            throw CheckpointErrorCode.io(target, e);
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // the original failure is propagating
                }
            }
        }
    }

    /** Directory URIs may end with '/' (Path.toUri() writes them so); the resolver wants none. */
    private static String withoutTrailingSlash(String uri) {
        return uri != null && uri.endsWith("/") && !uri.endsWith("//") ? uri.substring(0, uri.length() - 1) : uri;
    }

    @Override
    public void close() {
        // nothing held open
    }
}
