package io.souper.serde;

import static org.assertj.core.api.Assertions.assertThat;

import io.souper.events.CheckpointReady;
import io.souper.registry.InMemorySchemaRegistryClient;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Pins the exact bytes of a serialized event: Confluent's framing plus Avro's binary encoding. Any
 * change here breaks every consumer in every language, so the expected bytes are spelled out by hand.
 */
class WireFormatGoldenBytesTest {

    private static final String CHECKPOINT_READY_ID_1 = String.join("",
            "00", "00000001",                      // magic byte, schema id 1 (big-endian)
            "04", "6331",                          // checkpointId "c1" (length 2, zig-zag 4)
            "04", "7331",                          // soupId "s1"
            "14", "66696c653a2f2f2f6331",          // uri "file:///c1" (length 10)
            "16", "7361666574656e736f7273",        // format "safetensors" (length 11)
            "00",                                  // sha256: union branch 0 = null
            "02", "8010",                          // sizeBytes: branch 1 = long, 1024 (zig-zag 2048)
            "04", "7231",                          // runId "r1"
            "06",                                  // step 3
            "02", "04", "6c72", "06", "302e31", "00",        // hyperParameters {lr: "0.1"}, end of map
            "02", "08", "6c6f7373", "000000000000e03f", "00", // metrics {loss: 0.5 little-endian}, end
            "80a0abfef962");                       // producedAt 1700000000000 ms (zig-zag varint)

    private static CheckpointReady fixedCheckpoint() {
        return CheckpointReady.newBuilder()
                .setCheckpointId("c1")
                .setSoupId("s1")
                .setUri("file:///c1")
                .setFormat("safetensors")
                .setSha256(null)
                .setSizeBytes(1024L)
                .setRunId("r1")
                .setStep(3L)
                .setHyperParameters(Map.of("lr", "0.1"))
                .setMetrics(Map.of("loss", 0.5))
                .setProducedAt(Instant.ofEpochMilli(1_700_000_000_000L))
                .build();
    }

    @Test
    void checkpointReadyWithSchemaIdOneHasExactlyTheseBytes() {
        InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
        SpecificAvroSerializer<CheckpointReady> serializer = new SpecificAvroSerializer<>(registry);

        byte[] bytes = serializer.serialize("souper.checkpoints", fixedCheckpoint());

        assertThat(HexFormat.of().formatHex(bytes)).isEqualTo(CHECKPOINT_READY_ID_1);
        assertThat(registry.getLatest("souper.checkpoints-value").id()).isEqualTo(1);
    }

    @Test
    void theGoldenBytesDecodeToTheSameEvent() {
        InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
        assertThat(registry.register("souper.checkpoints-value", CheckpointReady.getClassSchema())).isEqualTo(1);
        SpecificAvroDeserializer<CheckpointReady> deserializer = new SpecificAvroDeserializer<>(registry);

        CheckpointReady decoded =
                deserializer.deserialize("souper.checkpoints", HexFormat.of().parseHex(CHECKPOINT_READY_ID_1));

        assertThat(decoded).isEqualTo(fixedCheckpoint());
    }

    @Test
    void theSchemaIdIsBigEndian() {
        assertThat(WireFormat.header(0x01020304)).containsExactly(new byte[] {0x00, 0x01, 0x02, 0x03, 0x04});
        assertThat(WireFormat.schemaId(new byte[] {0, 0x01, 0x02, 0x03, 0x04}, "t")).isEqualTo(0x01020304);
    }
}
