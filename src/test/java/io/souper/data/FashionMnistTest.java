package io.souper.data;

import io.souper.errors.SouperException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.souper.testsupport.TorchReference;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.stream.IntStream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FashionMnistTest {

    private static final Path DIR = FashionMnist.DEBIAN_DIRECTORY;

    @Test
    void readsTheSameImagesAndLabelsAsNumpy() {
        LabeledImages slice = FashionMnist.load(DIR, "t10k", 0, 512, PixelNormalisation.FASHION_MNIST);
        JsonNode ref = TorchReference.run("idx-digest", "--dir", DIR.toString(), "--split", "t10k", "--start", "0",
                "--end", "512");

        assertThat(slice.size()).isEqualTo(ref.get("count").asInt()).isEqualTo(512);
        assertThat(slice.channels()).isEqualTo(1);
        assertThat(slice.height()).isEqualTo(28);
        assertThat(slice.width()).isEqualTo(28);
        assertThat(IntStream.of(slice.labels()).sum()).isEqualTo(ref.get("labelSum").asInt());
        for (int i = 0; i < ref.get("labelsHead").size(); i++) {
            assertThat(slice.labels()[i]).as("label %d", i).isEqualTo(ref.get("labelsHead").get(i).asInt());
        }
        // Bit-identical normalised floats: Java and torch compute (x/255 - mean)/std alike.
        assertThat(sha256(slice.inputs())).isEqualTo(ref.get("inputsSha256").asText());
        assertThat(slice.name()).isEqualTo("fashion-mnist/t10k[0:512]");
    }

    @Test
    void aSliceInTheMiddleOfTrainMatchesNumpy() {
        LabeledImages slice = FashionMnist.load(DIR, "train", 59000, 60000, PixelNormalisation.FASHION_MNIST);
        JsonNode ref = TorchReference.run("idx-digest", "--dir", DIR.toString(), "--split", "train", "--start",
                "59000", "--end", "60000");
        assertThat(slice.size()).isEqualTo(1000);
        assertThat(IntStream.of(slice.labels()).sum()).isEqualTo(ref.get("labelSum").asInt());
        assertThat(sha256(slice.inputs())).isEqualTo(ref.get("inputsSha256").asText());
    }

    @Test
    void theTestSplitHasAThousandImagesOfEachClass() {
        LabeledImages test = FashionMnist.load(DIR, "test");
        assertThat(test.size()).isEqualTo(10_000);
        int[] perClass = new int[FashionMnist.CLASSES];
        for (int y : test.labels()) {
            perClass[y]++;
        }
        assertThat(perClass).containsOnly(1000);
        assertThat(test.name()).isEqualTo("fashion-mnist/t10k");
    }

    @Test
    void plainAndGzippedFilesReadTheSame(@TempDir Path tmp) throws IOException {
        for (String base : new String[] {"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}) {
            try (InputStream in = new GZIPInputStream(Files.newInputStream(DIR.resolve(base + ".gz")));
                 OutputStream out = Files.newOutputStream(tmp.resolve(base))) {
                in.transferTo(out);
            }
        }
        LabeledImages plain = FashionMnist.load(tmp, "t10k", 100, 200, PixelNormalisation.FASHION_MNIST);
        LabeledImages gz = FashionMnist.load(DIR, "t10k", 100, 200, PixelNormalisation.FASHION_MNIST);
        assertThat(plain.inputs()).isEqualTo(gz.inputs());
        assertThat(plain.labels()).isEqualTo(gz.labels());
    }

    @Test
    void aTruncatedFileIsABadDataset(@TempDir Path tmp) throws IOException {
        byte[] labels;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(DIR.resolve("t10k-labels-idx1-ubyte.gz")))) {
            labels = in.readAllBytes();
        }
        Files.write(tmp.resolve("t10k-labels-idx1-ubyte"), java.util.Arrays.copyOf(labels, 5000));
        Files.copy(DIR.resolve("t10k-images-idx3-ubyte.gz"), tmp.resolve("t10k-images-idx3-ubyte.gz"));
        assertThatThrownBy(() -> FashionMnist.load(tmp, "t10k"))
                .isInstanceOfSatisfying(SouperException.class,
                        e -> assertThat(e.code()).isEqualTo(DatasetErrorCode.BAD_DATASET))
                .hasMessageContaining("truncated").hasMessageContaining("t10k-labels-idx1-ubyte");
    }

    @Test
    void labelsThatDoNotMatchTheImagesAreABadDataset(@TempDir Path tmp) throws IOException {
        Files.copy(DIR.resolve("t10k-images-idx3-ubyte.gz"), tmp.resolve("t10k-images-idx3-ubyte.gz"));
        Files.copy(DIR.resolve("train-labels-idx1-ubyte.gz"), tmp.resolve("t10k-labels-idx1-ubyte.gz"));
        assertThatThrownBy(() -> FashionMnist.load(tmp, "t10k"))
                .isInstanceOf(SouperException.class).hasMessageContaining("60000 labels for 10000 images");
    }

    @Test
    void missingFilesAndUnknownSplitsAreClearErrors(@TempDir Path tmp) {
        assertThatThrownBy(() -> FashionMnist.load(tmp, "t10k"))
                .isInstanceOfSatisfying(SouperException.class,
                        e -> assertThat(e.code()).isEqualTo(DatasetErrorCode.FILE_NOT_FOUND))
                .hasMessageContaining("t10k-images-idx3-ubyte");
        assertThatThrownBy(() -> FashionMnist.load(DIR, "validation"))
                .isInstanceOfSatisfying(SouperException.class,
                        e -> assertThat(e.code()).isEqualTo(DatasetErrorCode.BAD_URI))
                .hasMessageContaining("validation");
        assertThatThrownBy(() -> FashionMnist.load(DIR, "t10k", 9000, 10001, PixelNormalisation.FASHION_MNIST))
                .isInstanceOf(SouperException.class).hasMessageContaining("outside the 10000 images");
    }

    static String sha256(float[] values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes.array()));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
