package io.souper.testsupport;

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
 * Runs src/test/resources/python/torch_reference.py with Debian's /usr/bin/python3 and torch:
 * PyTorch itself is the reference the Java side is checked against. A missing interpreter or
 * torch makes the calling test fail (never skip): without the reference nothing was checked.
 */
public final class TorchReference {

    public static final Path PYTHON = Path.of("/usr/bin/python3");
    public static final Path SCRIPT = Path.of("src/test/resources/python/torch_reference.py").toAbsolutePath();
    private static final ObjectMapper JSON = new ObjectMapper();

    private TorchReference() {
    }

    /** Runs one sub-command and returns the JSON object it printed. */
    public static JsonNode run(String... args) {
        return runScript(SCRIPT, 120, (Object[]) args);
    }

    /**
     * Runs {@code script} with {@link #PYTHON} and {@code args} (as strings) and returns the JSON
     * object it printed on stdout; a failure, a time-out or a missing interpreter fails the test.
     */
    public static JsonNode runScript(Path script, int timeoutSeconds, Object... args) {
        if (!Files.isExecutable(PYTHON)) {
            throw new AssertionError(PYTHON + " is missing: the PyTorch cross-check cannot run");
        }
        List<String> command = new ArrayList<>(List.of(PYTHON.toString(), script.toString()));
        for (Object a : args) {
            command.add(a.toString());
        }
        try {
            Path err = Files.createTempFile("python-reference", ".stderr");
            try {
                Process p = new ProcessBuilder(command).redirectError(err.toFile()).start();
                byte[] out = p.getInputStream().readAllBytes();
                if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
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
