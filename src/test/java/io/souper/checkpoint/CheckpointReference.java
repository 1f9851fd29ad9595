package io.souper.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import io.souper.testsupport.TorchReference;
import java.nio.file.Path;

/**
 * Runs src/test/resources/python/checkpoint_reference.py with Debian's /usr/bin/python3 and
 * torch: PyTorch's casts, means and save_pretrained layout are what the Java side must equal.
 * A missing interpreter fails the calling test (never skips it).
 */
public final class CheckpointReference {

    public static final Path SCRIPT = Path.of("src/test/resources/python/checkpoint_reference.py").toAbsolutePath();

    private CheckpointReference() {
    }

    public static JsonNode run(Object... args) {
        return TorchReference.runScript(SCRIPT, 300, args);
    }
}
