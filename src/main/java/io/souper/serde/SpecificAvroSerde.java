package io.souper.serde;

import io.souper.registry.SchemaRegistryClient;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * {@link SpecificAvroSerializer} and {@link SpecificAvroDeserializer} as one Kafka {@link Serde}, for
 * Kafka Streams. Build it with a client for topologies and tests, or with the no-argument
 * constructor and {@link #configure} (schema.registry.url...) as Streams' default serde.
 */
public class SpecificAvroSerde<T extends SpecificRecord> implements Serde<T> {
    private final SpecificAvroSerializer<T> serializer;
    private final SpecificAvroDeserializer<T> deserializer;
    /** The client built from configuration, shared by both halves (one cache), closed with the serde. */
    private SchemaRegistryClient ownedClient;

    public SpecificAvroSerde() {
        this.serializer = new SpecificAvroSerializer<>();
        this.deserializer = new SpecificAvroDeserializer<>();
    }

    public SpecificAvroSerde(SchemaRegistryClient client) {
        this.serializer = new SpecificAvroSerializer<>(client);
        this.deserializer = new SpecificAvroDeserializer<>(client);
    }

    /** Reads into {@code type}: values of another record type fail with a clear error. */
    public SpecificAvroSerde(SchemaRegistryClient client, Class<T> type) {
        this.serializer = new SpecificAvroSerializer<>(client);
        this.deserializer = new SpecificAvroDeserializer<>(client, type);
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        if (!serializer.hasClient() && !deserializer.hasClient()) {
            ownedClient = SerdeClients.fromConfig(new AvroSerdeConfig(configs), configs);
            serializer.adoptClient(ownedClient);
            deserializer.adoptClient(ownedClient);
        }
        serializer.configure(configs, isKey);
        deserializer.configure(configs, isKey);
    }

    @Override
    public Serializer<T> serializer() {
        return serializer;
    }

    @Override
    public Deserializer<T> deserializer() {
        return deserializer;
    }

    @Override
    public void close() {
        serializer.close();
        deserializer.close();
        if (ownedClient != null) {
            ownedClient.close();
        }
    }
}
