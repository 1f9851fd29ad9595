package io.souper.streams;

import io.souper.events.DeadLetter;
import io.souper.events.EvaluationRequest;
import io.souper.events.SoupDecision;
import io.souper.events.SoupDefinition;
import io.souper.events.SoupUpdated;
import io.souper.events.WaitingResult;
import io.souper.kafka.SouperTopics;
import io.souper.kafka.Topic;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.Stores;

import java.util.List;

/**
 * The souper's topology: definitions and evaluation results go through one stateful processor,
 * whose outputs are routed by type to souper.candidates, souper.decisions, souper.updates and
 * souper.dlq.
 *
 * <p>A soup's definition and its results must reach the same task. Producers do not agree on
 * where a key goes (Java clients hash keys with murmur2, librdkafka's default is CRC32), so the
 * souper does not rely on the input topics' partitioning: it reads both, stamps each record with
 * where it came from ({@link Origin}), and repartitions them by soup id through one internal topic
 * that Kafka Streams creates and writes ({@value #BY_SOUP}, i.e. {@code <application.id>-by-soup-repartition}).
 */
public final class SouperTopology {

    /** Name of the repartition step; Kafka Streams names its topic {@code <application.id>-by-soup-repartition}. */
    static final String BY_SOUP = "by-soup";

    private SouperTopology() {
    }

    /** Every record through the repartition topic (the placement of the input topics is not known). */
    public static void build(StreamsBuilder builder, SouperTopics topics, SouperStreamsSettings settings,
                             io.micrometer.core.instrument.MeterRegistry meters) {
        build(builder, topics, settings, meters, SoupPlacement.UNKNOWN);
    }

    /**
     * @param placement where soups live: records already on their soup's partition skip the repartition
     *                  topic (see {@link SoupPlacement}); with {@link SoupPlacement#UNKNOWN} none does
     */
    static void build(StreamsBuilder builder, SouperTopics topics, SouperStreamsSettings settings,
                      io.micrometer.core.instrument.MeterRegistry meters, SoupPlacement placement) {
        SoupStreamsMetrics metrics = new SoupStreamsMetrics(meters);
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(StoreNames.DEFINITIONS),
                Serdes.String(), topics.serde(SoupDefinition.class)));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(StoreNames.STATE),
                Serdes.String(), Serdes.ByteArray()));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(StoreNames.LATEST),
                Serdes.String(), topics.serde(SoupUpdated.class)));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(StoreNames.DECISIONS),
                Serdes.String(), topics.serde(SoupDecision.class)));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(StoreNames.WAITING),
                Serdes.String(), topics.serde(WaitingResult.class)));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(StoreNames.WAITING_COUNTS),
                Serdes.String(), Serdes.Integer()));

        KStream<String, byte[]> inputs = builder.stream(List.of(topics.definitions.name(), topics.evaluations.name()),
                Consumed.with(Serdes.String(), Serdes.ByteArray()));
        // routed apart, not merged with the soups' outputs: a merge would fuse the two sub-topologies
        route(inputs.filter(UnroutableRecords::unroutable).process(() -> new UnroutableRecords(metrics)),
                DeadLetter.class, topics.deadLetters);
        KStream<String, byte[]> routable = inputs.filterNot(UnroutableRecords::unroutable);
        Repartitioned<String, byte[]> bySoup = Repartitioned.<String, byte[]>as(BY_SOUP)
                .withKeySerde(Serdes.String()).withValueSerde(Serdes.ByteArray());
        KStream<String, byte[]> soupRecords;
        if (placement.known()) {
            // A record on its soup's partition goes straight to the soup; only the others take the hop, which
            // costs a transaction (the souper sees a repartitioned record once the transaction that wrote it
            // commits). The repartition topic has the inputs' partition count, so both paths of a soup end in
            // the same task. One sub-topology reads the inputs and the repartition topic.
            KStream<String, byte[]> foreign = routable.processValues(() -> placement.new Filter(false))
                    .processValues(Origin.Stamp::new)
                    .repartition(bySoup.withNumberOfPartitions(placement.partitions()));
            soupRecords = routable.processValues(() -> placement.new Filter(true)).merge(foreign);
        } else {
            // one topic for both, so definitions and results of a soup meet whatever the input partition counts
            soupRecords = routable.processValues(Origin.Stamp::new).repartition(bySoup);
        }
        KStream<String, SpecificRecord> outputs = soupRecords
                .process(() -> new SoupProcessor(topics, settings, metrics),
                        StoreNames.DEFINITIONS, StoreNames.STATE, StoreNames.LATEST, StoreNames.DECISIONS,
                        StoreNames.WAITING, StoreNames.WAITING_COUNTS);

        route(outputs, EvaluationRequest.class, topics.candidates);
        route(outputs, SoupDecision.class, topics.decisions);
        route(outputs, SoupUpdated.class, topics.updates);
        route(outputs, DeadLetter.class, topics.deadLetters);
    }

    private static <V extends SpecificRecord> void route(KStream<String, SpecificRecord> outputs, Class<V> type,
                                                         Topic<String, V> topic) {
        outputs.filter((key, value) -> type.isInstance(value))
                .mapValues(type::cast)
                .to(topic.name(), Produced.with(topic.keySerde(), topic.valueSerde()));
    }
}
