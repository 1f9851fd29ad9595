package io.souper.streams;

import io.souper.kafka.KafkaClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.DefaultProductionExceptionHandler;
import org.apache.kafka.streams.errors.LogAndFailExceptionHandler;
import org.apache.kafka.streams.errors.LogAndFailProcessingExceptionHandler;

import java.nio.file.Path;
import java.util.Properties;

/** Builds the souper's Kafka Streams configuration. */
public final class SouperStreamsConfig {

    public static final String DEFAULT_APPLICATION_ID = "souper";
    public static final String DEFAULT_STATE_DIR = ".souper/streams";
    public static final int DEFAULT_THREADS = 1;
    /** The query API, the web page and /metrics. */
    public static final int DEFAULT_HTTP_PORT = 8080;
    public static final String DEFAULT_ADVERTISED_HOST = "localhost";
    /** Record cache for all stores of an instance (its stream threads share it). */
    static final long STORE_CACHE_BYTES = 32L * 1024 * 1024;
    /** Producer batch per partition (under the broker's default 1 MB message.max.bytes). */
    static final int PRODUCER_BATCH_BYTES = 512 * 1024;

    private SouperStreamsConfig() {
    }

    /**
     * @param applicationServer host:port this instance answers interactive queries on, or null
     */
    public static Properties create(String bootstrapServers, String applicationId, Path stateDir,
                                    String applicationServer, int threads) {
        return create(new KafkaClientConfigs(bootstrapServers, null), applicationId, stateDir, applicationServer, threads);
    }

    /**
     * As above, with the user's client properties (SASL, TLS...) under Souper's own settings: they reach
     * the Streams consumers, producers and admin client alike.
     */
    public static Properties create(KafkaClientConfigs clients, String applicationId, Path stateDir,
                                    String applicationServer, int threads) {
        return create(clients, applicationId, stateDir, applicationServer, threads, SouperStreamsSettings.defaults());
    }

    /** As above, with the instance id and standby replicas of {@code settings}. */
    public static Properties create(KafkaClientConfigs clients, String applicationId, Path stateDir,
                                    String applicationServer, int threads, SouperStreamsSettings settings) {
        Properties p = new Properties();
        p.putAll(clients.common());
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toAbsolutePath().toString());
        // A soup must never be lost or corrupted: state, outputs and offsets commit together.
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, threads);
        // What is the record's fault (unreadable, invalid) the souper dead-letters itself. Whatever
        // still escapes a processor or a serializer is the world's (a schema registry that does not
        // answer) or a bug: it must fail the task, never be skipped, so the uncaught-exception handler
        // replaces the thread and the new one reads the record again from the last committed offset.
        // These are Kafka's defaults, set here so that no override can turn a registry outage into
        // lost results.
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndFailProcessingExceptionHandler.class);
        // The same handler for global-store processing (what Kafka 5.0 does by default; without it Kafka
        // warns at every start that the GlobalThread has no processing handler).
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
        p.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, DefaultProductionExceptionHandler.class);
        p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndFailExceptionHandler.class);
        // A failed thread's consumer does not leave the group (Kafka Streams closes it without
        // leaving), so its tasks, and the record to retry, come back only when its session expires:
        // 45 s by default, measured at 45.6 s per failure in the registry-outage test. Heartbeats run
        // on their own thread, so a shorter session does not make slow processing look dead.
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 10_000);
        // Static membership: an instance killed and restarted within the session timeout rejoins under
        // the same id and gets its own tasks back at once, with no rebalance of the other instances.
        // Kafka Streams suffixes the id per stream thread. Given (--instance-id), or kept in the state directory.
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG),
                InstanceId.of(settings.instanceId(), stateDir));
        // Warm copies of each task's stores on other instances: they answer queries (marked stale) while
        // the owner is down, and the instance that takes the task over restores only the tail.
        p.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, settings.standbyReplicas());
        // Soups wait on evaluations that take seconds; short commits keep decisions flowing.
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 200);
        // A record cache in front of the stores: a soup written several times within one commit (a burst of
        // checkpoint results) reaches its changelog once, at the commit, instead of once per record. Outputs are
        // forwarded by the processor itself, so the cache delays nothing a reader sees; under exactly-once
        // nothing is visible before the commit anyway.
        p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, STORE_CACHE_BYTES);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        p.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 5);
        // One produce request in flight at a time. With transactions v2 (Kafka 4.x brokers) every commit
        // bumps the producer epoch, so each transaction's sequences restart at 0, and the broker rejects a
        // batch with sequence > 0 that arrives while the first is still being verified with the transaction
        // coordinator (KAFKA-18202, a retriable OUT_OF_ORDER_SEQUENCE_NUMBER): with 5 in flight, the commit's
        // flush waited for those retries (retry.backoff.ms, 100 ms and up), measured at ~250 ms per commit
        // (bench/souper). One request carries a batch for every partition, so little is lost.
        p.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION), 1);
        // With one request in flight, a produce request carries at most one batch per partition, so the batch size
        // is how much of a partition one round trip to the broker moves. The soup-state changelog is most of what
        // the souper writes (a soup's JSON state, ~10 KB at 20 checkpoints, per soup per commit): at the default
        // 16 KB the commit's flush took ~1.3 s per commit at 1,000 soups (bench/souper, JFR), one 16 KB round trip
        // after another. Larger batches, compressed (the JSON state compresses several times), move a commit's
        // worth in a few round trips.
        p.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), PRODUCER_BATCH_BYTES);
        p.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "lz4");
        if (applicationServer != null) {
            p.put(StreamsConfig.APPLICATION_SERVER_CONFIG, applicationServer);
        }
        return p;
    }
}
