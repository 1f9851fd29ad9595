package io.souper.scoring;

import ai.djl.Device;
import io.souper.data.FashionMnist;
import io.souper.testsupport.EvaluatorReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The engine alone: a checkpoint is run once per data, whatever the soups and ensembles asking. */
class EvaluationEngineTest {

    private static final Path IDX = FashionMnist.DEBIAN_DIRECTORY;

    @TempDir
    Path tmp;

    /** Trained once for the class: two short fine-tunes of the architecture by PyTorch. */
    @TempDir
    static Path shared;
    private static Path arch;
    private static List<Path> checkpoints;

    @BeforeAll
    static void makeCheckpoints() throws Exception {
        arch = Files.copy(Path.of("models/fmnist_cnn.pt"), shared.resolve("cnn.pt"), StandardCopyOption.REPLACE_EXISTING);
        checkpoints = EvaluatorReference.makeCheckpoints(arch, IDX, Files.createDirectories(shared.resolve("ckpt")), 2);
    }

    @Test
    void sameCheckpointOnTheSameDataIsScoredOnceAcrossSoups() throws Exception {
        String heldOut = IDX.toUri() + "?split=train&from=0&to=300";
        String otherHeldOut = IDX.toUri() + "?split=train&from=300&to=600";
        try (EvaluationEngine engine = new EvaluationEngine(settings(), Device.cpu())) {
            CheckpointRef c = ref("c", checkpoints.get(0));
            ScoringResult first = engine.score(ScoringRequest.checkpoint("c", soup("a", arch, heldOut, Map.of()), c));
            ScoringResult second = engine.score(ScoringRequest.checkpoint("c", soup("b", arch, heldOut, Map.of()), c));
            ScoringResult otherData = engine.score(ScoringRequest.checkpoint("c", soup("c", arch, otherHeldOut, Map.of()), c));

            assertThat(first.imagesScored()).isEqualTo(300);
            assertThat(second.imagesScored()).as("served from the scores of soup a").isZero();
            assertThat(second.heldOut()).isEqualTo(first.heldOut());
            assertThat(otherData.imagesScored()).as("other data is scored for real").isEqualTo(300);

            CheckpointRef d = ref("d", checkpoints.get(1));
            engine.score(ScoringRequest.checkpoint("d", soup("a", arch, heldOut, Map.of()), d));
            ScoringResult ensemble = engine.score(new ScoringRequest("e", ScoringRequest.What.ENSEMBLE,
                    soup("a", arch, heldOut, Map.of()), List.of(c, d), ScoringRequest.Splits.HELD_OUT));
            assertThat(ensemble.imagesScored()).as("both members' logits are known").isZero();
            assertThat(ensemble.heldOut().total()).isEqualTo(300);
            ScoringResult unseen = engine.score(new ScoringRequest("e", ScoringRequest.What.ENSEMBLE,
                    soup("c", arch, IDX.toUri() + "?split=train&from=600&to=700", Map.of()), List.of(c, d),
                    ScoringRequest.Splits.HELD_OUT));
            assertThat(unseen.imagesScored()).isEqualTo(200);
        }
    }

    /**
     * Scores come back by name, not by position: a shift that happens to be called "test" is
     * still a shift (and no test split is invented), and asking for held-out only leaves both out.
     */
    @Test
    void scoresAreNamedBySplitAndOnlyTheAskedSplitsAreScored() throws Exception {
        String heldOut = IDX.toUri() + "?split=train&from=0&to=100";
        Map<String, String> shifts = Map.of("test", IDX.toUri() + "?split=t10k&from=0&to=50",
                "contrast", IDX.toUri() + "?split=t10k&from=50&to=80&mean=0.5&std=0.25");
        SoupData soup = soup("s", arch, heldOut, shifts);
        try (EvaluationEngine engine = new EvaluationEngine(settings(), Device.cpu())) {
            CheckpointRef c = ref("c", checkpoints.get(0));
            CheckpointRef d = ref("d", checkpoints.get(1));
            ScoringResult all = engine.score(new ScoringRequest("r1", ScoringRequest.What.UNIFORM_AVERAGE, soup,
                    List.of(c, d), ScoringRequest.Splits.ALL));
            assertThat(all.heldOut().name()).isEqualTo("held-out");
            assertThat(all.heldOut().total()).isEqualTo(100);
            assertThat(all.test()).as("the soup has no test split").isEmpty();
            assertThat(all.shifts().keySet()).containsExactly("contrast", "test");
            assertThat(all.shifts().get("test").total()).isEqualTo(50);
            assertThat(all.shifts().get("contrast").total()).isEqualTo(30);
            assertThat(all.imagesScored()).isEqualTo(180);
            assertThat(all.artifact()).isPresent();
            assertThat(all.ingredients()).extracting(CheckpointRef::sha256).doesNotContainNull();

            ScoringResult heldOutOnly = engine.score(new ScoringRequest("r2", ScoringRequest.What.UNIFORM_AVERAGE,
                    soup, List.of(c, d), ScoringRequest.Splits.HELD_OUT));
            assertThat(heldOutOnly.shifts()).isEmpty();
            assertThat(heldOutOnly.heldOut()).isEqualTo(all.heldOut());
            assertThat(heldOutOnly.artifact().orElseThrow().sha256()).as("the same ingredients give the same bytes")
                    .isEqualTo(all.artifact().orElseThrow().sha256());
        }
    }

    private ScoringSettings settings() {
        return new ScoringSettings(List.of(tmp, shared, IDX), tmp.resolve("work"), Scorer.DEFAULT_BATCH_SIZE, 4, 16, 64, 10_000);
    }

    private static CheckpointRef ref(String id, Path file) {
        return new CheckpointRef(id, file.toUri().toString(), null, Map.of());
    }

    private static SoupData soup(String id, Path arch, String heldOut, Map<String, String> shifts) {
        return new SoupData(id, arch.toUri().toString(), heldOut, null, shifts);
    }
}
