package io.souper.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.souper.checkpoint.SafetensorsReader;
import io.souper.checkpoint.SafetensorsWriter;
import io.souper.checkpoint.Sha256;
import io.souper.checkpoint.Tensor;
import io.souper.data.LabeledImages;
import io.souper.data.PixelNormalisation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The demo's training cluster, one run at a time: every run starts from the same checkpoint
 * (the pre-trained model, or the TorchScript file's own initial weights for pre-training
 * itself), trains with DJL on this tuner's data as its {@link RunSpec} says, and leaves
 * {@code <runs>/<run id>.safetensors} plus a marker {@code <run id>.done.json}.
 *
 * <p>The marker is written last and records the checkpoint's SHA-256, the hyper-parameters,
 * the start checkpoint's SHA-256 and the data's identity, so a demo killed half-way and
 * started again skips exactly the runs that finished with the same recipe
 * ({@link #finished}) and redoes the others.
 *
 * <p>Runs may train on several threads at once (each call builds its own model and optimizer;
 * the data is only read), as long as no two train the same run id.
 */
public final class FineTuner {

    public static final String CHECKPOINT_SUFFIX = ".safetensors";
    public static final String MARKER_SUFFIX = ".done.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path architecture;
    private final Path start;
    private final String startSha256;
    private final LabeledImages data;
    private final String dataIdentity;
    private final float background;
    private final Path runsDirectory;

    /**
     * @param architecture  the TorchScript file (e.g. models/fmnist_cnn.pt)
     * @param start         checkpoint every run starts from; empty = the TorchScript file's weights
     * @param data          the split runs draw their training images from
     * @param normalisation how {@code data} was normalised (to know what a black pixel is)
     * @param runsDirectory where checkpoints and markers go (created if missing)
     */
    public FineTuner(Path architecture, Optional<Path> start, LabeledImages data, PixelNormalisation normalisation,
                     Path runsDirectory) {
        if (!Files.isRegularFile(architecture)) {
            throw new IllegalArgumentException("architecture " + architecture + " is not a file");
        }
        this.architecture = architecture;
        this.start = start.orElse(null);
        this.startSha256 = start.map(Sha256::of).orElse("torchscript-init:" + Sha256.of(architecture));
        this.data = data;
        this.dataIdentity = data.name() + ":" + data.size() + ":" + labelDigest(data);
        this.background = (0f - normalisation.mean()[0]) / normalisation.std()[0];
        this.runsDirectory = runsDirectory;
        try {
            Files.createDirectories(runsDirectory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + runsDirectory, e);
        }
    }

    public Path checkpointFile(String runId) {
        return runsDirectory.resolve(runId + CHECKPOINT_SUFFIX);
    }

    public Path markerFile(String runId) {
        return runsDirectory.resolve(runId + MARKER_SUFFIX);
    }

    /** SHA-256 of the start checkpoint (or a tag naming the TorchScript file's own weights). */
    public String startSha256() {
        return startSha256;
    }

    /**
     * The run's result if it already finished with this very recipe, start and data, and its
     * checkpoint is intact; empty otherwise (then {@link #run} trains it).
     */
    public Optional<RunResult> finished(RunSpec spec) {
        Path marker = markerFile(spec.runId());
        Path checkpoint = checkpointFile(spec.runId());
        if (!Files.isRegularFile(marker) || !Files.isRegularFile(checkpoint)) {
            return Optional.empty();
        }
        try {
            JsonNode m = JSON.readTree(marker.toFile());
            if (!startSha256.equals(m.path("start_sha256").asText())
                    || !dataIdentity.equals(m.path("data").asText())
                    || !spec.hyperParameters().equals(stringMap(m.path("hyper_parameters")))) {
                return Optional.empty();
            }
            String sha = m.path("sha256").asText();
            if (!sha.equals(Sha256.of(checkpoint))) {
                return Optional.empty();
            }
            return Optional.of(new RunResult(spec.runId(), checkpoint, sha, spec.hyperParameters(),
                    m.path("final_train_loss").asDouble(), m.path("images_seen").asLong(),
                    m.path("train_seconds").asDouble(), true));
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // a torn or foreign marker: train again
        }
    }

    /** Trains the run unless {@link #finished} already has it; writes checkpoint, then marker. */
    public RunResult run(RunSpec spec) {
        Optional<RunResult> done = finished(spec);
        if (done.isPresent()) {
            return done.get();
        }
        Map<String, Tensor> startWeights = null;
        SafetensorsReader reader = null;
        try {
            if (start != null) {
                reader = SafetensorsReader.open(start);
                startWeights = new LinkedHashMap<>();
                for (String name : reader.names()) {
                    startWeights.put(name, reader.load(name));
                }
            }
            DjlTrainingLoop.Outcome outcome = DjlTrainingLoop.train(architecture, startWeights, data, spec, background);
            Path checkpoint = checkpointFile(spec.runId());
            Path temp = runsDirectory.resolve(spec.runId() + CHECKPOINT_SUFFIX + ".tmp");
            Map<String, String> metadata = new LinkedHashMap<>(spec.hyperParameters());
            metadata.put("start_sha256", startSha256);
            metadata.put("final_train_loss", Double.toString(outcome.finalLoss()));
            SafetensorsWriter.write(temp, outcome.stateDict(), metadata);
            Files.move(temp, checkpoint, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            String sha = Sha256.of(checkpoint);
            writeMarker(spec, sha, outcome);
            return new RunResult(spec.runId(), checkpoint, sha, spec.hyperParameters(), outcome.finalLoss(),
                    outcome.imagesSeen(), outcome.seconds(), false);
        } catch (IOException e) {
            throw new UncheckedIOException("run " + spec.runId() + ": cannot write into " + runsDirectory, e);
        } finally {
            if (reader != null) {
                reader.close();
            }
        }
    }

    private void writeMarker(RunSpec spec, String sha, DjlTrainingLoop.Outcome outcome) throws IOException {
        ObjectNode m = JSON.createObjectNode();
        m.put("run_id", spec.runId());
        m.put("sha256", sha);
        m.put("start_sha256", startSha256);
        m.put("data", dataIdentity);
        m.put("final_train_loss", outcome.finalLoss());
        m.put("images_seen", outcome.imagesSeen());
        m.put("train_seconds", outcome.seconds());
        ObjectNode hp = m.putObject("hyper_parameters");
        spec.hyperParameters().forEach(hp::put);
        Path temp = runsDirectory.resolve(spec.runId() + MARKER_SUFFIX + ".tmp");
        JSON.writerWithDefaultPrettyPrinter().writeValue(temp.toFile(), m);
        Files.move(temp, markerFile(spec.runId()), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static Map<String, String> stringMap(JsonNode node) {
        Map<String, String> out = new LinkedHashMap<>();
        node.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }

    /** A cheap fingerprint of the labels, so a different split of the same size is noticed. */
    private static String labelDigest(LabeledImages data) {
        long h = 1125899906842597L;
        for (int y : data.labels()) {
            h = 31 * h + y;
        }
        return Long.toHexString(h);
    }
}
