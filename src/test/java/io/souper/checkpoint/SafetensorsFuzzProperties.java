package io.souper.checkpoint;

import io.souper.errors.SouperException;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Random damage to a valid file: the reader either accepts a file it can fully read or
 * refuses it with BAD_HEADER; it never fails any other way (no index errors, no
 * out-of-memory from a lying length, no JSON exceptions leaking out).
 */
class SafetensorsFuzzProperties {

    private static Path dir;
    private static byte[] valid;
    private static int headerEnd;

    @BeforeContainer
    static void writeValidFile() throws Exception {
        dir = Files.createTempDirectory("safetensors-fuzz");
        List<Tensor> tensors = TestTensors.randomModel(9);
        valid = Files.readAllBytes(TestTensors.writeModel(dir, "valid", tensors));
        headerEnd = 8 + (int) ByteBuffer.wrap(valid, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    @AfterContainer
    static void cleanUp() throws Exception {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Property(tries = 300)
    void flippedHeaderBytesAreAcceptedOrRefusedCleanly(@ForAll("positions") List<Integer> positions,
                                                       @ForAll byte value) throws Exception {
        byte[] damaged = valid.clone();
        for (int p : positions) {
            damaged[p % headerEnd] = value;
        }
        checkReadableOrBadHeader(damaged);
    }

    @Property(tries = 300)
    void headerTextEditsAreAcceptedOrRefusedCleanly(@ForAll("positions") List<Integer> positions,
                                                    @ForAll("jsonChars") char replacement) throws Exception {
        String header = new String(valid, 8, headerEnd - 8, StandardCharsets.UTF_8);
        char[] chars = header.toCharArray();
        for (int p : positions) {
            chars[p % chars.length] = replacement;
        }
        byte[] text = new String(chars).getBytes(StandardCharsets.UTF_8);
        ByteBuffer damaged = ByteBuffer.allocate(8 + text.length + valid.length - headerEnd).order(ByteOrder.LITTLE_ENDIAN);
        damaged.putLong(text.length).put(text).put(valid, headerEnd, valid.length - headerEnd);
        checkReadableOrBadHeader(damaged.array());
    }

    @Property(tries = 200)
    void truncatedOrExtendedFilesAreRefused(@ForAll("lengths") int length) throws Exception {
        if (length == valid.length) {
            return;
        }
        byte[] changed = Arrays.copyOf(valid, length);
        Path file = Files.write(Files.createTempFile(dir, "cut", ".safetensors"), changed);
        try {
            SafetensorsReader.open(file).close();
            throw new AssertionError("a file of " + length + " bytes instead of " + valid.length + " was accepted");
        } catch (SouperException e) {
            assertThat(e.code()).isEqualTo(CheckpointErrorCode.BAD_HEADER);
        } finally {
            Files.delete(file);
        }
    }

    private void checkReadableOrBadHeader(byte[] content) throws Exception {
        Path file = Files.write(Files.createTempFile(dir, "fuzz", ".safetensors"), content);
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            long covered = 0;
            for (TensorSpec spec : reader.tensors()) {
                assertThat(reader.load(spec.name()).byteSize()).isEqualTo(spec.byteSize());
                covered += spec.byteSize();
            }
            assertThat(covered).isEqualTo(reader.dataBytes());
            Map<String, String> metadata = reader.metadata();
            assertThat(metadata).isNotNull();
        } catch (SouperException e) {
            assertThat(e.code()).isEqualTo(CheckpointErrorCode.BAD_HEADER);
            assertThat(e.getMessage()).contains(file.toString());
        } finally {
            Files.delete(file);
        }
    }

    @Provide
    Arbitrary<List<Integer>> positions() {
        return Arbitraries.integers().between(0, Integer.MAX_VALUE).list().ofMinSize(1).ofMaxSize(4);
    }

    @Provide
    Arbitrary<Character> jsonChars() {
        return Arbitraries.of('{', '}', '[', ']', '"', ',', ':', '0', '1', '9', '-', '.', 'e', ' ', 'F', 'U', '\\', 'x');
    }

    @Provide
    Arbitrary<Integer> lengths() {
        return Arbitraries.integers().between(0, valid.length + 64);
    }
}
