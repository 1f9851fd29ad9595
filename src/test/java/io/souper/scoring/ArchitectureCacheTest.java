package io.souper.scoring;

import io.souper.errors.SouperException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArchitectureCacheTest {

    private static final Path CNN = Path.of("models/fmnist_cnn.pt");

    @TempDir
    Path tmp;

    @Test
    void loadsOnceEvictsTheLeastRecentlyUsedAndReloadsAReplacedFile() throws IOException {
        Path a = Files.copy(CNN, tmp.resolve("a.pt"));
        Path b = Files.copy(CNN, tmp.resolve("b.pt"));
        try (ArchitectureCache cache = new ArchitectureCache(Device.cpu(), 1)) {
            TorchScriptArchitecture first = cache.get(a);
            assertThat(cache.get(tmp.resolve("./a.pt"))).isSameAs(first);

            TorchScriptArchitecture second = cache.get(b);
            assertThat(second).isNotSameAs(first);
            // The evicted architecture was closed (its native model freed).
            assertThatThrownBy(() -> first.loadStateDict(Map.of())).isInstanceOf(IllegalStateException.class);

            Files.copy(CNN, b, StandardCopyOption.REPLACE_EXISTING);
            Files.setLastModifiedTime(b, FileTime.fromMillis(Files.getLastModifiedTime(b).toMillis() + 5000));
            TorchScriptArchitecture reloaded = cache.get(b);
            assertThat(reloaded).isNotSameAs(second);
            assertThat(cache.get(b)).as("the new file is cached in turn").isSameAs(reloaded);
            // the replaced file's architecture was closed, not leaked
            assertThatThrownBy(() -> second.loadStateDict(Map.of())).isInstanceOf(IllegalStateException.class);
        }
        assertThatThrownBy(() -> new ArchitectureCache(Device.cpu(), 2).get(tmp.resolve("absent.pt")))
                .isInstanceOfSatisfying(SouperException.class,
                        e -> assertThat(e.code()).isEqualTo(ScoringErrorCode.FILE_NOT_FOUND));
    }
}
