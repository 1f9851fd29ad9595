package io.souper.scoring;

import io.souper.errors.SouperException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import io.souper.checkpoint.DType;
import io.souper.checkpoint.SafetensorsReader;
import io.souper.checkpoint.Tensor;
import io.souper.data.FashionMnist;
import io.souper.data.LabeledImages;
import io.souper.data.PixelNormalisation;
import io.souper.testsupport.TorchReference;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The evaluator's scores against PyTorch itself: the same TorchScript file, the same
 * safetensors weights and the same Fashion-MNIST images through /usr/bin/python3 and torch.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ScorerTest {

    private static final Path ARCH = Path.of("models/fmnist_cnn.pt");
    private static final Path DATA_DIR = FashionMnist.DEBIAN_DIRECTORY;
    private static final int N = 512;

    @TempDir
    static Path tmp;

    private LabeledImages data;
    private TorchScriptArchitecture cnn;
    private Map<String, Tensor> ckpt0;
    private Map<String, Tensor> ckpt1;
    private JsonNode reference;

    @BeforeAll
    void trainTwoCheckpointsAndScoreThemInPython() {
        data = FashionMnist.load(DATA_DIR, "t10k", 0, N, PixelNormalisation.FASHION_MNIST);
        TorchReference.run("make-checkpoints", "--arch", ARCH.toString(), "--dir", DATA_DIR.toString(),
                "--out", tmp.toString(), "--count", "2");
        ckpt0 = readStateDict(tmp.resolve("ckpt-0.safetensors"));
        ckpt1 = readStateDict(tmp.resolve("ckpt-1.safetensors"));
        reference = TorchReference.run("score", "--arch", ARCH.toString(), "--dir", DATA_DIR.toString(),
                "--split", "t10k", "--start", "0", "--end", Integer.toString(N),
                "--state", tmp.resolve("ckpt-0.safetensors").toString(),
                "--state", tmp.resolve("ckpt-1.safetensors").toString(),
                "--logits-prefix", tmp.resolve("logits").toString());
        cnn = TorchScriptArchitecture.load(ARCH, Device.cpu());
    }

    @AfterAll
    void close() {
        cnn.close();
    }

    @Test
    void theArchitectureListsTheStateDictKeysInModuleOrder() {
        assertThat(cnn.stateDictTensors().values().stream().filter(t -> !t.buffer()).map(ArchitectureTensor::name))
                .containsExactly("conv1.weight", "conv1.bias", "gn1.weight", "gn1.bias",
                "conv2.weight", "conv2.bias", "gn2.weight", "gn2.bias", "fc1.weight", "fc1.bias", "fc2.weight",
                "fc2.bias");
        assertThat(cnn.stateDictTensors().values()).noneMatch(ArchitectureTensor::buffer);
        assertThat(cnn.exportsBuffers()).isTrue(); // make_cnn.py exports through souper_export.py
        assertThat(cnn.stateDictTensors().get("fc1.weight").shape()).containsExactly(128, 64 * 7 * 7);
        assertThat(cnn.stateDictTensors().get("fc1.weight").dtype()).isEqualTo(DType.F32);
    }

    @Test
    void accuracyAndLogitsEqualPyTorchs() throws IOException {
        Scorer scorer = new Scorer(cnn, Scorer.DEFAULT_BATCH_SIZE);
        for (int k = 0; k < 2; k++) {
            cnn.loadStateDict(k == 0 ? ckpt0 : ckpt1);
            ScoreResult result = scorer.scoreWithLogits(data);
            assertThat(result.total()).isEqualTo(N);
            assertThat(result.classes()).isEqualTo(10);
            assertThat(result.correct()).as("checkpoint %d", k).isEqualTo(reference.get("correct").get(k).asLong());
            float[] expected = readFloats(tmp.resolve("logits-" + k + ".f32"));
            float[] actual = result.logits();
            assertThat(actual).hasSameSizeAs(expected);
            for (int i = 0; i < expected.length; i++) {
                assertThat(actual[i]).as("checkpoint %d logit %d", k, i).isCloseTo(expected[i], within(1e-4f));
            }
        }
        // The checkpoints were trained a little: argmax comparisons are meaningful, not chance.
        assertThat(reference.get("correct").get(0).asInt()).isGreaterThan(N / 4);
    }

    @Test
    void aMemoryMappedCheckpointLoadsStraightFromTheFile() throws IOException {
        try (SafetensorsReader reader = SafetensorsReader.open(tmp.resolve("ckpt-1.safetensors"))) {
            cnn.loadStateDict(reader);
        }
        ScoreResult result = new Scorer(cnn, Scorer.DEFAULT_BATCH_SIZE).scoreWithLogits(data);
        assertThat(result.correct()).isEqualTo(reference.get("correct").get(1).asLong());
        float[] expected = readFloats(tmp.resolve("logits-1.f32"));
        assertThat(result.logits()[0]).isCloseTo(expected[0], within(1e-4f));
    }

    @Test
    void scoringIsDeterministicAcrossWeightSwaps() {
        Scorer scorer = new Scorer(cnn, Scorer.DEFAULT_BATCH_SIZE);
        cnn.loadStateDict(ckpt0);
        ScoreResult first = scorer.scoreWithLogits(data);
        cnn.loadStateDict(ckpt1);
        ScoreResult other = scorer.scoreWithLogits(data);
        cnn.loadStateDict(ckpt0);
        ScoreResult again = scorer.scoreWithLogits(data);
        assertThat(again.logits()).isEqualTo(first.logits());
        assertThat(again.correct()).isEqualTo(first.correct());
        assertThat(other.logits()).isNotEqualTo(first.logits());
        assertThat(scorer.score(data).logits()).as("kept only when asked for").isNull();
        assertThat(scorer.score(data).correct()).isEqualTo(first.correct());
    }

    @Test
    void ensembleOfLogitsEqualsPyTorchs() {
        ScoreResult ensemble = ensemble(Scorer.DEFAULT_BATCH_SIZE, List.of(ckpt0, ckpt1));
        assertThat(ensemble.correct()).isEqualTo(reference.get("ensembleCorrect").asLong());
        assertThat(ensemble.total()).isEqualTo(N);
        // A batch size that does not divide the split changes nothing.
        ScoreResult odd = ensemble(100, List.of(ckpt0, ckpt1));
        assertThat(odd.correct()).isEqualTo(ensemble.correct());
    }

    @Test
    void perImageMarksAreTheArgmaxOfTheLogitsAndAgreeWithTheCount() {
        cnn.loadStateDict(ckpt1);
        ScoreResult result = new Scorer(cnn, Scorer.DEFAULT_BATCH_SIZE).scoreWithLogits(data);
        assertThat(result.right()).isEqualTo(argmaxMarks(result.logits()));
        assertThat(result.right().cardinality()).isEqualTo((int) result.correct());
        // batches that do not divide the split mark the same images, and without logits too
        assertThat(new Scorer(cnn, 100).score(data).right()).isEqualTo(result.right());
        ScoreResult ensemble = ensemble(Scorer.DEFAULT_BATCH_SIZE, List.of(ckpt0, ckpt1));
        assertThat(ensemble.right()).isEqualTo(argmaxMarks(ensemble.logits()));
        assertThat(ensemble.right().cardinality()).isEqualTo((int) ensemble.correct());
        SplitScore split = SplitScore.of("held-out", result);
        java.util.BitSet decoded = java.util.BitSet.valueOf(split.rightAsBytes());
        assertThat(split.rightAsBytes()).hasSize((N + 7) / 8);
        assertThat(decoded).isEqualTo(result.right());
    }

    /** Which images the test itself finds right from the logits, independently of the scorer's loop. */
    private java.util.BitSet argmaxMarks(float[] logits) {
        java.util.BitSet marks = new java.util.BitSet();
        for (int i = 0; i < N; i++) {
            int best = 0;
            for (int c = 1; c < 10; c++) {
                if (logits[i * 10 + c] > logits[i * 10 + best]) {
                    best = c;
                }
            }
            if (best == data.labels()[i]) {
                marks.set(i);
            }
        }
        return marks;
    }

    /** What the engine does for an ensemble: each member's logits, summed by {@link EnsembleLogits}. */
    private ScoreResult ensemble(int batchSize, List<Map<String, Tensor>> members) {
        Scorer scorer = new Scorer(cnn, batchSize);
        EnsembleLogits ensemble = new EnsembleLogits(data.name(), data.labels(), 10);
        for (Map<String, Tensor> member : members) {
            cnn.loadStateDict(member);
            ensemble.add(scorer.scoreWithLogits(data));
        }
        return ensemble.result();
    }

    @Test
    void otherFloatDtypesAreConvertedToTheParameters() {
        Scorer scorer = new Scorer(cnn, Scorer.DEFAULT_BATCH_SIZE);
        cnn.loadStateDict(ckpt0);
        ScoreResult f32 = scorer.scoreWithLogits(data);
        cnn.loadStateDict(convert(ckpt0, DType.F64));
        ScoreResult f64 = scorer.scoreWithLogits(data);
        // F32 -> F64 -> F32 is exact, so the scores are identical.
        assertThat(f64.logits()).isEqualTo(f32.logits());
        cnn.loadStateDict(convert(ckpt0, DType.F16));
        ScoreResult f16 = scorer.score(data);
        assertThat(f16.correct()).isCloseTo(f32.correct(), within(5L));
    }

    @Test
    void missingAndUnexpectedKeysAreNamed() {
        Map<String, Tensor> missing = new LinkedHashMap<>(ckpt0);
        missing.remove("fc2.bias");
        assertThatThrownBy(() -> cnn.loadStateDict(missing))
                .isInstanceOfSatisfying(SouperException.class,
                        e -> assertThat(e.code()).isEqualTo(ScoringErrorCode.KEY_MISMATCH))
                .hasMessageContaining("missing key(s) [fc2.bias]");

        Map<String, Tensor> extra = new LinkedHashMap<>(ckpt0);
        extra.put("head.weight", f32("head.weight", new long[] {2}, 1f, 2f));
        assertThatThrownBy(() -> cnn.loadStateDict(extra))
                .isInstanceOfSatisfying(SouperException.class,
                        e -> assertThat(e.code()).isEqualTo(ScoringErrorCode.KEY_MISMATCH))
                .hasMessageContaining("unexpected key(s) [head.weight]");
    }

    @Test
    void aShapeMismatchNamesTheTensorAndBothShapes() {
        Map<String, Tensor> wrong = new LinkedHashMap<>(ckpt0);
        wrong.put("fc2.bias", f32("fc2.bias", new long[] {11}, new float[11]));
        assertThatThrownBy(() -> cnn.loadStateDict(wrong))
                .isInstanceOfSatisfying(SouperException.class,
                        e -> assertThat(e.code()).isEqualTo(ScoringErrorCode.SHAPE_MISMATCH))
                .hasMessageContaining("'fc2.bias'").hasMessageContaining("[11]").hasMessageContaining("[10]");
    }

    @Test
    void anIntegerTensorForAFloatParameterIsADtypeMismatch() {
        Map<String, Tensor> wrong = new LinkedHashMap<>(ckpt0);
        ByteBuffer ints = ByteBuffer.allocate(10 * 8).order(ByteOrder.LITTLE_ENDIAN);
        wrong.put("fc2.bias", new Tensor("fc2.bias", DType.I64, new long[] {10}, ints));
        assertThatThrownBy(() -> cnn.loadStateDict(wrong))
                .isInstanceOfSatisfying(SouperException.class,
                        e -> assertThat(e.code()).isEqualTo(ScoringErrorCode.DTYPE_MISMATCH))
                .hasMessageContaining("'fc2.bias'").hasMessageContaining("I64");
    }

    @Test
    void nonFiniteWeightsAreRefusedAndLeaveThePreviousWeightsInPlace() {
        Scorer scorer = new Scorer(cnn, Scorer.DEFAULT_BATCH_SIZE);
        cnn.loadStateDict(ckpt0);
        ScoreResult before = scorer.scoreWithLogits(data);

        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
            Map<String, Tensor> poisoned = new LinkedHashMap<>(ckpt1);
            poisoned.put("fc1.weight", withValue(ckpt1.get("fc1.weight"), 12345, bad));
            assertThatThrownBy(() -> cnn.loadStateDict(poisoned))
                    .isInstanceOfSatisfying(SouperException.class,
                            e -> assertThat(e.code()).isEqualTo(ScoringErrorCode.NON_FINITE_WEIGHTS))
                    .hasMessageContaining("'fc1.weight'").hasMessageContaining("1 NaN or infinite");
        }
        // F64 values beyond float range overflow to infinity on conversion: refused as well.
        Map<String, Tensor> huge = convert(ckpt1, DType.F64);
        ByteBuffer big = ByteBuffer.allocate(10 * 8).order(ByteOrder.LITTLE_ENDIAN);
        big.putDouble(3 * 8, 1e300).rewind();
        huge.put("fc2.bias", new Tensor("fc2.bias", DType.F64, new long[] {10}, big));
        assertThatThrownBy(() -> cnn.loadStateDict(huge))
                .isInstanceOf(SouperException.class).hasMessageContaining("NON_FINITE_WEIGHTS")
                .hasMessageContaining("after conversion from F64 to F32");

        // Nothing of the refused checkpoints was copied: ckpt0 still scores as before.
        assertThat(cnn.weightsComplete()).isTrue();
        assertThat(scorer.scoreWithLogits(data).logits()).isEqualTo(before.logits());
    }

    @Test
    void imagesOfTheWrongShapeAreAnInputMismatch() {
        LabeledImages wrong = new LabeledImages("wrong", new float[2 * 3 * 28 * 28], new int[] {0, 1}, 3, 28, 28);
        assertThatThrownBy(() -> new Scorer(cnn, Scorer.DEFAULT_BATCH_SIZE).score(wrong))
                .isInstanceOfSatisfying(SouperException.class,
                        e -> assertThat(e.code()).isEqualTo(ScoringErrorCode.INPUT_MISMATCH))
                .hasMessageContaining("(2, 3, 28, 28)");
    }

    @Test
    void labelsBeyondTheNetworksClassesAreRefused() {
        cnn.loadStateDict(ckpt0);
        LabeledImages slice = data.slice("two", 0, 2);
        LabeledImages bad = new LabeledImages("bad", slice.inputs(), new int[] {3, 10}, 1, 28, 28);
        assertThatThrownBy(() -> new Scorer(cnn, Scorer.DEFAULT_BATCH_SIZE).score(bad))
                .isInstanceOfSatisfying(SouperException.class,
                        e -> assertThat(e.code()).isEqualTo(ScoringErrorCode.LABEL_OUT_OF_RANGE))
                .hasMessageContaining("label 10");
    }

    @Test
    void aFileThatIsNotTorchScriptIsRefused() throws IOException {
        Path notZip = Files.writeString(tmp.resolve("model.pt"), "not a model");
        assertThatThrownBy(() -> TorchScriptArchitecture.load(notZip, Device.cpu()))
                .isInstanceOfSatisfying(SouperException.class,
                        e -> assertThat(e.code()).isEqualTo(ScoringErrorCode.BAD_ARCHITECTURE));
        assertThatThrownBy(() -> TorchScriptArchitecture.load(tmp.resolve("absent.pt"), Device.cpu()))
                .isInstanceOfSatisfying(SouperException.class,
                        e -> assertThat(e.code()).isEqualTo(ScoringErrorCode.FILE_NOT_FOUND));
    }

    // ---- helpers ----

    static Map<String, Tensor> readStateDict(Path file) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            for (String name : reader.names()) {
                out.put(name, reader.load(name));
            }
        }
        return out;
    }

    static float[] readFloats(Path file) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[bytes.remaining() / 4];
        bytes.asFloatBuffer().get(out);
        return out;
    }

    static Tensor f32(String name, long[] shape, float... values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        return new Tensor(name, DType.F32, shape, bytes);
    }

    static Tensor withValue(Tensor t, int index, float value) {
        ByteBuffer copy = ByteBuffer.allocate((int) t.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        copy.put(t.data()).flip();
        copy.putFloat(index * 4, value);
        return new Tensor(t.name(), t.dtype(), t.shape(), copy);
    }

    /** F32 tensors re-encoded as F64 or F16 (round to nearest even for F16). */
    static Map<String, Tensor> convert(Map<String, Tensor> stateDict, DType to) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Tensor t : stateDict.values()) {
            int n = (int) t.elementCount();
            ByteBuffer src = t.data();
            ByteBuffer dst = ByteBuffer.allocate(n * to.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                float v = src.getFloat(i * 4);
                if (to == DType.F64) {
                    dst.putDouble(v);
                } else {
                    dst.putShort(toHalf(v));
                }
            }
            out.put(t.name(), new Tensor(t.name(), to, t.shape(), dst.flip()));
        }
        return out;
    }

    /** Float to IEEE half, rounding half up (close enough for a closeness test); no NaN input. */
    static short toHalf(float value) {
        int bits = Float.floatToIntBits(value);
        int sign = bits >>> 16 & 0x8000;
        int val = (bits & 0x7fffffff) + 0x1000;
        if (val >= 0x47800000) {
            return (short) (sign | 0x7c00);
        }
        if (val >= 0x38800000) {
            return (short) (sign | val - 0x38000000 >>> 13);
        }
        if (val < 0x33000000) {
            return (short) sign;
        }
        val = (bits & 0x7fffffff) >>> 23;
        return (short) (sign | ((bits & 0x7fffff | 0x800000) + (0x800000 >>> val - 102) >>> 126 - val));
    }
}
