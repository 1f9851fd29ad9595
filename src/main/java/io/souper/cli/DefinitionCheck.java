package io.souper.cli;

import io.souper.data.DatasetLoader;
import io.souper.data.DatasetUri;
import io.souper.data.InputSpec;
import io.souper.data.TensorSplit;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * What {@code soup define} can verify before it publishes: the local files a definition names exist and
 * are what the evaluator will need (a TorchScript archive, splits the data package can read). Without
 * it a typo surfaces only later, as FILE_NOT_FOUND on every checkpoint of the soup. URIs this machine
 * cannot open (another scheme, another host's path) are reported as not checked.
 */
final class DefinitionCheck {

    /** One line per URI: what was found, or why it cannot be used. */
    record Finding(String role, String uri, boolean ok, String text) {
        String line() {
            return (ok ? "ok    " : "ERROR ") + role + " " + uri + ": " + text;
        }
    }

    private DefinitionCheck() {
    }

    /** @param splits role (held-out, test, shift:NAME) to URI; null URIs are skipped */
    static List<Finding> check(String architectureUri, Map<String, String> splits) {
        return check(architectureUri, splits, InputSpec.IMAGES);
    }

    /** @param inputs which tensors of each split the model takes, and the padding target */
    static List<Finding> check(String architectureUri, Map<String, String> splits, InputSpec inputs) {
        List<Finding> findings = new ArrayList<>();
        findings.add(architecture(architectureUri));
        splits.forEach((role, uri) -> {
            if (uri != null) {
                findings.add(split(role, uri, inputs));
            }
        });
        return findings;
    }

    static Map<String, String> splits(String heldOut, String test, Map<String, String> shifts) {
        Map<String, String> splits = new LinkedHashMap<>();
        splits.put("held-out", heldOut);
        splits.put("test", test);
        shifts.forEach((name, uri) -> splits.put("shift " + name, uri));
        return splits;
    }

    private static Finding architecture(String uri) {
        Path file = localFile(uri);
        if (file == null) {
            return new Finding("architecture", uri, true, "not checked (not a local file: URI)");
        }
        if (!Files.isRegularFile(file)) {
            return new Finding("architecture", uri, false, "no such file");
        }
        try (ZipFile zip = new ZipFile(file.toFile())) {
            for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
                if (e.nextElement().getName().contains("/code/")) {
                    return new Finding("architecture", uri, true, "TorchScript archive, " + Files.size(file) + " bytes");
                }
            }
            return new Finding("architecture", uri, false, "a zip archive without TorchScript code (save it with "
                    + "torch.jit.script(model).save, not torch.save)");
        } catch (IOException e) {
            return new Finding("architecture", uri, false, "not a TorchScript archive (" + e.getMessage() + ")");
        }
    }

    private static Finding split(String role, String uri, InputSpec inputs) {
        Path file = localFile(uri);
        if (file == null) {
            return new Finding(role, uri, true, "not checked (not a local file: URI)");
        }
        if (!Files.exists(file)) {
            return new Finding(role, uri, false, "no such file or directory");
        }
        try {
            TensorSplit data = DatasetLoader.load(DatasetUri.parse(URI.create(uri)), inputs);
            return new Finding(role, uri, true, data.size() + (inputs.images() ? " labelled examples"
                    : " examples of " + data.inputs() + ", " + data.scoredTargets().length + " scored targets"));
        } catch (RuntimeException e) {
            return new Finding(role, uri, false, e.getMessage());
        }
    }

    /** The file a {@code file:} URI names, without its query (dataset URIs carry ?split=...); else null. */
    private static Path localFile(String uri) {
        URI parsed = URI.create(uri);
        if (!"file".equalsIgnoreCase(parsed.getScheme()) || parsed.getPath() == null) {
            return null;
        }
        return Path.of(parsed.getPath());
    }
}
