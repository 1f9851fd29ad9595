package io.souper.serde;

import static org.assertj.core.api.Assertions.assertThat;

import io.souper.events.CheckpointReady;
import io.souper.registry.InMemorySchemaRegistryClient;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The serde inside Kafka Streams: built by Streams from config, and handed to a topology with a client. */
class SpecificAvroSerdeStreamsTest {
    private static final String SCOPE = "streams-test";

    @AfterEach
    void dropScope() {
        InMemorySchemaRegistryClient.dropScope(SCOPE);
    }

    @Test
    void streamsBuildsTheDefaultSerdeFromConfigAndTopologiesUseOneWithAClient() {
        StreamsBuilder builder = new StreamsBuilder();
        // input: the default value serde, created reflectively by Streams and configured from the properties
        builder.<String, CheckpointReady>stream("in")
                .mapValues(event -> {
                    event.setStep(event.getStep() + 1);
                    return event;
                })
                // output: an explicit serde, with the same mock:// registry as a client
                .to("out", Produced.with(Serdes.String(),
                        new SpecificAvroSerde<>(InMemorySchemaRegistryClient.forScope(SCOPE))));
        Properties config = new Properties();
        config.put(StreamsConfig.APPLICATION_ID_CONFIG, "serde-test");
        config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        config.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
        config.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, SpecificAvroSerde.class);
        config.put(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://" + SCOPE);

        SpecificAvroSerde<CheckpointReady> outside = new SpecificAvroSerde<>();
        outside.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://" + SCOPE), false);
        try (TopologyTestDriver driver = new TopologyTestDriver(builder.build(), config)) {
            TestInputTopic<String, CheckpointReady> in =
                    driver.createInputTopic("in", new StringSerializer(), outside.serializer());
            TestOutputTopic<String, CheckpointReady> out =
                    driver.createOutputTopic("out", new StringDeserializer(), outside.deserializer());
            CheckpointReady event = SampleEvents.checkpointReady();
            in.pipeInput("soup-a", event);

            CheckpointReady result = out.readValue();
            assertThat(result.getStep()).isEqualTo(event.getStep() + 1);
            assertThat(result.getRunId()).isEqualTo(event.getRunId());
        }
        assertThat(InMemorySchemaRegistryClient.forScope(SCOPE).subjects()).containsExactly("in-value", "out-value");
    }
}
