package io.souper.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks the Java codec against an independent reader/writer in Python (struct + json +
 * numpy, see src/test/resources/python/safetensors_interop.py) and the averager against
 * torch's own mean. Python and numpy are required: if /usr/bin/python3 or numpy is
 * missing these tests fail rather than skip.
 */
class SafetensorsPythonInteropTest {

    private static final String PYTHON = "/usr/bin/python3";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static Path script() throws Exception {
        return Path.of(SafetensorsPythonInteropTest.class.getResource("/python/safetensors_interop.py").toURI());
    }

    private record Result(int exitCode, String stdout, String stderr) {
    }

    private static Result python(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(PYTHON, script().toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).start();
        process.getOutputStream().close();
        // read both streams fully; the outputs are small
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread errReader = new Thread(() -> {
            try {
                process.getErrorStream().transferTo(err);
            } catch (IOException ignored) {
                // the exit code tells
            }
        });
        errReader.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("python did not finish: " + command);
        }
        errReader.join();
        return new Result(process.exitValue(), out, err.toString(StandardCharsets.UTF_8));
    }

    private static JsonNode pythonJson(String... args) throws Exception {
        Result r = python(args);
        assertThat(r.exitCode()).as("python %s failed:%n%s", List.of(args), r.stderr()).isZero();
        return JSON.readTree(r.stdout());
    }

    private static boolean hasTorch() throws Exception {
        return python("has-torch").exitCode() == 0;
    }

    /** Element values as Python's json would print them: doubles for floats, longs for integers. */
    private static List<Number> values(Tensor t) {
        ByteBuffer b = t.data();
        List<Number> out = new ArrayList<>();
        for (int i = 0; i < t.elementCount(); i++) {
            out.add(switch (t.dtype()) {
                case F64 -> b.getDouble(i * 8);
                case F32 -> (double) b.getFloat(i * 4);
                case F16 -> HalfFloats.f16ToDouble(b.getShort(i * 2));
                case BF16 -> HalfFloats.bf16ToDouble(b.getShort(i * 2));
                case I64 -> b.getLong(i * 8);
                case I32 -> (long) b.getInt(i * 4);
                case U8 -> (long) (b.get(i) & 0xff);
                case BOOL -> (long) b.get(i);
            });
        }
        return out;
    }

    private static List<Number> values(JsonNode array, DType dtype) {
        List<Number> out = new ArrayList<>();
        array.forEach(v -> out.add(dtype.isFloatingPoint() ? (Number) v.doubleValue() : (Number) v.longValue()));
        return out;
    }

    /** The file, read by Java, holds exactly what the Python description says. */
    private static void assertMatches(Path file, JsonNode description) {
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            JsonNode tensors = description.get("tensors");
            assertThat(reader.names()).hasSize(tensors.size());
            for (Iterator<Map.Entry<String, JsonNode>> it = tensors.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                TensorSpec spec = reader.spec(e.getKey());
                assertThat(spec.dtype().name()).as(e.getKey()).isEqualTo(e.getValue().get("dtype").asText());
                List<Long> shape = new ArrayList<>();
                e.getValue().get("shape").forEach(d -> shape.add(d.longValue()));
                assertThat(spec.shape()).as(e.getKey()).containsExactly(shape.stream().mapToLong(Long::longValue).toArray());
                assertThat(values(reader.map(e.getKey()))).as(e.getKey())
                        .containsExactlyElementsOf(values(e.getValue().get("values"), spec.dtype()));
            }
            Map<String, String> metadata = JSON.convertValue(description.get("metadata"), Map.class);
            assertThat(reader.metadata()).isEqualTo(metadata);
        }
    }

    private static List<Tensor> everyDtype(long seed) {
        List<Tensor> tensors = new ArrayList<>(TestTensors.randomModel(seed));
        int s = (int) seed;
        tensors.add(TestTensors.i32("ints", new long[] {3}, -5 - s, s, Integer.MAX_VALUE - 10 + s));
        tensors.add(TestTensors.bytes("pixels", DType.U8, new long[] {2}, s % 256, 255 - s % 7));
        tensors.add(TestTensors.bytes("mask", DType.BOOL, new long[] {2, 1}, 1, s % 2));
        tensors.add(TestTensors.f32("empty", new long[] {0, 3}));
        return tensors;
    }

    @Test
    void pythonReadsWhatJavaWrites() throws Exception {
        Path file = dir.resolve("java.safetensors");
        SafetensorsWriter.write(file, everyDtype(21), Map.of("format", "pt", "source", "souper"));
        JsonNode description = pythonJson("describe", file.toString());
        assertThat(description.get("key_order")).extracting(JsonNode::asText).isSorted();
        assertMatches(file, description);
    }

    @Test
    void javaReadsWhatNumpyWrites() throws Exception {
        Path file = dir.resolve("numpy.safetensors");
        JsonNode description = pythonJson("write-numpy", file.toString());
        List<String> order = new ArrayList<>();
        description.get("key_order").forEach(n -> order.add(n.asText()));
        assertThat(order).as("python wrote its header unsorted").isNotEqualTo(order.stream().sorted().toList());
        assertThat(description.get("tensors")).hasSize(8);
        assertMatches(file, description);
    }

    @Test
    void javaReadsWhatTorchWritesUnpadded() throws Exception {
        Assumptions.assumeTrue(hasTorch(), "torch is not importable by " + PYTHON);
        Path file = dir.resolve("torch.safetensors");
        JsonNode description = pythonJson("write-torch", file.toString());
        assertThat(description.get("tensors").get("norm.running_mean").get("dtype").asText()).isEqualTo("BF16");
        assertMatches(file, description);
    }

    /**
     * Souper's mean equals torch.stack(...).double().mean(0) cast to the dtype: byte for byte
     * for F32, F16 (cast by numpy, which rounds fp64 -> fp16 directly) and integers (floor);
     * within one ulp for F64, where torch's reduction may add in another order.
     */
    @Test
    void averagesEqualTorchMean() throws Exception {
        assertThat(hasTorch()).as("torch must be importable by " + PYTHON + " for the cross-check").isTrue();
        List<Path> inputs = new ArrayList<>();
        List<String> args = new ArrayList<>(List.of("mean", dir.resolve("torch-mean.safetensors").toString()));
        for (int i = 0; i < 7; i++) {
            Path p = dir.resolve("in" + i + ".safetensors");
            SafetensorsWriter.write(p, everyDtype(300 + i), Map.of());
            inputs.add(p);
            args.add(p.toString());
        }
        Path ours = dir.resolve("souper-mean.safetensors");
        try (OutputStream out = Files.newOutputStream(ours)) {
            TestTensors.average(dir, inputs, out); // the evaluator's path: a running sum, then the last one
        }
        Result r = python(args.toArray(String[]::new));
        assertThat(r.exitCode()).as("python mean failed:%n%s", r.stderr()).isZero();

        try (SafetensorsReader mine = SafetensorsReader.open(ours);
             SafetensorsReader torch = SafetensorsReader.open(dir.resolve("torch-mean.safetensors"))) {
            assertThat(torch.names()).hasSize(mine.names().size() - 1); // all but the BF16 tensor
            for (String name : torch.names()) {
                Tensor expected = torch.load(name);
                Tensor actual = mine.load(name);
                if (expected.dtype() == DType.F64) {
                    for (int i = 0; i < expected.elementCount(); i++) {
                        double e = expected.data().getDouble(i * 8);
                        assertThat(actual.data().getDouble(i * 8)).as(name).isCloseTo(e, Offset.offset(Math.ulp(e)));
                    }
                } else {
                    assertThat(actual).as(name + ": " + values(actual) + " vs torch " + values(expected)).isEqualTo(expected);
                }
            }
        }
    }
}
