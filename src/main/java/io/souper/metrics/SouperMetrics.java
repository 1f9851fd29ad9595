package io.souper.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.streams.KafkaStreams;

import java.time.Duration;
import java.util.Collection;
import java.util.Map;

/**
 * The one Micrometer setup every Souper process uses: a Prometheus registry with
 * JVM and process metrics bound, tagged with the process's role. Components add
 * their own meters to {@link #registry()}; names follow Prometheus conventions
 * (base units, dots become underscores, counters get {@code _total} on scrape).
 */
public final class SouperMetrics implements AutoCloseable {

    private final PrometheusMeterRegistry registry;
    private final java.util.List<AutoCloseable> binders = new java.util.concurrent.CopyOnWriteArrayList<>();

    public SouperMetrics(String role) {
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().commonTags("application", "souper", "role", role);
        new JvmMemoryMetrics().bindTo(registry);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(registry);
        binders.add(gc);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** The Prometheus text exposition of every meter. */
    public String scrape() {
        return registry.scrape();
    }

    public void bind(Producer<?, ?> producer) {
        track(new KafkaClientMetrics(producer));
    }

    public void bind(Consumer<?, ?> consumer) {
        track(new KafkaClientMetrics(consumer));
    }

    public void bind(KafkaStreams streams) {
        KafkaStreamsMetrics metrics = new KafkaStreamsMetrics(streams);
        metrics.bindTo(registry);
        binders.add(metrics);
        // Kafka Streams reports its state as a string, which the binder cannot export; one gauge
        // per state (1 for the current one) lets an alert ask "not RUNNING for 5 minutes"
        for (KafkaStreams.State state : KafkaStreams.State.values()) {
            Gauge.builder(MetricNames.STREAMS_STATE, streams, s -> s.state() == state ? 1 : 0)
                    .description("1 for the state the souper's Kafka Streams client is in")
                    .tag("state", state.name()).register(registry);
        }
    }

    /**
     * Exports the lag of every consumer group on {@code topics} (see {@link ConsumerLag}) until
     * this is closed.
     */
    public void watchConsumerLag(Map<String, Object> adminConfig, Collection<String> topics, Duration interval) {
        binders.add(ConsumerLag.start(adminConfig, topics, interval, registry));
    }

    private void track(KafkaClientMetrics metrics) {
        metrics.bindTo(registry);
        binders.add(metrics);
    }

    @Override
    public void close() {
        for (AutoCloseable binder : binders) {
            try {
                binder.close();
            } catch (Exception ignored) {
                // closing a metrics binder must never block shutdown
            }
        }
        registry.close();
    }
}
