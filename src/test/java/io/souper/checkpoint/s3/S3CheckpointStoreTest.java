package io.souper.checkpoint.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.souper.checkpoint.ArtifactManifest;
import io.souper.checkpoint.ByteSource;
import io.souper.checkpoint.CheckpointErrorCode;
import io.souper.errors.SouperException;
import io.souper.checkpoint.CheckpointReference;
import io.souper.checkpoint.FileBlobStore;
import io.souper.checkpoint.S3TestServer;
import io.souper.checkpoint.SafetensorsReader;
import io.souper.checkpoint.Sha256;
import io.souper.checkpoint.sharded.CheckpointHashes;
import io.souper.checkpoint.sharded.ShardIndex;
import io.souper.checkpoint.sharded.ShardedAverager;
import io.souper.checkpoint.sharded.ShardedCheckpoint;
import io.souper.checkpoint.sharded.SoupFiles;
import io.souper.checkpoint.store.ArtifactPublisher;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sharded bf16 checkpoints written by Python in save_pretrained's layout, stored on a real S3 API
 * server (S3Proxy), read by the production S3 code with ranged GETs, averaged shard by shard and
 * published back; the soup is read back by Python and compared with PyTorch's mean bit for bit.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class S3CheckpointStoreTest {

    private static final String BUCKET = "models";
    private static final int RUNS = 3;

    @TempDir
    static Path tmp;

    private S3TestServer server;
    private S3CheckpointStore store;
    private final List<Path> localRuns = new ArrayList<>();
    private final List<String> runUris = new ArrayList<>();

    @BeforeAll
    void startServerAndUploadCheckpoints() throws Exception {
        server = new S3TestServer(Files.createDirectories(tmp.resolve("s3")), BUCKET, "elsewhere");
        store = server.store(BUCKET + "/ckpt", BUCKET + "/soups");
        for (int k = 1; k <= RUNS; k++) {
            Path dir = tmp.resolve("run-" + k);
            CheckpointReference.run("make-sharded", dir, "--dtype", "bf16", "--seed", k, "--shards", 3);
            localRuns.add(dir);
            String uri = "s3://" + BUCKET + "/ckpt/run-" + k + "/";
            upload(dir, uri);
            runUris.add(uri);
        }
    }

    @AfterAll
    void stop() throws Exception {
        store.close();
        server.close();
    }

    private void upload(Path dir, String uri) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.sorted().toList()) {
                store.put(store.resolve(uri, f.getFileName().toString()), f);
            }
        }
    }

    @Test
    void aShardedBf16SoupFromTheObjectStoreEqualsPyTorchsMeanBitForBit() throws IOException {
        List<ShardedCheckpoint> ingredients = new ArrayList<>();
        try {
            // a directory, an index URI and a directory again: all three ways of naming one
            ingredients.add(ShardedCheckpoint.open(store, runUris.get(0)));
            ingredients.add(ShardedCheckpoint.open(store, runUris.get(1) + ShardIndex.INDEX_FILE));
            ingredients.add(ShardedCheckpoint.open(store, runUris.get(2)));
            assertThat(ingredients).allMatch(ShardedCheckpoint::isSharded);
            assertThat(ingredients.get(0).shards()).hasSize(3);
            SoupFiles soup = new ShardedAverager().average(ingredients, tmp.resolve("soup"));
            assertThat(soup.sharded()).isTrue();
            assertThat(soup.files()).containsKeys(ShardIndex.INDEX_FILE, "model-00001-of-00003.safetensors",
                    "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors");

            ArtifactPublisher publisher = new ArtifactPublisher(store, "s3://" + BUCKET + "/soups/artifacts/");
            ArtifactManifest manifest = new ArtifactManifest(ArtifactManifest.UNIFORM_AVERAGE, List.of(), Map.of());
            ArtifactPublisher.Published published = publisher.publish(soup, manifest);
            assertThat(published.uri()).isEqualTo("s3://" + BUCKET + "/soups/artifacts/" + soup.sha256() + "/");
            assertThat(published.reused()).isFalse();
            assertThat(publisher.publish(soup, manifest).reused()).isTrue();

            // read the published soup back through the store: its hash is the soup's, every shard covered
            try (ShardedCheckpoint back = ShardedCheckpoint.open(store, published.uri())) {
                assertThat(CheckpointHashes.verify(store, back, soup.sha256())).isEqualTo(soup.files());
                Path downloaded = Files.createDirectories(tmp.resolve("downloaded"));
                for (Map.Entry<String, String> f : back.fileUris().entrySet()) {
                    download(f.getValue(), downloaded.resolve(f.getKey()));
                }
                List<Object> args = new ArrayList<>(List.of("check-mean", downloaded));
                args.addAll(localRuns);
                JsonNode check = CheckpointReference.run(args.toArray());
                assertThat(check.get("mismatched")).isEmpty();
                assertThat(check.get("extra")).isEmpty();
                assertThat(check.get("dtypes").toString()).isEqualTo("[\"torch.bfloat16\"]");
                assertThat(check.get("layout").get("problems")).isEmpty();
                assertThat(check.get("layout").get("shards")).hasSize(3);
            }
            assertThat(store.exists("s3://" + BUCKET + "/soups/artifacts/" + soup.sha256() + ".json")).isTrue();

            // the same soup from local files has the same bytes
            try (FileBlobStore local = new FileBlobStore(List.of(tmp))) {
                List<ShardedCheckpoint> fromFiles = new ArrayList<>();
                for (Path run : localRuns) {
                    fromFiles.add(ShardedCheckpoint.open(local, run.toUri().toString()));
                }
                SoupFiles same = new ShardedAverager().average(fromFiles, tmp.resolve("soup-local"));
                fromFiles.forEach(ShardedCheckpoint::close);
                assertThat(same.sha256()).isEqualTo(soup.sha256());
                assertThat(same.files()).isEqualTo(soup.files());
            }
        } finally {
            ingredients.forEach(ShardedCheckpoint::close);
        }
    }

    @Test
    void theHeaderIsValidatedWithRangedReadsBeforeAnyTensorByteIsFetched() throws IOException {
        // a valid header in front of 8 MiB of data, and a corrupt header in front of as much
        Path good = tmp.resolve("run-1").resolve("model-00001-of-00003.safetensors");
        String goodUri = "s3://" + BUCKET + "/ckpt/single/good.safetensors";
        store.put(goodUri, good);
        try (SafetensorsReader reader = SafetensorsReader.open(store.open(goodUri))) {
            assertThat(reader.names()).isNotEmpty();
        }
        ByteSource source = store.open(goodUri);
        try (SafetensorsReader reader = SafetensorsReader.open(source)) {
            S3ByteSource s3 = (S3ByteSource) source;
            assertThat(s3.requests()).isEqualTo(2); // the 8-byte length, then exactly the header
            long headerEnd = 8 + ByteBuffer.wrap(Files.readAllBytes(good), 0, 8)
                    .order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
            assertThat(s3.bytesRead()).isEqualTo(headerEnd);
            String first = reader.names().iterator().next();
            assertThat(reader.load(first)).isEqualTo(SafetensorsReader.open(good).load(first));
        }

        Path corrupt = tmp.resolve("corrupt.safetensors");
        byte[] bytes = new byte[8 + 16 + (8 << 20)];
        ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(16).put("{\"a\": not json!}".getBytes(
                StandardCharsets.US_ASCII));
        Files.write(corrupt, bytes);
        String corruptUri = "s3://" + BUCKET + "/ckpt/single/corrupt.safetensors";
        store.put(corruptUri, corrupt);
        ByteSource bad = store.open(corruptUri);
        assertThatThrownBy(() -> SafetensorsReader.open(bad)).isInstanceOfSatisfying(SouperException.class,
                e -> assertThat(e.code()).isEqualTo(CheckpointErrorCode.BAD_HEADER));
        assertThat(((S3ByteSource) bad).bytesRead()).isEqualTo(24);
    }

    @Test
    void urisOutsideTheAllowListOrNotNormalisedAreRefusedWithAReason() {
        Map<String, CheckpointErrorCode> cases = Map.of(
                "s3://" + BUCKET + "/private/model.safetensors", CheckpointErrorCode.URI_OUTSIDE_ROOTS,
                "s3://elsewhere/ckpt/model.safetensors", CheckpointErrorCode.URI_OUTSIDE_ROOTS,
                "s3://" + BUCKET + "/ckpt-evil/model.safetensors", CheckpointErrorCode.URI_OUTSIDE_ROOTS,
                "s3://" + BUCKET + "/ckpt/../private/model.safetensors", CheckpointErrorCode.BAD_URI,
                "s3://" + BUCKET + "/ckpt/%2e%2e/private/model.safetensors", CheckpointErrorCode.BAD_URI,
                "s3://" + BUCKET + "/ckpt//model.safetensors", CheckpointErrorCode.BAD_URI,
                "s3://user@" + BUCKET + "/ckpt/model.safetensors", CheckpointErrorCode.BAD_URI,
                "s3://" + BUCKET + "/ckpt/model.safetensors?versionId=1", CheckpointErrorCode.BAD_URI,
                "http://" + BUCKET + "/ckpt/model.safetensors", CheckpointErrorCode.BAD_URI,
                "s3://" + BUCKET + "/ckpt/no-such.safetensors", CheckpointErrorCode.FILE_NOT_FOUND);
        cases.forEach((uri, code) -> assertThatThrownBy(() -> store.open(uri).close()).as(uri)
                .isInstanceOfSatisfying(SouperException.class, e -> assertThat(e.code()).as(uri).isEqualTo(code)));
        assertThatThrownBy(() -> store.resolve(runUris.get(0), "../x.safetensors"))
                .isInstanceOfSatisfying(SouperException.class,
                        e -> assertThat(e.code()).isEqualTo(CheckpointErrorCode.BAD_URI));
        assertThatThrownBy(() -> store.put("s3://elsewhere/x.safetensors", localRuns.get(0).resolve(ShardIndex.INDEX_FILE)))
                .isInstanceOfSatisfying(SouperException.class,
                        e -> assertThat(e.code()).isEqualTo(CheckpointErrorCode.URI_OUTSIDE_ROOTS));
    }

    @Test
    void aMissingShardADuplicateTensorAWrongShardAndAForeignUriEachHaveTheirOwnCode() throws IOException {
        // missing shard: the index names a file that is not there
        String missing = "s3://" + BUCKET + "/ckpt/missing-shard/";
        upload(localRuns.get(0), missing);
        deleteObject(missing + "model-00002-of-00003.safetensors");
        assertCode(() -> ShardedCheckpoint.open(store, missing), CheckpointErrorCode.SHARD_MISSING);

        // an index naming one tensor twice (plain JSON parsers would keep the last silently)
        String twice = "s3://" + BUCKET + "/ckpt/twice/";
        upload(localRuns.get(0), twice);
        String index = Files.readString(localRuns.get(0).resolve(ShardIndex.INDEX_FILE));
        String duplicated = index.replace("\"weight_map\": {", "\"weight_map\": {\n    \"lm_head.weight\": "
                + "\"model-00001-of-00003.safetensors\",");
        assertThat(duplicated).isNotEqualTo(index);
        Path twiceIndex = tmp.resolve("twice.json");
        Files.writeString(twiceIndex, duplicated);
        store.put(twice + ShardIndex.INDEX_FILE, twiceIndex);
        assertCode(() -> ShardedCheckpoint.open(store, twice), CheckpointErrorCode.DUPLICATE_TENSOR);

        // a shard with the wrong bytes: another run's shard, same tensors, so only the hash can tell
        String expected;
        try (ShardedCheckpoint original = ShardedCheckpoint.open(store, runUris.get(0))) {
            expected = CheckpointHashes.sha256(store, original);
        }
        String swapped = "s3://" + BUCKET + "/ckpt/swapped/";
        upload(localRuns.get(0), swapped);
        store.put(swapped + "model-00002-of-00003.safetensors",
                localRuns.get(1).resolve("model-00002-of-00003.safetensors"));
        try (ShardedCheckpoint tampered = ShardedCheckpoint.open(store, swapped)) {
            assertCode(() -> CheckpointHashes.verify(store, tampered, expected), CheckpointErrorCode.HASH_MISMATCH);
        }

        // outside the allowed buckets/prefixes
        assertCode(() -> ShardedCheckpoint.open(store, "s3://elsewhere/ckpt/run-1/"), CheckpointErrorCode.URI_OUTSIDE_ROOTS);
    }

    @Test
    void largeFilesAreUploadedInPartsAndReadBackInWindows() throws IOException {
        Path big = tmp.resolve("big.bin");
        byte[] block = new byte[1 << 20];
        new Random(3).nextBytes(block);
        try (var out = Files.newOutputStream(big)) {
            for (int i = 0; i < 70; i++) {
                block[0] = (byte) i;
                out.write(block);
            }
        }
        String uri = "s3://" + BUCKET + "/ckpt/big/big.bin";
        store.put(uri, big);
        assertThat(CheckpointHashes.sha256(store, uri)).isEqualTo(Sha256.of(big));
    }

    private void download(String uri, Path to) throws IOException {
        try (ByteSource source = store.open(uri); var out = Files.newOutputStream(to)) {
            ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
            long position = 0;
            for (int n; (n = source.read(buffer.clear(), position)) > 0; position += n) {
                out.write(buffer.array(), 0, n);
            }
        }
    }

    private void deleteObject(String uri) {
        S3Location location = S3Location.parse(uri);
        try (var client = software.amazon.awssdk.services.s3.S3Client.builder()
                .endpointOverride(server.endpoint()).forcePathStyle(true)
                .region(software.amazon.awssdk.regions.Region.US_EAST_1).build()) {
            client.deleteObject(b -> b.bucket(location.bucket()).key(location.key()));
        }
        assertThat(store.exists(uri)).isFalse();
    }

    private static void assertCode(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, CheckpointErrorCode code) {
        assertThatThrownBy(call).isInstanceOfSatisfying(SouperException.class,
                e -> assertThat(e.code()).as(e.getMessage()).isEqualTo(code));
    }

}
