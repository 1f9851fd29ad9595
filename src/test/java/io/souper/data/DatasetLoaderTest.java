package io.souper.data;

import io.souper.errors.SouperException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.net.URI;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetLoaderTest {

    private static final String FMNIST = "file:///usr/share/datasets/fashion-mnist";

    @TempDir
    Path tmp;

    @Test
    void idxUrisSelectASplitAndARange() {
        LabeledImages viaUri = DatasetLoader.load(FMNIST + "?split=t10k&from=10&to=74");
        LabeledImages direct = FashionMnist.load(FashionMnist.DEBIAN_DIRECTORY, "t10k", 10, 74,
                PixelNormalisation.FASHION_MNIST);
        assertThat(viaUri.inputs()).isEqualTo(direct.inputs());
        assertThat(viaUri.labels()).isEqualTo(direct.labels());
        assertThat(viaUri.name()).isEqualTo("fashion-mnist/t10k[10:74]");

        DatasetUri parsed = DatasetUri.parse(URI.create(FMNIST + "?format=idx&split=test&to=5"));
        assertThat(parsed.format()).isEqualTo(DatasetFormat.IDX);
        assertThat(parsed.split()).isEqualTo("t10k");
        assertThat(parsed.path()).isEqualTo(Path.of("/usr/share/datasets/fashion-mnist"));
        assertThat(DatasetLoader.load(parsed.uri()).size()).isEqualTo(5);
    }

    @Test
    void meanAndStdOverrideTheNormalisation() {
        LabeledImages raw = DatasetLoader.load(FMNIST + "?split=t10k&to=1&mean=0&std=1");
        LabeledImages normal = DatasetLoader.load(FMNIST + "?split=t10k&to=1");
        for (int i = 0; i < raw.inputs().length; i++) {
            assertThat(raw.inputs()[i]).isBetween(0f, 1f);
            assertThat(normal.inputs()[i]).isCloseTo((raw.inputs()[i] - 0.2860f) / 0.3530f, within(1e-5f));
        }
    }

    @Test
    void safetensorsFilesAndShardDirectories() {
        LabeledImages slice = FashionMnist.load(FashionMnist.DEBIAN_DIRECTORY, "t10k", 0, 100,
                PixelNormalisation.FASHION_MNIST);
        Path file = tmp.resolve("heldout.safetensors");
        DatasetFiles.write(file, slice);
        assertThat(DatasetLoader.load(file.toUri()).labels()).isEqualTo(slice.labels());
        LabeledImages part = DatasetLoader.load(URI.create(file.toUri() + "?from=20&to=30"));
        assertThat(part.labels()).isEqualTo(slice.slice("x", 20, 30).labels());
        assertThat(part.name()).isEqualTo("heldout[20:30]");

        Path dir = tmp.resolve("shards");
        dir.toFile().mkdirs();
        DatasetFiles.write(dir.resolve("0.safetensors"), slice.slice("a", 0, 50));
        DatasetFiles.write(dir.resolve("1.safetensors"), slice.slice("b", 50, 100));
        assertThat(DatasetLoader.load(dir).inputs()).isEqualTo(slice.inputs());
        assertThat(DatasetUri.of(dir).format()).isEqualTo(DatasetFormat.SAFETENSORS);
    }

    @Test
    void badUrisAreRefusedWithTheReason() {
        assertBadUri("http://example.com/data.safetensors", "only file: URIs");
        assertBadUri(FMNIST + "?split=t10k&limit=5", "unknown parameter 'limit'");
        assertBadUri(FMNIST + "?format=idx", "needs split=train or split=t10k");
        assertBadUri(FMNIST + "?split=validation", "unknown IDX split 'validation'");
        assertBadUri(FMNIST + "?split=t10k&from=abc", "from='abc' is not an integer");
        assertBadUri(FMNIST + "?split=t10k&from=20&to=10", "bad range");
        assertBadUri(FMNIST + "?split=t10k&to=10001", "outside the 10000 images");
        assertBadUri(FMNIST + "?split=t10k&mean=0.5", "give both mean and std");
        assertBadUri(FMNIST + "?format=csv", "unknown format 'csv'");
        assertBadUri(FMNIST, "for IDX files add ?split=");
        assertBadUri(FMNIST + "?split=t10k&split=train", "given twice");
        assertThatThrownBy(() -> DatasetLoader.load("file:///no/such/place.safetensors"))
                .isInstanceOfSatisfying(SouperException.class,
                        e -> assertThat(e.code()).isEqualTo(DatasetErrorCode.FILE_NOT_FOUND));
    }

    private static void assertBadUri(String uri, String message) {
        assertThatThrownBy(() -> DatasetLoader.load(uri))
                .isInstanceOfSatisfying(SouperException.class,
                        e -> assertThat(e.code()).isEqualTo(DatasetErrorCode.BAD_URI))
                .hasMessageContaining(message);
    }
}
