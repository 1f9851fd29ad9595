package io.souper.checkpoint.store;

import io.souper.checkpoint.CheckpointErrorCode;
import io.souper.errors.SouperException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The configured stores by URI scheme: a URI whose scheme no store serves is BAD_URI. */
public final class BlobStores implements AutoCloseable {

    private final Map<String, BlobStore> byScheme = new LinkedHashMap<>();

    public BlobStores(List<BlobStore> stores) {
        for (BlobStore store : stores) {
            if (byScheme.put(store.scheme(), store) != null) {
                throw new IllegalArgumentException("two stores for scheme '" + store.scheme() + "'");
            }
        }
    }

    /** The store serving {@code uri}'s scheme. */
    public BlobStore forUri(String uri) {
        String scheme;
        try {
            scheme = uri == null ? null : new URI(uri).getScheme();
        } catch (URISyntaxException e) {
            throw new SouperException(CheckpointErrorCode.BAD_URI, uri + ": not a valid URI: " + e.getReason());
        }
        BlobStore store = scheme == null ? null : byScheme.get(scheme.toLowerCase(Locale.ROOT));
        if (store == null) {
            throw new SouperException(CheckpointErrorCode.BAD_URI, uri + ": no store serves scheme '" + scheme
                    + "' (configured: " + byScheme.keySet() + ")");
        }
        return store;
    }

    @Override
    public void close() {
        byScheme.values().forEach(BlobStore::close);
    }
}
