package io.souper.kafka;

import io.souper.events.CheckpointReady;
import io.souper.events.DeadLetter;
import io.souper.events.EvaluationRequest;
import io.souper.events.EvaluationResult;
import io.souper.events.ReportRequest;
import io.souper.events.SoupDecision;
import io.souper.events.SoupDefinition;
import io.souper.events.SoupUpdated;
import io.souper.registry.SchemaRegistryClient;
import io.souper.registry.SchemaRegistryClients;
import io.souper.serde.SpecificAvroSerde;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

import java.util.List;
import java.util.Map;

/**
 * Souper's topics with their serdes, in one place: keys are soup ids (strings), values
 * are Avro records in the Confluent wire format, registered under TopicNameStrategy.
 */
public final class SouperTopics {

    public final Topic<String, SoupDefinition> definitions;
    public final Topic<String, CheckpointReady> checkpoints;
    public final Topic<String, EvaluationRequest> candidates;
    public final Topic<String, EvaluationResult> evaluations;
    public final Topic<String, SoupUpdated> updates;
    public final Topic<String, SoupDecision> decisions;
    public final Topic<String, DeadLetter> deadLetters;
    public final Topic<String, ReportRequest> reportRequests;
    public final Topic<String, EvaluationResult> reportResults;
    private final SchemaRegistryClient registry;

    public SouperTopics(SchemaRegistryClient registry) {
        this.registry = registry;
        definitions = topic(TopicNames.DEFINITIONS, SoupDefinition.class);
        checkpoints = topic(TopicNames.CHECKPOINTS, CheckpointReady.class);
        candidates = topic(TopicNames.CANDIDATES, EvaluationRequest.class);
        evaluations = topic(TopicNames.EVALUATIONS, EvaluationResult.class);
        updates = topic(TopicNames.UPDATES, SoupUpdated.class);
        decisions = topic(TopicNames.DECISIONS, SoupDecision.class);
        deadLetters = topic(TopicNames.DLQ, DeadLetter.class);
        reportRequests = topic(TopicNames.REPORT_REQUESTS, ReportRequest.class);
        reportResults = topic(TopicNames.REPORT_RESULTS, EvaluationResult.class);
    }

    /** Topics whose serdes talk to the registry at {@code schemaRegistryUrl} (http://... or mock://scope). */
    public static SouperTopics forRegistry(String schemaRegistryUrl) {
        return new SouperTopics(SchemaRegistryClients.forUrl(schemaRegistryUrl, Map.of()));
    }

    public SchemaRegistryClient registry() {
        return registry;
    }

    public List<Topic<String, ? extends SpecificRecord>> all() {
        return List.of(definitions, checkpoints, candidates, evaluations, updates, decisions, deadLetters, reportRequests,
                reportResults);
    }

    /** The topic of {@code name}, for commands that take a topic name from the user. */
    public Topic<String, ? extends SpecificRecord> byName(String name) {
        return all().stream().filter(t -> t.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown topic '" + name + "'; Souper's topics are "
                        + all().stream().map(Topic::name).toList()));
    }

    /** A value serde of {@code type} on this registry, for state stores and ad-hoc clients. */
    public <T extends SpecificRecord> Serde<T> serde(Class<T> type) {
        return new SpecificAvroSerde<>(registry, type);
    }

    private <T extends SpecificRecord> Topic<String, T> topic(String name, Class<T> type) {
        return new Topic<>(name, Serdes.String(), serde(type));
    }
}
