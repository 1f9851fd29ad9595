package io.souper.checkpoint;

import io.souper.errors.SouperException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FileCheckpointStoreTest {

    private static final String HELLO_SHA = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

    @TempDir
    Path tmp;
    Path root;
    Path outside;
    FileCheckpointStore store;
    Path checkpoint;

    @BeforeEach
    void setUp() throws IOException {
        root = Files.createDirectories(tmp.resolve("ckpt"));
        outside = Files.createDirectories(tmp.resolve("ckpt-evil"));
        store = new FileCheckpointStore(List.of(root));
        checkpoint = Files.writeString(Files.createDirectories(root.resolve("run1")).resolve("model.safetensors"), "hello");
        Files.writeString(outside.resolve("secret"), "secret");
    }

    private static void assertCode(Runnable action, CheckpointErrorCode code, String message) {
        assertThatThrownBy(action::run).isInstanceOfSatisfying(SouperException.class, e -> {
            assertThat(e.code()).isEqualTo(code);
            assertThat(e.getMessage()).contains(message);
        });
    }

    @Test
    void resolvesFileUrisInsideTheRoots() throws IOException {
        String uri = checkpoint.toUri().toString();
        assertThat(uri).startsWith("file:///");
        assertThat(store.resolve(uri)).isEqualTo(checkpoint.toRealPath());
        assertThat(store.resolve("file:" + checkpoint)).isEqualTo(checkpoint.toRealPath());
        assertThat(store.uriOf(checkpoint)).isEqualTo(uri);
        try (InputStream in = store.openRead(uri)) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("hello");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"s3://bucket/run1/model.safetensors", "http://host/x", "run1/model.safetensors",
        "file:run1/model.safetensors", "file://otherhost/ROOT/run1/model.safetensors", "file:///ROOT/run1/model.safetensors?x=1",
        "file:///ROOT/run1/model.safetensors#frag", "file:///ROOT/run1/../run1/model.safetensors",
        "file:///ROOT/run1/%2e%2e/run1/model.safetensors", "file:///ROOT/./run1/model.safetensors",
        "file:///ROOT//run1/model.safetensors", "file:///ROOT/run1/", "file:///ROOT/a b", "file:///ROOT/run1/model%00.safetensors"})
    void refusesUrisThatAreNotPlainNormalisedFileUris(String template) {
        String uri = template.replace("/ROOT", root.toString());
        assertCode(() -> store.resolve(uri), CheckpointErrorCode.BAD_URI, uri);
    }

    @Test
    void refusesPathsOutsideTheRootsIncludingSiblingsWithTheSamePrefix() {
        assertCode(() -> store.resolve(outside.resolve("secret").toUri().toString()),
                CheckpointErrorCode.URI_OUTSIDE_ROOTS, "outside the checkpoint roots");
        assertCode(() -> store.resolve("file:///etc/passwd"), CheckpointErrorCode.URI_OUTSIDE_ROOTS, "/etc/passwd");
        assertCode(() -> store.resolve(root.toUri().toString().replaceAll("/$", "")),
                CheckpointErrorCode.URI_OUTSIDE_ROOTS, "outside");
        assertCode(() -> store.uriOf(outside.resolve("secret")), CheckpointErrorCode.URI_OUTSIDE_ROOTS, "outside");
    }

    @Test
    void refusesSymlinksThatLeaveTheRootsButFollowsThoseThatStayInside() throws IOException {
        Path escape = Files.createSymbolicLink(root.resolve("escape"), outside.resolve("secret"));
        Path escapeDir = Files.createSymbolicLink(root.resolve("escape-dir"), outside);
        Path inside = Files.createSymbolicLink(root.resolve("latest"), checkpoint);
        assertCode(() -> store.resolve(escape.toUri().toString()), CheckpointErrorCode.URI_OUTSIDE_ROOTS, "symlink");
        assertCode(() -> store.resolve(escapeDir.resolve("secret").toUri().toString()),
                CheckpointErrorCode.URI_OUTSIDE_ROOTS, "symlink");
        assertThat(store.resolve(inside.toUri().toString())).isEqualTo(checkpoint.toRealPath());
    }

    @Test
    void rootsGivenThroughASymlinkWorkByEitherName() throws IOException {
        Path alias = Files.createSymbolicLink(tmp.resolve("alias"), root);
        FileCheckpointStore aliased = new FileCheckpointStore(List.of(alias));
        assertThat(aliased.resolve(alias.resolve("run1/model.safetensors").toUri().toString())).isEqualTo(checkpoint.toRealPath());
        assertThat(aliased.resolve(checkpoint.toUri().toString())).isEqualTo(checkpoint.toRealPath());
    }

    @Test
    void missingFilesAndDirectoriesAreFileNotFound() {
        assertCode(() -> store.resolve(root.resolve("run1/nope.safetensors").toUri().toString()),
                CheckpointErrorCode.FILE_NOT_FOUND, "no such file");
        assertCode(() -> store.resolve("file://" + root + "/run1"), CheckpointErrorCode.FILE_NOT_FOUND, "not a regular file");
    }

    @Test
    void verifiesSha256ByStreamingTheFile() {
        String uri = checkpoint.toUri().toString();
        assertThat(store.sha256(uri)).isEqualTo(HELLO_SHA);
        store.verifySha256(uri, HELLO_SHA.toUpperCase());
        assertCode(() -> store.verifySha256(uri, HELLO_SHA.replace('2', '3')), CheckpointErrorCode.HASH_MISMATCH,
                "sha256 is " + HELLO_SHA);
        assertCode(() -> store.verifySha256(uri, "abc"), CheckpointErrorCode.HASH_MISMATCH, "not 64 hex digits");
    }

    @Test
    void artifactsAreContentAddressedWithAManifestAndStoredOnce() throws IOException {
        ArtifactManifest manifest = new ArtifactManifest(ArtifactManifest.UNIFORM_AVERAGE, List.of(
                new ArtifactManifest.Ingredient("c1", checkpoint.toUri().toString(), HELLO_SHA, Map.of("lr", "0.01")),
                new ArtifactManifest.Ingredient("c2", "file:///x", null, Map.of())), Map.of("heldOutAccuracy", 0.9));
        StoredArtifact first = store.writeArtifact(out -> out.write("soup".getBytes(StandardCharsets.UTF_8)), manifest);
        String soupSha = Sha256.hex(Sha256.newDigest().digest("soup".getBytes(StandardCharsets.UTF_8)));
        assertThat(first.sha256()).isEqualTo(soupSha);
        assertThat(first.path()).isEqualTo(root.resolve("artifacts").resolve(soupSha + ".safetensors"));
        assertThat(first.reused()).isFalse();
        assertThat(first.sizeBytes()).isEqualTo(4);
        assertThat(store.resolve(first.uri())).isEqualTo(first.path().toRealPath());

        JsonNode json = new ObjectMapper().readTree(first.path().resolveSibling(soupSha + ".json").toFile());
        assertThat(json.get("sha256").asText()).isEqualTo(soupSha);
        assertThat(json.get("ingredients").get(0).get("hyperParameters").get("lr").asText()).isEqualTo("0.01");
        assertThat(json.get("scores").get("heldOutAccuracy").asDouble()).isEqualTo(0.9);
        assertThat(store.readManifest(soupSha)).contains(manifest);

        ArtifactManifest other = new ArtifactManifest(ArtifactManifest.UNIFORM_AVERAGE, List.of(), Map.of());
        StoredArtifact second = store.writeArtifact(out -> out.write("soup".getBytes(StandardCharsets.UTF_8)), other);
        assertThat(second.reused()).isTrue();
        assertThat(second.path()).isEqualTo(first.path());
        assertThat(store.readManifest(soupSha)).contains(manifest);
        try (var files = Files.list(root.resolve("artifacts"))) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(
                    soupSha + ".safetensors", soupSha + ".json");
        }

        store.updateManifest(soupSha, manifest.withScores(Map.of("heldOutAccuracy", 0.95)));
        assertThat(store.readManifest(soupSha).orElseThrow().scores()).containsEntry("heldOutAccuracy", 0.95);
        assertThat(store.findArtifact(soupSha)).map(StoredArtifact::path).contains(first.path());
        assertThat(store.findArtifact(HELLO_SHA)).isEmpty();
        assertCode(() -> store.updateManifest(HELLO_SHA, manifest), CheckpointErrorCode.FILE_NOT_FOUND, HELLO_SHA);
    }

    @Test
    void aFailedWriteLeavesNothingBehind() throws IOException {
        Path a = TestTensors.writeModel(root, "a", List.of(TestTensors.f32("w", new long[] {1}, 1f)));
        Path nan = TestTensors.writeModel(root, "nan", List.of(TestTensors.f32("w", new long[] {1}, Float.NaN)));
        ArtifactManifest manifest = new ArtifactManifest(ArtifactManifest.UNIFORM_AVERAGE, List.of(), Map.of());
        assertCode(() -> store.writeArtifact(out -> TestTensors.average(tmpWork(), List.of(a, nan), out), manifest),
                CheckpointErrorCode.NON_FINITE_WEIGHTS, "NaN");
        try (var files = Files.list(root.resolve("artifacts"))) {
            assertThat(files).isEmpty();
        }
    }

    private Path tmpWork() {
        try {
            return Files.createDirectories(tmp.resolve("work"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void averagedArtifactsOfTheSameIngredientsAreTheSameFile() {
        List<Path> inputs = List.of(TestTensors.writeModel(root, "m1", TestTensors.randomModel(1)),
                TestTensors.writeModel(root, "m2", TestTensors.randomModel(2)));
        ArtifactManifest manifest = new ArtifactManifest(ArtifactManifest.UNIFORM_AVERAGE, List.of(), Map.of());
        StoredArtifact one = store.writeArtifact(out -> TestTensors.average(tmpWork(), inputs, out), manifest);
        StoredArtifact two = store.writeArtifact(out -> TestTensors.average(tmpWork(), inputs, out), manifest);
        assertThat(two.sha256()).isEqualTo(one.sha256());
        assertThat(two.reused()).isTrue();
        assertThat(Sha256.of(one.path())).isEqualTo(one.sha256());
    }

    @Test
    void configurationErrorsAreReportedAtConstruction() throws IOException {
        assertThatThrownBy(() -> new FileCheckpointStore(List.of(tmp.resolve("absent"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not an existing directory");
        assertThatThrownBy(() -> new FileCheckpointStore(List.of(root), outside.resolve("artifacts")))
                .isInstanceOf(SouperException.class).hasMessageContaining("outside the checkpoint roots");
        assertThat(outside.resolve("artifacts")).doesNotExist();
        Path link = Files.createSymbolicLink(root.resolve("linked-artifacts"), outside);
        assertThatThrownBy(() -> new FileCheckpointStore(List.of(root), link))
                .isInstanceOf(SouperException.class).hasMessageContaining("symlink");
    }
}
