package io.souper.demo;

import java.nio.file.Path;
import java.util.Map;

/**
 * A finished training run: where its checkpoint is and what it is.
 *
 * @param runId            the run's id
 * @param checkpoint       the safetensors file (state-dict keys = TorchScript parameter names)
 * @param sha256           lower-case hex SHA-256 of the checkpoint file
 * @param hyperParameters  {@link RunSpec#hyperParameters()}
 * @param finalTrainLoss   mean training loss over the run's last steps (at most 20)
 * @param imagesSeen       training images processed (epochs x the run's data)
 * @param trainSeconds     wall time the training took when it ran (kept across a resume)
 * @param resumed          true if the run was found finished on disk instead of trained now
 */
public record RunResult(String runId, Path checkpoint, String sha256, Map<String, String> hyperParameters,
                        double finalTrainLoss, long imagesSeen, double trainSeconds, boolean resumed) {

    public RunResult {
        hyperParameters = Map.copyOf(hyperParameters);
    }

    public double imagesPerSecond() {
        return trainSeconds > 0 ? imagesSeen / trainSeconds : 0;
    }

    RunResult asResumed() {
        return new RunResult(runId, checkpoint, sha256, hyperParameters, finalTrainLoss, imagesSeen, trainSeconds, true);
    }
}
