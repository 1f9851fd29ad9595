package io.souper.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs src/test/resources/python/checkpoint_reference.py with Debian's /usr/bin/python3 and
 * torch: PyTorch's casts, means and save_pretrained layout are what the Java side must equal.
 * A missing interpreter fails the calling test (never skips it).
 */
public final class CheckpointReference {

    public static final Path PYTHON = Path.of("/usr/bin/python3");
    public static final Path SCRIPT = Path.of("src/test/resources/python/checkpoint_reference.py").toAbsolutePath();
    private static final ObjectMapper JSON = new ObjectMapper();

    private CheckpointReference() {
    }

    public static JsonNode run(Object... args) {
        List<String> command = new ArrayList<>(List.of(PYTHON.toString(), SCRIPT.toString()));
        for (Object a : args) {
            command.add(a.toString());
        }
        try {
            Path err = Files.createTempFile("checkpoint-reference", ".stderr");
            try {
                Process p = new ProcessBuilder(command).redirectError(err.toFile()).start();
                byte[] out = p.getInputStream().readAllBytes();
                if (!p.waitFor(300, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new AssertionError("timed out: " + command);
                }
                if (p.exitValue() != 0) {
                    throw new AssertionError("reference failed (exit " + p.exitValue() + "): " + command + "\n"
                            + Files.readString(err, StandardCharsets.UTF_8));
                }
                return JSON.readTree(out);
            } finally {
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot run " + command + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running " + command, e);
        }
    }
}
