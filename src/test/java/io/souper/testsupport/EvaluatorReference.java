package io.souper.testsupport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.souper.checkpoint.SafetensorsReader;
import io.souper.checkpoint.Sha256;
import io.souper.testsupport.TorchReference;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * PyTorch's answers for what the evaluator scores (src/test/resources/python/evaluator_reference.py,
 * run with Debian's /usr/bin/python3 and torch): correct counts of single checkpoints, weight means
 * and logit ensembles on IDX splits, and a digest of each mean's tensors.
 */
public final class EvaluatorReference {

    public static final Path SCRIPT = Path.of("src/test/resources/python/evaluator_reference.py").toAbsolutePath();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ObjectNode spec = JSON.createObjectNode();
    private final ArrayNode splits = spec.putArray("splits");
    private final ArrayNode models = spec.putArray("models");

    public EvaluatorReference(Path architecture, Path idxDirectory) {
        spec.put("arch", architecture.toAbsolutePath().toString());
        spec.put("dir", idxDirectory.toString());
    }

    public EvaluatorReference split(String name, String idxSplit, int from, int to, double mean, double std) {
        splits.addObject().put("name", name).put("split", idxSplit).put("start", from).put("end", to)
                .put("mean", mean).put("std", std);
        return this;
    }

    public EvaluatorReference model(String name, String kind, List<Path> files) {
        ObjectNode m = models.addObject().put("name", name).put("kind", kind);
        ArrayNode f = m.putArray("files");
        files.forEach(p -> f.add(p.toAbsolutePath().toString()));
        return this;
    }

    /** {"correct": {model: {split: n}}, "meanTensorsSha256": {model: hex}} */
    public JsonNode run(Path workDir) {
        try {
            Path specFile = Files.createTempFile(workDir, "reference", ".json");
            Files.writeString(specFile, JSON.writeValueAsString(spec));
            Path err = Files.createTempFile(workDir, "reference", ".stderr");
            Process p = new ProcessBuilder(TorchReference.PYTHON.toString(), SCRIPT.toString(), specFile.toString())
                    .redirectError(err.toFile()).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("PyTorch reference timed out");
            }
            if (p.exitValue() != 0) {
                throw new AssertionError("PyTorch reference failed: " + Files.readString(err));
            }
            return JSON.readTree(out);
        } catch (IOException e) {
            throw new AssertionError("cannot run " + SCRIPT + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The same digest the script computes: for each tensor by name, the name then its bytes. */
    public static String tensorsSha256(Path safetensors) {
        MessageDigest digest = Sha256.newDigest();
        try (SafetensorsReader reader = SafetensorsReader.open(safetensors)) {
            for (String name : reader.names()) {
                digest.update(name.getBytes(StandardCharsets.UTF_8));
                ByteBuffer data = reader.load(name).data();
                byte[] bytes = new byte[data.remaining()];
                data.get(bytes);
                digest.update(bytes);
            }
        }
        return Sha256.hex(digest.digest());
    }

    /** Three checkpoints trained briefly from the architecture's init (torch_reference.py make-checkpoints). */
    public static List<Path> makeCheckpoints(Path architecture, Path idxDirectory, Path out, int count) {
        TorchReference.run("make-checkpoints", "--arch", architecture.toAbsolutePath().toString(),
                "--dir", idxDirectory.toString(), "--out", out.toAbsolutePath().toString(),
                "--count", Integer.toString(count));
        return java.util.stream.IntStream.range(0, count).mapToObj(k -> out.resolve("ckpt-" + k + ".safetensors"))
                .toList();
    }
}
