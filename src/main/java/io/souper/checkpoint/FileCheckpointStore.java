package io.souper.checkpoint;

import io.souper.errors.SouperException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;

/**
 * The checkpoint store on a (shared) file system: {@code file://} URIs under configured
 * roots, see {@link FileUriResolver} for what is refused. Artifacts are content addressed
 * in one artifact directory inside the roots: {@code <sha256>.safetensors} plus the
 * manifest {@code <sha256>.json}. Writes go to a temporary file in the same directory,
 * are fsynced, then renamed atomically, so readers never see a partial artifact and two
 * writers of the same bytes end with one file.
 */
public final class FileCheckpointStore implements CheckpointStore {

    public static final String ARTIFACT_SUFFIX = ".safetensors";
    public static final String MANIFEST_SUFFIX = ".json";

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final FileUriResolver resolver;
    private final Path artifactDir;

    /** Roots must exist; artifacts go to {@code <first root>/artifacts} (created if missing). */
    public FileCheckpointStore(List<Path> roots) {
        this(roots, roots.get(0).resolve("artifacts"));
    }

    /** {@code artifactDir} must lie inside one of the roots; it is created if missing. */
    public FileCheckpointStore(List<Path> roots, Path artifactDir) {
        this.resolver = new FileUriResolver(roots);
        Path dir = artifactDir.toAbsolutePath().normalize();
        // The artifact directory must itself pass the rules every URI has to pass, symlinks included.
        resolver.lexicalPath(dir.resolve("probe").toUri().toString());
        try {
            Files.createDirectories(dir);
            resolver.requireInsideRealRoots(dir.toRealPath(), dir.toUri().toString());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot create artifact directory " + dir + ": " + e, e);
        }
        this.artifactDir = dir;
    }

    public List<Path> roots() {
        return resolver.roots();
    }

    public Path artifactDirectory() {
        return artifactDir;
    }

    /** The {@code file:} URI of a path (for events); refused if it is outside the roots. */
    public String uriOf(Path path) {
        String uri = path.toAbsolutePath().normalize().toUri().toString();
        resolver.lexicalPath(uri);
        return uri;
    }

    @Override
    public Path resolve(String uri) {
        return resolver.resolveExisting(uri);
    }

    @Override
    public InputStream openRead(String uri) {
        Path file = resolve(uri);
        try {
            return Files.newInputStream(file);
        } catch (IOException e) {
            throw CheckpointErrorCode.io(file, e);
        }
    }

    @Override
    public String sha256(String uri) {
        return Sha256.of(resolve(uri));
    }

    @Override
    public void verifySha256(String uri, String expectedSha256) {
        Sha256.normalise(expectedSha256);
        Sha256.verify(resolve(uri), expectedSha256);
    }

    @Override
    public StoredArtifact writeArtifact(ArtifactContent content, ArtifactManifest manifest) {
        Path temp = null;
        try {
            temp = Files.createTempFile(artifactDir, ".incoming-", ARTIFACT_SUFFIX + ".tmp");
            MessageDigest digest = Sha256.newDigest();
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                OutputStream out = new DigestOutputStream(
                        new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 20), digest);
                content.writeTo(out);
                out.flush();
                channel.force(true);
            }
            String sha = Sha256.hex(digest.digest());
            Path target = artifactPath(sha);
            long size = Files.size(temp);
            boolean reused = Files.exists(target);
            if (reused) {
                Files.delete(temp);
            } else {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            }
            temp = null;
            if (!Files.exists(manifestPath(sha))) {
                writeManifest(sha, size, manifest);
            }
            return new StoredArtifact(target.toUri().toString(), target, sha, size, reused);
        } catch (IOException e) {
            throw CheckpointErrorCode.io(temp != null ? temp : artifactDir, e);
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

    @Override
    public Optional<StoredArtifact> findArtifact(String sha256) {
        String sha = Sha256.normalise(sha256);
        Path target = artifactPath(sha);
        try {
            return Files.isRegularFile(target)
                    ? Optional.of(new StoredArtifact(target.toUri().toString(), target, sha, Files.size(target), true))
                    : Optional.empty();
        } catch (IOException e) {
            throw CheckpointErrorCode.io(target, e);
        }
    }

    @Override
    public Optional<ArtifactManifest> readManifest(String sha256) {
        Path file = manifestPath(Sha256.normalise(sha256));
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readValue(file.toFile(), ArtifactManifest.class));
        } catch (IOException e) {
            throw CheckpointErrorCode.io(file, e);
        }
    }

    @Override
    public void updateManifest(String sha256, ArtifactManifest manifest) {
        StoredArtifact artifact = findArtifact(sha256).orElseThrow(() -> new SouperException(
                CheckpointErrorCode.FILE_NOT_FOUND, "no artifact with sha256 " + sha256 + " in " + artifactDir));
        try {
            writeManifest(artifact.sha256(), artifact.sizeBytes(), manifest);
        } catch (IOException e) {
            throw CheckpointErrorCode.io(manifestPath(artifact.sha256()), e);
        }
    }

    private void writeManifest(String sha, long size, ArtifactManifest manifest) throws IOException {
        ObjectNode node = JSON.createObjectNode();
        node.put("sha256", sha);
        node.put("sizeBytes", size);
        node.put("format", "safetensors");
        node.setAll((ObjectNode) JSON.valueToTree(manifest));
        Path temp = Files.createTempFile(artifactDir, ".incoming-", MANIFEST_SUFFIX + ".tmp");
        try {
            Files.write(temp, JSON.writeValueAsBytes(node));
            Files.move(temp, manifestPath(sha), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private Path artifactPath(String sha) {
        return artifactDir.resolve(sha + ARTIFACT_SUFFIX);
    }

    private Path manifestPath(String sha) {
        return artifactDir.resolve(sha + MANIFEST_SUFFIX);
    }
}
