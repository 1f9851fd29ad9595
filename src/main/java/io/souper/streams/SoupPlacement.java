package io.souper.streams;

import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.TopicNames;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.processor.api.ContextualFixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Which partition a soup lives on: the one Kafka Streams' repartition step sends its id to, i.e. what a
 * Java producer's default partitioner gives (murmur2 of the key's UTF-8 bytes, modulo the partition
 * count). A record a Java client published is already there, so it needs no trip through the
 * repartition topic; only records of a producer that hashes keys otherwise (librdkafka's CRC32) do.
 * Skipping the hop for the first kind saves a whole transaction between a result and the soup's next
 * request: the repartitioned record is visible to the souper only after the transaction that wrote it
 * commits.
 *
 * <p>This holds only when both input topics have the same number of partitions, which the repartition
 * topic is then given too; otherwise (or when the topics cannot be described) the placement is
 * {@link #UNKNOWN} and every record takes the repartition hop, as it is always correct to.
 */
final class SoupPlacement {

    private static final Logger LOG = LoggerFactory.getLogger(SoupPlacement.class);

    /** Placement not known: every record is repartitioned. */
    static final SoupPlacement UNKNOWN = new SoupPlacement(0);

    private final int partitions;

    private SoupPlacement(int partitions) {
        this.partitions = partitions;
    }

    /** Soups placed among {@code partitions} partitions of both input topics (and of the repartition topic). */
    static SoupPlacement of(int partitions) {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be at least 1, got " + partitions);
        }
        return new SoupPlacement(partitions);
    }

    /** Reads the input topics' partition counts; UNKNOWN (all records repartitioned) when they differ or cannot be read. */
    static SoupPlacement describe(KafkaClientConfigs clients) {
        List<String> inputs = List.of(TopicNames.DEFINITIONS, TopicNames.EVALUATIONS);
        try (Admin admin = Admin.create(clients.admin())) {
            Map<String, TopicDescription> described = admin.describeTopics(inputs).allTopicNames()
                    .get(30, TimeUnit.SECONDS);
            int definitions = described.get(TopicNames.DEFINITIONS).partitions().size();
            int evaluations = described.get(TopicNames.EVALUATIONS).partitions().size();
            if (definitions != evaluations) {
                LOG.warn("{} has {} partitions and {} has {}: every input record goes through the repartition topic",
                        TopicNames.DEFINITIONS, definitions, TopicNames.EVALUATIONS, evaluations);
                return UNKNOWN;
            }
            return of(definitions);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while describing the input topics", e);
        } catch (Exception e) {
            LOG.warn("cannot describe the input topics ({}): every input record goes through the repartition topic",
                    e.toString());
            return UNKNOWN;
        }
    }

    boolean known() {
        return partitions > 0;
    }

    int partitions() {
        return partitions;
    }

    /** True when a record keyed {@code soupId} on {@code partition} is already where its soup lives. */
    boolean isHome(String soupId, int partition) {
        return known() && soupId != null
                && Utils.toPositive(Utils.murmur2(soupId.getBytes(StandardCharsets.UTF_8))) % partitions == partition;
    }

    /** Passes on the records that are ({@code home}) or are not already on their soup's partition. */
    final class Filter extends ContextualFixedKeyProcessor<String, byte[], byte[]> {
        private final boolean home;

        Filter(boolean home) {
            this.home = home;
        }

        @Override
        public void process(FixedKeyRecord<String, byte[]> record) {
            int partition = context().recordMetadata().orElseThrow().partition();
            if (isHome(record.key(), partition) == home) {
                context().forward(record);
            }
        }
    }

    @Override
    public String toString() {
        return known() ? "murmur2 over " + partitions + " partitions" : "unknown";
    }
}
