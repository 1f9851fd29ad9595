package io.souper.demo;

import io.souper.evaluator.EvaluatorService;
import io.souper.evaluator.EvaluatorSettings;
import io.souper.kafka.EmbeddedStack;
import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.SouperTopics;
import io.souper.kafka.TopicNames;
import io.souper.metrics.ConsumerLag;
import io.souper.metrics.SouperMetrics;
import io.souper.streams.SouperStreamsApp;
import io.souper.streams.SouperStreamsSettings;
import io.souper.web.Health;
import io.souper.web.HttpEndpoint;
import io.souper.web.SouperWeb;
import io.souper.web.StreamsHealth;
import org.apache.kafka.streams.state.HostInfo;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Souper in one JVM: the embedded broker and schema registry, the evaluator, the souper
 * and the web page, all under one data directory, so a second start resumes the first.
 * Closing stops them in reverse order (the souper commits its transaction first).
 */
public final class AllInOne implements AutoCloseable {

    private final EmbeddedStack stack;
    private final SouperMetrics metrics;
    private final HttpEndpoint endpoint;
    private final SouperStreamsApp souper;
    private final SouperWeb web;
    private final EvaluatorService evaluator;
    private final SouperTopics topics;

    private AllInOne(EmbeddedStack stack, SouperMetrics metrics, HttpEndpoint endpoint, SouperStreamsApp souper,
                     SouperWeb web, EvaluatorService evaluator, SouperTopics topics) {
        this.stack = stack;
        this.metrics = metrics;
        this.endpoint = endpoint;
        this.souper = souper;
        this.web = web;
        this.evaluator = evaluator;
        this.topics = topics;
    }

    /**
     * @param storeRoots where checkpoints may be read from (the data directory is always one)
     * @param httpPort   port of the web page, the query API and /metrics (0: any free port)
     */
    public static AllInOne start(Path dataDir, List<Path> storeRoots, int httpPort, String device) throws InterruptedException {
        SouperMetrics metrics = new SouperMetrics("all-in-one");
        // The endpoint before the stack: the first JDK HTTP server fixes the request timeout (see HttpEndpoint).
        HttpEndpoint endpoint = new HttpEndpoint("localhost", httpPort, metrics);
        EmbeddedStack stack;
        try {
            stack = EmbeddedStack.start(dataDir.resolve("stack"), 0, 0, 2);
        } catch (RuntimeException e) {
            endpoint.close();
            metrics.close();
            throw e;
        }
        SouperStreamsApp souper = null;
        SouperWeb web = null;
        try {
            SouperTopics topics = stack.clientConfigs().topics();
            endpoint.start();
            souper = SouperStreamsApp.start(stack.clientConfigs(), topics, "souper", dataDir.resolve("streams"), 1,
                    SouperStreamsSettings.defaults(), metrics, new HostInfo("localhost", endpoint.port()));
            web = SouperWeb.serve(endpoint, souper, stack.clientConfigs(), topics);
            souper.awaitRunning(Duration.ofSeconds(120));
            EvaluatorSettings settings = EvaluatorSettings.defaults(storeRoots, dataDir.resolve("evaluator"))
                    .withDevice(device);
            EvaluatorService evaluator = EvaluatorService.start(stack.clientConfigs(), topics, settings, metrics);
            metrics.watchConsumerLag(stack.clientConfigs().admin(), TopicNames.names(), ConsumerLag.DEFAULT_INTERVAL);
            SouperStreamsApp streams = souper;
            endpoint.health(() -> StreamsHealth.of(streams.state()).and(
                    Health.consumer("evaluator", evaluator.isRunning(), evaluator.assignment().size())));
            return new AllInOne(stack, metrics, endpoint, souper, web, evaluator, topics);
        } catch (RuntimeException | InterruptedException e) {
            if (web != null) {
                web.close();
            }
            if (souper != null) {
                souper.close();
            }
            endpoint.close();
            metrics.close();
            stack.close();
            throw e;
        }
    }

    public KafkaClientConfigs clients() {
        return stack.clientConfigs();
    }

    public SouperTopics topics() {
        return topics;
    }

    public String url() {
        return endpoint.url();
    }

    public String device() {
        return evaluator.device();
    }

    @Override
    public void close() {
        evaluator.close();
        web.close();
        souper.close();
        endpoint.close();
        metrics.close();
        stack.close();
    }
}
