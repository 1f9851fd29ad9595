package io.souper.cli;

import io.souper.kafka.BrokerWatch;
import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.SouperTopics;
import io.souper.kafka.TopicNames;
import io.souper.metrics.ConsumerLag;
import io.souper.metrics.SouperMetrics;
import io.souper.streams.SouperStreamsApp;
import io.souper.streams.SouperStreamsConfig;
import io.souper.streams.SouperStreamsSettings;
import io.souper.web.Health;
import io.souper.web.HttpEndpoint;
import io.souper.web.StreamsHealth;
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
            description = "Kafka Streams application id (env SOUPER_APPLICATION_ID; default: ${DEFAULT-VALUE}).")
    String applicationId;

    @Option(names = "--state-dir", defaultValue = SouperStreamsConfig.DEFAULT_STATE_DIR,
            description = "Where RocksDB keeps soup state (env SOUPER_STATE_DIR; default: ${DEFAULT-VALUE}).")
    Path stateDir;

    @Option(names = "--threads", defaultValue = "" + SouperStreamsConfig.DEFAULT_THREADS,
            description = "Stream threads (env SOUPER_THREADS; default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--http-port", defaultValue = "" + SouperStreamsConfig.DEFAULT_HTTP_PORT,
            description = "Port of the query API and /metrics (env SOUPER_HTTP_PORT; default: ${DEFAULT-VALUE}).")
    int httpPort;

    @Option(names = "--advertised-host", defaultValue = SouperStreamsConfig.DEFAULT_ADVERTISED_HOST,
            description = "Host name other instances reach this one at (env SOUPER_ADVERTISED_HOST; "
                    + "default: ${DEFAULT-VALUE}).")
    String advertisedHost;

    @Option(names = "--definition-wait", defaultValue = SouperStreamsSettings.DEFAULT_DEFINITION_WAIT,
            description = "How long a result waits for its soup's definition before it goes to the DLQ, "
                    + "ISO-8601 (env SOUPER_DEFINITION_WAIT; default: ${DEFAULT-VALUE}).")
    Duration definitionWait;

    @Option(names = "--instance-id",
            description = "Static group membership id of this instance, e.g. the pod name of a StatefulSet: a "
                    + "restart within the session timeout gets its soups back without a rebalance. Unique per "
                    + "live instance (env SOUPER_INSTANCE_ID; default: an id kept in the state directory).")
    String instanceId;

    @Option(names = "--standby-replicas", defaultValue = "" + SouperStreamsSettings.DEFAULT_STANDBY_REPLICAS,
            description = "Warm copies of each soup's state on other instances; they answer queries (marked "
                    + "stale) while the owner is down (env SOUPER_STANDBY_REPLICAS; default: ${DEFAULT-VALUE}).")
    int standbyReplicas;

    @Override
    public Integer call() throws Exception {
        KafkaClientConfigs clients = connection.connect();
        SouperTopics topics = clients.topics();
        try (SouperMetrics metrics = new SouperMetrics("streams");
             HttpEndpoint endpoint = new HttpEndpoint("0.0.0.0", httpPort, metrics).start()
                     .health(() -> Health.notReady("souper starting"));
             // one line when the broker goes, one when it is back; Kafka Streams retries meanwhile
             BrokerWatch broker = BrokerWatch.start("souper", clients);
             SouperStreamsApp app = SouperStreamsApp.start(clients, topics, applicationId, stateDir, threads,
                     SouperStreamsSettings.withDefinitionWait(definitionWait).withInstanceId(instanceId)
                             .withStandbyReplicas(standbyReplicas), metrics,
                     new HostInfo(advertisedHost, endpoint.port()));
             SouperWeb web = SouperWeb.serve(endpoint, app, clients, topics)) {
            endpoint.health(() -> readiness(StreamsHealth.of(app.state()), broker.reachable()));
            metrics.watchConsumerLag(clients.admin(), TopicNames.names(), ConsumerLag.DEFAULT_INTERVAL);
            System.out.println("souper streams running; queries and metrics at " + endpoint.url());
            Foreground.awaitStop();
        }
        return 0;
    }

    /** Kafka Streams' own health, not ready while the broker is unreachable (a live souper waits for it). */
    static Health readiness(Health streams, boolean brokerReachable) {
        return brokerReachable || !streams.live() ? streams
                : Health.notReady(streams.reason() + "; waiting for the broker (unreachable)");
    }
}
