package io.souper.checkpoint;

import io.souper.errors.SouperException;
import static io.souper.checkpoint.TestTensors.f32;
import static io.souper.checkpoint.TestTensors.shape;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsRoundTripTest {

    @TempDir
    Path dir;

    @Test
    void everyDtypeAndMetadataSurviveAWriteAndRead() {
        List<Tensor> tensors = new ArrayList<>(TestTensors.randomModel(1));
        tensors.add(TestTensors.i32("ints", shape(3), -5, 0, Integer.MAX_VALUE));
        tensors.add(TestTensors.bytes("pixels", DType.U8, shape(2), 0, 255));
        tensors.add(TestTensors.bytes("mask", DType.BOOL, shape(2, 1), 1, 0));
        tensors.add(f32("empty", shape(0, 7)));
        Path file = dir.resolve("all.safetensors");
        Map<String, String> metadata = Map.of("format", "pt", "note", "héllo \"quoted\"");
        SafetensorsWriter.write(file, tensors, metadata);

        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            assertThat(reader.metadata()).isEqualTo(metadata);
            assertThat(reader.names()).containsExactlyElementsOf(tensors.stream().map(Tensor::name).sorted().toList());
            for (Tensor t : tensors) {
                assertThat(reader.spec(t.name())).isEqualTo(TensorSpec.of(t));
                assertThat(reader.map(t.name())).isEqualTo(t);
                assertThat(reader.load(t.name())).isEqualTo(t);
            }
        }
    }

    @Test
    void outputIsDeterministicWhateverTheInputOrderAndHeaderIsPaddedWithSpaces() throws Exception {
        List<Tensor> tensors = new ArrayList<>(TestTensors.randomModel(2));
        Path first = dir.resolve("a.safetensors");
        Path second = dir.resolve("b.safetensors");
        SafetensorsWriter.write(first, tensors, Map.of("b", "2", "a", "1"));
        Collections.reverse(tensors);
        SafetensorsWriter.write(second, tensors, Map.of("a", "1", "b", "2"));
        byte[] bytes = Files.readAllBytes(first);
        assertThat(bytes).isEqualTo(Files.readAllBytes(second));

        long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertThat(n % 8).isZero();
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        assertThat(header).startsWith("{\"__metadata__\":{\"a\":\"1\",\"b\":\"2\"},\"conv.weight\":");
        assertThat(header.substring(header.lastIndexOf('}') + 1)).matches(" {0,7}");
    }

    @Test
    void windowsAndPositionalReadsSeeTheSameBytes() {
        float[] values = TestTensors.randomFloats(new java.util.Random(3), 1000);
        Tensor t = f32("w", shape(10, 100), values);
        Path file = TestTensors.writeModel(dir, "w", List.of(t, f32("a", shape(1), 1f)));
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            ByteBuffer window = reader.map("w", 400, 40);
            ByteBuffer read = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN);
            reader.read("w", 400, read);
            read.flip();
            for (int i = 0; i < 10; i++) {
                assertThat(window.getFloat(i * 4)).isEqualTo(values[100 + i]);
                assertThat(read.getFloat(i * 4)).isEqualTo(values[100 + i]);
            }
            assertThatThrownBy(() -> reader.map("w", 3990, 20)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> reader.map("nope", 0, 4))
                    .isInstanceOf(SouperException.class).hasMessageContaining("no tensor named 'nope'");
        }
    }

    @Test
    void streamingWriterTakesChunksAndRefusesWrongOrderOrIncompleteFiles() throws Exception {
        Tensor a = f32("a", shape(4), 1, 2, 3, 4);
        Tensor b = f32("b", shape(2), 5, 6);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SafetensorsWriter writer = SafetensorsWriter.open(out, List.of(TensorSpec.of(b), TensorSpec.of(a)), Map.of());
        assertThatThrownBy(() -> writer.write(b)).hasMessageContaining("expected bytes of tensor 'a'");
        ByteBuffer bytes = a.data();
        writer.writeData("a", bytes.slice(0, 8));
        assertThatThrownBy(writer::finish).hasMessageContaining("tensor 'a' and 1 more were not written");
        writer.writeData("a", bytes.slice(8, 8));
        assertThatThrownBy(() -> writer.writeData("b", ByteBuffer.allocate(12)))
                .hasMessageContaining("has only 8 bytes left");
        writer.write(b);
        writer.finish();

        Path file = dir.resolve("chunked.safetensors");
        Files.write(file, out.toByteArray());
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            assertThat(reader.load("a")).isEqualTo(a);
            assertThat(reader.load("b")).isEqualTo(b);
        }
    }

    @Test
    void writerRefusesDuplicateAndReservedNames() {
        TensorSpec spec = new TensorSpec("x", DType.F32, shape(1));
        assertThatThrownBy(() -> SafetensorsWriter.open(new ByteArrayOutputStream(), List.of(spec, spec), Map.of()))
                .hasMessageContaining("duplicate tensor name 'x'");
        assertThatThrownBy(() -> SafetensorsWriter.open(new ByteArrayOutputStream(),
                List.of(new TensorSpec("__metadata__", DType.F32, shape(1))), Map.of()))
                .hasMessageContaining("reserved");
    }

    /** A sparse file of 2.5 GiB: offsets beyond 2^31 must be read correctly, one mapping per tensor. */
    @Test
    void filesLargerThanTwoGibibytesAreReadWithSixtyFourBitOffsets() throws Exception {
        long big = 1_500_000_000L;
        long second = 1_000_000_000L;
        List<TensorSpec> specs = List.of(new TensorSpec("a", DType.U8, shape(big)), new TensorSpec("b", DType.U8, shape(second)));
        byte[] header = SafetensorsWriter.headerBytes(specs, Map.of());
        Path file = dir.resolve("huge.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.write(header);
            raf.setLength(header.length + big + second);
            raf.seek(header.length + big + second - 3);
            raf.write(new byte[] {7, 8, 9});
        }
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            assertThat(reader.dataBytes()).isEqualTo(big + second);
            ByteBuffer tail = reader.map("b", second - 3, 3);
            assertThat(new byte[] {tail.get(0), tail.get(1), tail.get(2)}).containsExactly(7, 8, 9);
            Tensor whole = reader.map("b");
            assertThat(whole.data().get((int) second - 1)).isEqualTo((byte) 9);
        }
    }
}
