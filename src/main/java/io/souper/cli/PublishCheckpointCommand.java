package io.souper.cli;

import io.souper.checkpoint.ByteSource;
import io.souper.checkpoint.FileBlobStore;
import io.souper.checkpoint.Sha256;
import io.souper.checkpoint.s3.S3CheckpointStore;
import io.souper.checkpoint.s3.S3Location;
import io.souper.checkpoint.sharded.CheckpointHashes;
import io.souper.checkpoint.sharded.ShardedCheckpoint;
import io.souper.checkpoint.store.BlobStore;
import io.souper.events.CheckpointReady;
import io.souper.kafka.EventPublisher;
import io.souper.kafka.KafkaClientConfigs;
import io.souper.web.AvroJson;
import org.apache.kafka.clients.producer.RecordMetadata;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.List;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "publish-checkpoint", mixinStandardHelpOptions = true,
        description = {"Publish a CheckpointReady event to souper.checkpoints: what a training script calls when "
                + "a run finishes. The sha256 and size (for sharded checkpoints: of every shard and the index) "
                + "are computed and sent, so the evaluator "
                + "verifies what it reads. (examples/publish_checkpoint.py does the same from Python.)"})
public final class PublishCheckpointCommand implements Callable<Integer> {

    @Mixin
    ConnectionOptions connection;

    @PerInvocation
    @Option(names = "--soup", required = true, description = "Soup id the checkpoint is an ingredient candidate of.")
    String soupId;

    @PerInvocation
    @Option(names = "--checkpoint", required = true, paramLabel = "URI",
            description = "The safetensors checkpoint (file:// URI or path under the evaluator's store roots, or "
                    + "s3://bucket/key): one file, a *.safetensors.index.json, or a directory/prefix holding "
                    + "model.safetensors.index.json (sharded; the sha256 then covers every shard and the index).")
    String checkpoint;

    @PerInvocation
    @Option(names = "--checkpoint-id", description = "Unique id of the checkpoint (default: <run-id>@<step>).")
    String checkpointId;

    @PerInvocation
    @Option(names = "--run-id", required = true, description = "The training run that produced it.")
    String runId;

    @PerInvocation
    @Option(names = "--step", defaultValue = "0", description = "Training step (default: ${DEFAULT-VALUE}).")
    long step;

    @PerInvocation
    @Option(names = "--hp", paramLabel = "KEY=VALUE", description = "A hyper-parameter; repeat for several.")
    Map<String, String> hyperParameters = new LinkedHashMap<>();

    @PerInvocation
    @Option(names = "--metric", paramLabel = "KEY=VALUE", description = "A trainer metric (number); repeat for several.")
    Map<String, Double> metrics = new LinkedHashMap<>();

    @PerInvocation
    @Option(names = "--sha256", description = "Expected sha256 (default: computed from a local file).")
    String sha256;

    @Mixin
    ObjectStoreOptions objectStore;

    @Override
    public Integer call() {
        String uri = Uris.of(checkpoint);
        Long size = null;
        if (uri.startsWith("file:") || uri.startsWith("s3:")) {
            // Reads what the evaluator will read: one file, or an index and every shard it names.
            try (BlobStore store = storeFor(uri);
                 ShardedCheckpoint opened = ShardedCheckpoint.open(store, uri)) {
                Map<String, String> hashes = CheckpointHashes.fileHashes(store, opened);
                String computed = CheckpointHashes.combined(opened.isSharded(), hashes);
                if (sha256 != null && !Sha256.normalise(sha256).equals(computed)) {
                    throw new IllegalArgumentException("checkpoint " + uri + " has sha256 " + computed
                            + ", not the --sha256 given (" + sha256 + ")");
                }
                sha256 = computed;
                long total = 0;
                for (String file : opened.fileUris().values()) {
                    try (ByteSource source = store.open(file)) {
                        total += source.size();
                    }
                }
                size = total;
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        CheckpointReady event = CheckpointReady.newBuilder()
                .setCheckpointId(checkpointId != null ? checkpointId : runId + "@" + step)
                .setSoupId(soupId)
                .setUri(uri)
                .setFormat("safetensors")
                .setSha256(sha256 == null ? null : Sha256.normalise(sha256))
                .setSizeBytes(size)
                .setRunId(runId)
                .setStep(step)
                .setHyperParameters(hyperParameters)
                .setMetrics(metrics)
                .setProducedAt(Instant.now())
                .build();
        KafkaClientConfigs clients = connection.connect();
        RecordMetadata meta = EventPublisher.publish(clients, clients.topics().checkpoints, soupId, event);
        System.out.println(AvroJson.toJsonLine(event));
        System.err.printf("published to %s[%d]@%d%n", meta.topic(), meta.partition(), meta.offset());
        return 0;
    }

    /**
     * Whoever runs this command names the checkpoint, so its own location is allowed: the local
     * file system, or the URI's bucket (with the --s3-* settings, credentials from the SDK's chain).
     */
    private BlobStore storeFor(String uri) {
        if (uri.startsWith("file:")) {
            return new FileBlobStore(List.of(Path.of("/")));
        }
        List<String> allowed = new java.util.ArrayList<>(objectStore.allowed);
        if (allowed.isEmpty()) {
            allowed.add(S3Location.parse(uri).bucket());
        }
        return new S3CheckpointStore(objectStore.settings(allowed));
    }
}
