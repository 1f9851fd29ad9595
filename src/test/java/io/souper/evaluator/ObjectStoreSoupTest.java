package io.souper.evaluator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.souper.checkpoint.ByteSource;
import io.souper.checkpoint.CheckpointReference;
import io.souper.checkpoint.S3TestServer;
import io.souper.checkpoint.s3.S3AllowList;
import io.souper.checkpoint.s3.S3CheckpointStore;
import io.souper.checkpoint.s3.S3Settings;
import io.souper.checkpoint.sharded.ShardIndex;
import io.souper.cli.SouperCli;
import io.souper.events.AcceptRule;
import io.souper.events.DeadLetter;
import io.souper.events.SoupDefinition;
import io.souper.events.SoupUpdated;
import io.souper.metrics.SouperMetrics;
import io.souper.streams.SouperStreamsApp;
import io.souper.streams.SouperStreamsSettings;
import io.souper.testsupport.TorchReference;
import io.souper.web.HttpEndpoint;
import io.souper.web.SoupApi;
import io.souper.web.SoupApiClient;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.souper.data.DatasetFiles;
import io.souper.data.FashionMnist;
import io.souper.data.PixelNormalisation;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 14 end to end: sharded bf16 checkpoints written by PyTorch (save_pretrained's layout) on a
 * real S3 API server (S3Proxy), announced with {@code souper publish-checkpoint --checkpoint s3://...},
 * scored by the evaluator (architecture fetched from S3, shards streamed), souped by the souper on a
 * real broker, and the soup published sharded to S3; read back by PyTorch it equals
 * {@code (sum of x.double()) / n} rounded to bf16 bit for bit. Bad checkpoints (outside the allowed
 * buckets, a missing shard, a tensor named twice, a shard with a wrong hash) are dead letters with
 * their reason codes.
 */
class ObjectStoreSoupTest {

    private static final Path SCRIPT = Path.of("src/test/resources/python/objstore_soup.py").toAbsolutePath();
    private static final String SOUP = "s3-bf16";
    private static final String BAD_SOUP = "s3-bad";
    private static final int CHECKPOINTS = 3;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void shardedBf16CheckpointsOnS3AreSoupedAndTheSoupEqualsPyTorchsMean() throws Exception {
        Path made = tmp.resolve("made");
        TorchReference.runScript(SCRIPT, 120, "make", made, "--checkpoints", CHECKPOINTS, "--shards", 2);
        try (S3TestServer s3 = new S3TestServer(Files.createDirectories(tmp.resolve("s3")), "models", "other");
             S3CheckpointStore upload = s3.store("models", "other")) {
            upload.put("s3://models/arch/decoder.pt", made.resolve("arch.pt"));
            // the held-out split lives in the object store too (one safetensors object, a range of it used)
            Path heldOut = made.resolve("heldout.safetensors");
            DatasetFiles.write(heldOut, FashionMnist.load(FashionMnist.DEBIAN_DIRECTORY, "train", 55_000, 55_300,
                    PixelNormalisation.FASHION_MNIST));
            upload.put("s3://models/data/heldout.safetensors", heldOut);
            for (int k = 0; k < CHECKPOINTS; k++) {
                uploadDir(upload, made.resolve("ckpt-" + k), "s3://models/runs/ckpt-" + k + "/");
            }
            badCheckpoints(upload, made.resolve("ckpt-0"));
            S3Settings objectStore = new S3Settings(Optional.of(s3.endpoint()), S3Settings.DEFAULT_REGION, true,
                    S3AllowList.parse(List.of("models")),
                    S3Settings.DEFAULT_READ_AHEAD_BYTES);

            try (KafkaFixture kafka = new KafkaFixture(tmp.resolve("kafka"), 1);
                 SouperMetrics streamsMetrics = new SouperMetrics("streams");
                 HttpEndpoint endpoint = new HttpEndpoint("localhost", 0, streamsMetrics).start();
                 SouperMetrics evaluatorMetrics = new SouperMetrics("evaluator")) {
                SouperStreamsApp souper = SouperStreamsApp.start(kafka.clients.bootstrapServers(), kafka.topics,
                        "souper-objstore-it", tmp.resolve("streams"), 1, SouperStreamsSettings.defaults(),
                        streamsMetrics, new HostInfo("localhost", endpoint.port()));
                new SoupApi(souper.queries()).register(endpoint);
                Path store = Files.createDirectories(tmp.resolve("store"));
                EvaluatorSettings settings = EvaluatorSettings.defaults(
                                List.of(store, io.souper.data.FashionMnist.DEBIAN_DIRECTORY), tmp.resolve("work"))
                        .withDevice("cpu").withGroupId("evaluator-objstore")
                        .withObjectStore(Optional.of(objectStore), "s3://models/soups/");
                try (souper; EvaluatorService evaluator = EvaluatorService.start(kafka.clients, kafka.topics,
                        settings, evaluatorMetrics)) {
                    souper.awaitRunning(Duration.ofSeconds(60));
                    kafka.publish(kafka.topics.definitions, SOUP, definition(SOUP));
                    kafka.publish(kafka.topics.definitions, BAD_SOUP, definition(BAD_SOUP));
                    for (int k = 0; k < CHECKPOINTS; k++) {
                        int code = SouperCli.commandLine().execute("publish-checkpoint",
                                "-b", kafka.clients.bootstrapServers(), "-r", kafka.clients.schemaRegistryUrl(),
                                "--soup", SOUP, "--checkpoint", "s3://models/runs/ckpt-" + k + "/",
                                "--checkpoint-id", "ckpt-" + k, "--run-id", "run-" + k,
                                "--s3-endpoint", s3.endpoint().toString(), "--s3-path-style", "--s3-allow", "models");
                        assertThat(code).as("publish-checkpoint ckpt-%d", k).isZero();
                    }
                    Map<String, String> bad = Map.of(
                            "s3://other/runs/x/model.safetensors.index.json", "URI_OUTSIDE_ROOTS",
                            "s3://models/bad/missing/", "SHARD_MISSING",
                            "s3://models/bad/twice/", "DUPLICATE_TENSOR",
                            "s3://models/bad/hash/model.safetensors.index.json", "HASH_MISMATCH");
                    Map<String, String> expectedCodes = new HashMap<>();
                    bad.forEach((uri, code) -> {
                        String id = "bad-" + code;
                        expectedCodes.put(id, code);
                        kafka.publish(kafka.topics.checkpoints, BAD_SOUP, KafkaFixture.checkpoint(BAD_SOUP, id, uri, null));
                    });

                    new SoupApiClient(endpoint.url()).awaitSettled(SOUP, CHECKPOINTS, Duration.ofSeconds(90));
                    List<SoupUpdated> updates = kafka.readUntil(kafka.topics.updates,
                            us -> us.stream().anyMatch(u -> SOUP.equals(u.value().getSoupId())
                                    && u.value().getIngredients().size() >= 2), Duration.ofSeconds(30))
                            .stream().map(ConsumerRecord::value).filter(u -> SOUP.equals(u.getSoupId())).toList();
                    SoupUpdated latest = updates.get(updates.size() - 1);
                    assertThat(latest.getIngredients()).as("greedy kept several of the near-identical fine-tunes")
                            .hasSizeGreaterThanOrEqualTo(2);
                    String artifact = latest.getArtifactUri();
                    assertThat(artifact).isEqualTo("s3://models/soups/" + latest.getArtifactSha256() + "/");

                    // The soup, read back from S3 by PyTorch, is torch's fp64 mean of its ingredients in bf16.
                    JsonNode manifest = JSON.readTree(download(upload, "s3://models/soups/"
                            + latest.getArtifactSha256() + ".json"));
                    assertThat(manifest.get("format").asText()).isEqualTo("safetensors-sharded");
                    Path soupDir = Files.createDirectories(tmp.resolve("soup"));
                    manifest.get("files").fieldNames().forEachRemaining(name -> {
                        try {
                            Files.write(soupDir.resolve(name), download(upload, artifact + name));
                        } catch (IOException e) {
                            throw new AssertionError(e);
                        }
                    });
                    List<Object> args = new ArrayList<>(List.of("check-mean", soupDir));
                    manifest.get("ingredients").forEach(i -> args.add(made.resolve(i.get("checkpointId").asText())));
                    assertThat(args).hasSize(2 + latest.getIngredients().size());
                    JsonNode torch = CheckpointReference.run(args.toArray());
                    assertThat(torch.get("dtypes").toString()).isEqualTo("[\"torch.bfloat16\"]");
                    assertThat(torch.get("mismatched")).as("tensors differing from PyTorch's mean").isEmpty();
                    assertThat(torch.get("extra")).isEmpty();
                    assertThat(torch.get("layout").get("problems")).isEmpty();
                    assertThat(torch.get("layout").get("shards")).hasSize(2);

                    List<ConsumerRecord<String, DeadLetter>> letters = kafka.readUntil(kafka.topics.deadLetters,
                            ls -> ls.size() >= bad.size(), Duration.ofSeconds(30));
                    Map<String, String> codes = new HashMap<>();
                    letters.forEach(l -> codes.put(l.value().getHeaders().get("subjectId"),
                            l.value().getHeaders().get("errorCode")));
                    assertThat(codes).isEqualTo(expectedCodes);
                }
            }
        }
    }

    private static SoupDefinition definition(String soupId) {
        return SoupDefinition.newBuilder().setSoupId(soupId).setArchitectureUri("s3://models/arch/decoder.pt")
                .setHeldOutUri("s3://models/data/heldout.safetensors?from=0&to=200")
                .setAcceptRule(AcceptRule.GREATER_OR_EQUAL).setCreatedAt(Instant.now()).build();
    }

    /** The refusals: outside the allow-list, a shard missing, a tensor named twice, a shard with a wrong hash. */
    private static void badCheckpoints(S3CheckpointStore upload, Path good) throws IOException {
        String index = Files.readString(good.resolve(ShardIndex.INDEX_FILE));
        uploadDir(upload, good, "s3://other/runs/x/");
        upload.put("s3://models/bad/missing/" + ShardIndex.INDEX_FILE, good.resolve(ShardIndex.INDEX_FILE));
        upload.put("s3://models/bad/missing/model-00001-of-00002.safetensors",
                good.resolve("model-00001-of-00002.safetensors"));
        uploadDir(upload, good, "s3://models/bad/twice/");
        upload.put("s3://models/bad/twice/" + ShardIndex.INDEX_FILE, write(good.resolveSibling("twice.json"),
                index.replace("\"weight_map\": {", "\"weight_map\": {\n    \"lm_head.weight\": "
                        + "\"model-00001-of-00002.safetensors\",")));
        uploadDir(upload, good, "s3://models/bad/hash/");
        upload.put("s3://models/bad/hash/" + ShardIndex.INDEX_FILE, write(good.resolveSibling("hash.json"),
                index.replace("\"metadata\": {", "\"metadata\": {\n    \"" + ShardIndex.SHARD_SHA256
                        + "\": {\"model-00002-of-00002.safetensors\": \"" + "0".repeat(64) + "\"},")));
    }

    private static Path write(Path file, String text) throws IOException {
        return Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    private static void uploadDir(S3CheckpointStore upload, Path dir, String prefix) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.sorted().toList()) {
                upload.put(prefix + f.getFileName(), f);
            }
        }
    }

    private static byte[] download(S3CheckpointStore store, String uri) throws IOException {
        try (ByteSource source = store.open(uri)) {
            ByteBuffer buffer = ByteBuffer.allocate((int) source.size());
            while (buffer.hasRemaining()) {
                if (source.read(buffer, buffer.position()) < 0) {
                    throw new IOException(uri + " ended early");
                }
            }
            return buffer.array();
        }
    }
}
