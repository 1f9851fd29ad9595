package io.souper.streams;

import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.SouperTopics;
import io.souper.metrics.SouperMetrics;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;

/**
 * The running souper: the topology on Kafka Streams, its metrics, and typed queries over
 * its stores. Which HTTP routes serve those queries is the caller's wiring (see
 * the web package). An uncaught error replaces the stream thread instead of killing
 * the application; exactly-once processing makes the retry safe.
 */
public final class SouperStreamsApp implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SouperStreamsApp.class);

    private final KafkaStreams streams;
    private final SoupQueries queries;

    private SouperStreamsApp(KafkaStreams streams, SoupQueries queries) {
        this.streams = streams;
        this.queries = queries;
    }

    /**
     * @param self where other instances reach this one's query API ({@code application.server})
     */
    public static SouperStreamsApp start(String bootstrapServers, SouperTopics topics, String applicationId,
                                         Path stateDir, int threads, SouperStreamsSettings settings,
                                         SouperMetrics metrics, HostInfo self) {
        return start(new KafkaClientConfigs(bootstrapServers, null), topics, applicationId, stateDir, threads,
                settings, metrics, self);
    }

    /** As above, with every client property of {@code clients} (a secured cluster's SASL or TLS settings). */
    public static SouperStreamsApp start(KafkaClientConfigs clients, SouperTopics topics, String applicationId,
                                         Path stateDir, int threads, SouperStreamsSettings settings,
                                         SouperMetrics metrics, HostInfo self) {
        StreamsBuilder builder = new StreamsBuilder();
        SoupPlacement placement = SoupPlacement.describe(clients);
        LOG.info("souper streams: soups placed by {}", placement);
        SouperTopology.build(builder, topics, settings, metrics.registry(), placement);
        Properties config = SouperStreamsConfig.create(clients, applicationId, stateDir,
                self.host() + ":" + self.port(), threads, settings);
        KafkaStreams streams = new KafkaStreams(builder.build(), config);
        streams.setUncaughtExceptionHandler(SouperStreamsApp::onThreadFailure);
        streams.setStateListener((now, before) -> LOG.info("souper streams {} -> {}", before, now));
        metrics.bind(streams);
        SoupQueries queries = new SoupQueries(streams, self);
        streams.start();
        return new SouperStreamsApp(streams, queries);
    }

    /**
     * A failed stream thread: one line that says what failed and what happens next. The thread is
     * replaced (exactly-once makes the retry safe; a record that fails again and again is skipped as
     * REPEATED_CRASH by the processor), except after an error of the JVM itself (out of memory...), after which
     * nothing in this process can be trusted: the souper stops and /health/live says so, so the process
     * is restarted; the record it was on counts as one failed attempt.
     */
    static StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse onThreadFailure(Throwable error) {
        Throwable cause = error;
        while (cause instanceof org.apache.kafka.streams.errors.StreamsException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof VirtualMachineError) {
            LOG.error("souper streams stopping: fatal {} in a stream thread; restart the process", cause.toString());
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        }
        io.souper.kafka.Faults.Fault fault = io.souper.kafka.Faults.classify(cause);
        if (fault == io.souper.kafka.Faults.Fault.WORLD) {
            // an outage: the record is read again once the world answers; no stack trace to wade through
            LOG.error("souper stream thread failed on an outage, replacing it: {}", cause.toString());
        } else {
            LOG.error("souper stream thread failed ({}), replacing it: {}", fault, cause.toString(), error);
        }
        return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
    }

    public KafkaStreams streams() {
        return streams;
    }

    public SoupQueries queries() {
        return queries;
    }

    /** Kafka Streams' own state: what readiness and liveness are decided from. */
    public KafkaStreams.State state() {
        return streams.state();
    }

    /** Waits until the app is RUNNING (state restored, tasks assigned). */
    public void awaitRunning(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (streams.state() != KafkaStreams.State.RUNNING) {
            if (System.nanoTime() > deadline || !streams.state().isRunningOrRebalancing()) {
                throw new IllegalStateException("souper streams did not reach RUNNING within " + timeout
                        + " (state " + streams.state() + ")");
            }
            Thread.sleep(100);
        }
    }

    @Override
    public void close() {
        // Leave the group on a clean stop, so a restart (or the other instances) get the
        // soups back at once instead of after the session timeout.
        streams.close(org.apache.kafka.streams.CloseOptions.groupMembershipOperation(
                org.apache.kafka.streams.CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(Duration.ofSeconds(30)));
    }
}
