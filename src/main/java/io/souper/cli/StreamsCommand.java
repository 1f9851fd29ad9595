package io.souper.cli;

import io.souper.kafka.SouperTopics;
import io.souper.metrics.SouperMetrics;
import io.souper.streams.SouperStreamsApp;
import io.souper.streams.SouperStreamsConfig;
import io.souper.streams.SouperStreamsSettings;
import io.souper.web.HttpEndpoint;
import io.souper.web.SouperWeb;
import org.apache.kafka.streams.state.HostInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

@Command(name = "streams", mixinStandardHelpOptions = true,
        description = {"Run the souper: the Kafka Streams application that folds evaluation results into greedy "
                + "soups (exactly_once_v2, state in RocksDB) and answers GET /soups, /soups/{id} and "
                + "/soups/{id}/decisions, plus /metrics, on its HTTP port. Run several for scale; soups spread "
                + "over instances by soup id. Runs until Ctrl-C."})
public final class StreamsCommand implements Callable<Integer> {

    @Mixin
    ConnectionOptions connection;

    @Option(names = "--application-id", defaultValue = SouperStreamsConfig.DEFAULT_APPLICATION_ID,
            description = "Kafka Streams application id (default: ${DEFAULT-VALUE}).")
    String applicationId;

    @Option(names = "--state-dir", defaultValue = "${env:SOUPER_STATE_DIR:-.souper/streams}",
            description = "Where RocksDB keeps soup state (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    @Option(names = "--threads", defaultValue = "1", description = "Stream threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--http-port", defaultValue = "${env:SOUPER_HTTP_PORT:-8080}",
            description = "Port of the query API and /metrics (default: ${DEFAULT-VALUE}).")
    int httpPort;

    @Option(names = "--advertised-host", defaultValue = "${env:SOUPER_ADVERTISED_HOST:-localhost}",
            description = "Host name other instances reach this one at (default: ${DEFAULT-VALUE}).")
    String advertisedHost;

    @Option(names = "--definition-wait", defaultValue = "PT10M",
            description = "How long a result waits for its soup's definition before it goes to the DLQ "
                    + "(ISO-8601 duration, default: ${DEFAULT-VALUE}).")
    Duration definitionWait;

    @Override
    public Integer call() throws Exception {
        SouperTopics topics = SouperTopics.forRegistry(connection.schemaRegistryUrl);
        try (SouperMetrics metrics = new SouperMetrics("streams");
             HttpEndpoint endpoint = new HttpEndpoint("0.0.0.0", httpPort, metrics).start();
             SouperStreamsApp app = SouperStreamsApp.start(connection.bootstrapServers, topics, applicationId,
                     stateDir, threads, new SouperStreamsSettings(definitionWait, 1_000, Duration.ofSeconds(30)),
                     metrics, new HostInfo(advertisedHost, endpoint.port()));
             SouperWeb web = SouperWeb.serve(endpoint, app, connection.clientConfigs(), topics)) {
            System.out.println("souper streams running; queries and metrics at " + endpoint.url());
            Foreground.awaitStop();
        }
        return 0;
    }
}
