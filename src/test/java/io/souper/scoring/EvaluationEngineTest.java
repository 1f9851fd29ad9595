package io.souper.scoring;

import ai.djl.Device;
import io.souper.data.FashionMnist;
import io.souper.events.CheckpointReady;
import io.souper.events.EvaluationRequest;
import io.souper.events.IngredientRef;
import io.souper.events.SubjectKind;
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

/** The engine alone: a checkpoint is run once per data, whatever the soups and ensembles asking. */
class EvaluationEngineTest {

    private static final Path IDX = FashionMnist.DEBIAN_DIRECTORY;

    @TempDir
    Path tmp;

    @Test
    void sameCheckpointOnTheSameDataIsScoredOnceAcrossSoups() throws Exception {
        Path arch = Files.copy(Path.of("models/fmnist_cnn.pt"), tmp.resolve("cnn.pt"), StandardCopyOption.REPLACE_EXISTING);
        List<Path> checkpoints = EvaluatorReference.makeCheckpoints(arch, IDX, Files.createDirectories(tmp.resolve("ckpt")), 2);
        Path checkpoint = checkpoints.get(0);
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

            CheckpointReady other = CheckpointReady.newBuilder(event).setCheckpointId("d")
                    .setUri(checkpoints.get(1).toUri().toString()).build();
            engine.checkpoint(other, soup("a", arch, heldOut));
            EvaluationRequest request = EvaluationRequest.newBuilder().setRequestId("e").setSoupId("a").setBaseVersion(0)
                    .setKind(SubjectKind.ENSEMBLE).setRequestedAt(Instant.EPOCH)
                    .setIngredients(List.of(ref("c", checkpoint), ref("d", checkpoints.get(1)))).build();
            Evaluation ensemble = engine.ensemble(request, soup("a", arch, heldOut));
            assertThat(ensemble.images()).as("both members' logits are known").isZero();
            assertThat(ensemble.heldOut().getTotal()).isEqualTo(300);
            Evaluation unseen = engine.ensemble(request, soup("c", arch, IDX.toUri() + "?split=train&from=600&to=700"));
            assertThat(unseen.images()).isEqualTo(200);
        }
    }

    private static IngredientRef ref(String id, Path file) {
        return IngredientRef.newBuilder().setCheckpointId(id).setUri(file.toUri().toString()).build();
    }

    private static SoupDefinition soup(String id, Path arch, String heldOut) {
        return SoupDefinition.newBuilder().setSoupId(id).setArchitectureUri(arch.toUri().toString())
                .setHeldOutUri(heldOut).setShiftUris(Map.of()).setCreatedAt(Instant.EPOCH).build();
    }
}
