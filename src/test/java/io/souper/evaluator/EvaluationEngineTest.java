package io.souper.evaluator;

import ai.djl.Device;
import io.souper.data.FashionMnist;
import io.souper.events.CheckpointReady;
import io.souper.events.SoupDefinition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The engine alone: a checkpoint announced for two soups over the same data is scored once. */
class EvaluationEngineTest {

    private static final Path IDX = FashionMnist.DEBIAN_DIRECTORY;

    @TempDir
    Path tmp;

    @Test
    void sameCheckpointOnTheSameDataIsScoredOnceAcrossSoups() throws Exception {
        Path arch = Files.copy(Path.of("models/fmnist_cnn.pt"), tmp.resolve("cnn.pt"), StandardCopyOption.REPLACE_EXISTING);
        Path checkpoint = EvaluatorReference.makeCheckpoints(arch, IDX, Files.createDirectories(tmp.resolve("ckpt")), 1).get(0);
        String heldOut = IDX.toUri() + "?split=train&from=0&to=300";
        String otherHeldOut = IDX.toUri() + "?split=train&from=300&to=600";
        EvaluatorSettings settings = EvaluatorSettings.defaults(List.of(tmp, IDX), tmp.resolve("work")).withDevice("cpu");
        try (EvaluationEngine engine = new EvaluationEngine(settings, Device.cpu())) {
            CheckpointReady event = CheckpointReady.newBuilder().setCheckpointId("c").setSoupId("a")
                    .setUri(checkpoint.toUri().toString()).setRunId("r").setProducedAt(Instant.EPOCH).build();
            Evaluation first = engine.checkpoint(event, soup("a", arch, heldOut));
            Evaluation second = engine.checkpoint(event, soup("b", arch, heldOut));
            Evaluation otherData = engine.checkpoint(event, soup("c", arch, otherHeldOut));

            assertThat(first.images()).isEqualTo(300);
            assertThat(second.images()).as("served from the scores of soup a").isZero();
            assertThat(second.heldOut()).isEqualTo(first.heldOut());
            assertThat(otherData.images()).as("other data is scored for real").isEqualTo(300);
        }
    }

    private static SoupDefinition soup(String id, Path arch, String heldOut) {
        return SoupDefinition.newBuilder().setSoupId(id).setArchitectureUri(arch.toUri().toString())
                .setHeldOutUri(heldOut).setShiftUris(Map.of()).setCreatedAt(Instant.EPOCH).build();
    }
}
