package io.souper.scoring;

import io.souper.errors.SouperException;
import ai.djl.Device;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Keeps loaded architectures between requests, so a soup's TorchScript file is loaded once
 * and every later checkpoint only swaps weights in place. Keyed by the file's real path, size
 * and modification time (a replaced file is loaded again); least recently used entries beyond
 * the capacity are closed. Not thread-safe, like the architectures it holds: one per
 * evaluator thread.
 */
final class ArchitectureCache implements AutoCloseable {

    private record Key(Path realPath, long size, long modifiedMillis) {
    }

    private final Device device;
    private final int capacity;
    private final LinkedHashMap<Key, TorchScriptArchitecture> entries = new LinkedHashMap<>(16, 0.75f, true);

    ArchitectureCache(Device device, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive, got " + capacity);
        }
        this.device = device;
        this.capacity = capacity;
    }

    /** The architecture in {@code file}, loaded now or earlier. */
    TorchScriptArchitecture get(Path file) {
        Key key = key(file);
        TorchScriptArchitecture cached = entries.get(key);
        if (cached != null) {
            return cached;
        }
        // A file that changed under the same path: drop the stale load.
        for (Iterator<Map.Entry<Key, TorchScriptArchitecture>> it = entries.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Key, TorchScriptArchitecture> e = it.next();
            if (e.getKey().realPath().equals(key.realPath())) {
                e.getValue().close();
                it.remove();
            }
        }
        TorchScriptArchitecture loaded = TorchScriptArchitecture.load(key.realPath(), device);
        entries.put(key, loaded);
        while (entries.size() > capacity) {
            Iterator<Map.Entry<Key, TorchScriptArchitecture>> eldest = entries.entrySet().iterator();
            eldest.next().getValue().close();
            eldest.remove();
        }
        return loaded;
    }

    private static Key key(Path file) {
        try {
            Path real = file.toRealPath();
            BasicFileAttributes attrs = Files.readAttributes(real, BasicFileAttributes.class);
            return new Key(real, attrs.size(), attrs.lastModifiedTime().toMillis());
        } catch (NoSuchFileException e) {
            throw new SouperException(ScoringErrorCode.FILE_NOT_FOUND, file + ": no such file", e);
        } catch (IOException e) {
            throw new SouperException(ScoringErrorCode.IO_ERROR, file + ": " + e, e);
        }
    }

    @Override
    public void close() {
        entries.values().forEach(TorchScriptArchitecture::close);
        entries.clear();
    }
}
