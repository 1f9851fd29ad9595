package io.souper.checkpoint.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.souper.checkpoint.ArtifactManifest;
import io.souper.checkpoint.CheckpointErrorCode;
import io.souper.errors.SouperException;
import io.souper.checkpoint.sharded.ShardIndex;
import io.souper.checkpoint.sharded.SoupFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Publishes an averaged soup content-addressed into any {@link BlobStore}, under an artifacts
 * "directory" URI (ending in '/'): a single file as {@code <sha256>.safetensors}, a sharded soup
 * as {@code <sha256>/} holding its shards and index (the index uploaded last, so whoever finds
 * the index finds every shard), and beside either the manifest {@code <sha256>.json}. Identical
 * bytes are stored once: what already exists is not written again, and the first manifest stays.
 */
public final class ArtifactPublisher {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final BlobStore store;
    private final String artifactsUri;

    /** {@code artifactsUri} names a directory in {@code store}: it must end with '/'. */
    public ArtifactPublisher(BlobStore store, String artifactsUri) {
        if (!artifactsUri.endsWith("/")) {
            throw new IllegalArgumentException("artifact location " + artifactsUri + " must end with '/'");
        }
        this.store = store;
        this.artifactsUri = artifactsUri;
        store.isDirectory(artifactsUri); // refuses a location outside the store now, not at the first soup
    }

    /** Where a soup with this sha256 is (or would be) published. */
    public String uriOf(String sha256, boolean sharded) {
        return sharded ? store.resolve(artifactsUri, sha256) + "/" : store.resolve(artifactsUri, sha256 + ".safetensors");
    }

    /** The URI of a published soup, and whether it was there already. */
    public record Published(String uri, String sha256, long sizeBytes, boolean reused) {
    }

    public Published publish(SoupFiles soup, ArtifactManifest manifest) {
        String target = uriOf(soup.sha256(), soup.sharded());
        boolean reused;
        if (soup.sharded()) {
            String index = store.resolve(target, ShardIndex.INDEX_FILE);
            reused = store.exists(index);
            if (!reused) {
                List<String> shards = new ArrayList<>(soup.files().keySet());
                shards.remove(ShardIndex.INDEX_FILE);
                for (String shard : shards) {
                    store.put(store.resolve(target, shard), soup.directory().resolve(shard));
                }
                store.put(index, soup.directory().resolve(ShardIndex.INDEX_FILE));
            }
        } else {
            reused = store.exists(target);
            if (!reused) {
                String only = soup.files().keySet().iterator().next();
                store.put(target, soup.directory().resolve(only));
            }
        }
        String manifestUri = store.resolve(artifactsUri, soup.sha256() + ".json");
        if (!store.exists(manifestUri)) {
            writeManifest(manifestUri, soup, manifest);
        }
        return new Published(target, soup.sha256(), soup.sizeBytes(), reused);
    }

    private void writeManifest(String uri, SoupFiles soup, ArtifactManifest manifest) {
        ObjectNode node = JSON.createObjectNode();
        node.put("sha256", soup.sha256());
        node.put("sizeBytes", soup.sizeBytes());
        node.put("format", soup.sharded() ? "safetensors-sharded" : "safetensors");
        ObjectNode files = node.putObject("files");
        soup.files().forEach(files::put);
        node.setAll((ObjectNode) JSON.valueToTree(manifest));
        Path temp = null;
        try {
            temp = Files.createTempFile("souper-manifest", ".json");
            Files.write(temp, JSON.writeValueAsBytes(node));
            store.put(uri, temp);
        } catch (IOException e) {
            throw new SouperException(CheckpointErrorCode.IO_ERROR, uri + ": cannot write the manifest: " + e, e);
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // a temporary file left behind is harmless
                }
            }
        }
    }
}
