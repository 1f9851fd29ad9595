package io.souper.cli;

import io.souper.checkpoint.Sha256;
import io.souper.events.CheckpointReady;
import io.souper.kafka.EventPublisher;
import io.souper.kafka.KafkaClientConfigs;
import io.souper.web.AvroJson;
import org.apache.kafka.clients.producer.RecordMetadata;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "publish-checkpoint", mixinStandardHelpOptions = true,
        description = {"Publish a CheckpointReady event to souper.checkpoints: what a training script calls when "
                + "a run finishes. For a local file the sha256 and size are computed and sent, so the evaluator "
                + "verifies what it reads. (examples/publish_checkpoint.py does the same from Python.)"})
public final class PublishCheckpointCommand implements Callable<Integer> {

    @Mixin
    ConnectionOptions connection;

    @PerInvocation
    @Option(names = "--soup", required = true, description = "Soup id the checkpoint is an ingredient candidate of.")
    String soupId;

    @PerInvocation
    @Option(names = "--checkpoint", required = true, paramLabel = "URI",
            description = "The safetensors checkpoint (file:// URI or path, under the evaluator's store roots).")
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

    @Override
    public Integer call() {
        String uri = Uris.of(checkpoint);
        Long size = null;
        if (uri.startsWith("file:")) {
            Path file = Path.of(URI.create(uri));
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("checkpoint file " + file + " does not exist");
            }
            size = file.toFile().length();
            if (sha256 == null) {
                sha256 = Sha256.of(file);
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
}
