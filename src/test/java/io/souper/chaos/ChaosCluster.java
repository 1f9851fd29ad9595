package io.souper.chaos;

import io.souper.kafka.FreePorts;
import io.souper.kafka.KafkaClientConfigs;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The distributed deployment in separate JVMs: {@code souper dev-stack} (KRaft broker + schema
 * registry), two {@code souper streams} and two {@code souper evaluator} instances. Every process
 * keeps its ports and directories across restarts, as a pod with a persistent volume would.
 */
final class ChaosCluster implements AutoCloseable {

    static final String APPLICATION_ID = "souper-chaos";
    static final String EVALUATOR_GROUP = "souper-chaos-evaluator";
    /**
     * Standby replicas through the client-properties mechanism ({@code SOUPER_KAFKA_*} reaches the
     * Kafka Streams configuration): switch to {@code --standby-replicas 1} once that option exists.
     */
    static final Map<String, String> SOUPER_ENVIRONMENT = Map.of("SOUPER_KAFKA_NUM_STANDBY_REPLICAS", "1");

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    final int kafkaPort = FreePorts.pick();
    final int registryPort = FreePorts.pick();
    final ServiceProcess broker;
    final List<ServiceProcess> soupers = new ArrayList<>();
    final List<Integer> souperPorts = new ArrayList<>();
    final List<ServiceProcess> evaluators = new ArrayList<>();
    final List<Integer> evaluatorPorts = new ArrayList<>();

    ChaosCluster(Path dir, String classpath, int partitions, Path storeRoot) throws IOException {
        Path logs = Files.createDirectories(dir.resolve("logs"));
        broker = new ServiceProcess("broker", classpath, "768m", List.of("dev-stack",
                "--data-dir", dir.resolve("broker").toString(), "--kafka-port", "" + kafkaPort,
                "--registry-port", "" + registryPort, "--partitions", "" + partitions),
                Map.of(), logs.resolve("broker.log"));
        List<String> connection = List.of("-b", bootstrapServers(), "-r", registryUrl());
        for (int i = 0; i < 2; i++) {
            int port = FreePorts.pick();
            souperPorts.add(port);
            List<String> args = new ArrayList<>(List.of("streams"));
            args.addAll(connection);
            args.addAll(List.of("--application-id", APPLICATION_ID, "--state-dir",
                    dir.resolve("souper-" + i).toString(), "--http-port", "" + port, "--advertised-host", "localhost"));
            soupers.add(new ServiceProcess("souper-" + i, classpath, "384m", args, SOUPER_ENVIRONMENT,
                    logs.resolve("souper-" + i + ".log")));
        }
        for (int i = 0; i < 2; i++) {
            int port = FreePorts.pick();
            evaluatorPorts.add(port);
            List<String> args = new ArrayList<>(List.of("evaluator"));
            args.addAll(connection);
            args.addAll(List.of("--store-root", storeRoot.toString(), "--store-root", ChaosInputs.IDX.toString(), "--work-dir",
                    dir.resolve("evaluator-" + i).toString(), "--http-port", "" + port, "--group-id",
                    EVALUATOR_GROUP, "--device", "cpu"));
            evaluators.add(new ServiceProcess("evaluator-" + i, classpath, "768m", args, Map.of(),
                    logs.resolve("evaluator-" + i + ".log")));
        }
    }

    String bootstrapServers() {
        return "127.0.0.1:" + kafkaPort;
    }

    String registryUrl() {
        return "http://127.0.0.1:" + registryPort;
    }

    KafkaClientConfigs clients() {
        return new KafkaClientConfigs(bootstrapServers(), registryUrl());
    }

    String souperUrl(int i) {
        return "http://localhost:" + souperPorts.get(i);
    }

    String evaluatorUrl(int i) {
        return "http://localhost:" + evaluatorPorts.get(i);
    }

    /**
     * The broker and registry first (the services fail fast without them), then the four services,
     * supervised from their first start: a service that gives up at start (the CLI's fail-fast
     * probe of Kafka, 8 s) is started again, as a pod would be.
     */
    void startAll(Duration timeout) throws InterruptedException {
        startBroker(timeout);
        supervise();
        soupers.forEach(ServiceProcess::start);
        evaluators.forEach(ServiceProcess::start);
        for (int i = 0; i < 2; i++) {
            awaitReady(soupers.get(i), souperUrl(i), timeout);
            awaitReady(evaluators.get(i), evaluatorUrl(i), timeout);
        }
    }

    void startBroker(Duration timeout) throws InterruptedException {
        broker.start();
        awaitHttp200(broker, registryUrl() + "/subjects", timeout);
    }

    /** Polls {@code /health/ready} until it answers 200. */
    static void awaitReady(ServiceProcess service, String url, Duration timeout) throws InterruptedException {
        awaitHttp200(service, url + "/health/ready", timeout);
    }

    static void awaitHttp200(ServiceProcess service, String url, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (status(url) != 200) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(service.name() + " did not answer 200 on " + url + " within "
                        + timeout + "; see " + service.log());
            }
            Thread.sleep(100);
        }
    }

    /** The HTTP status of a GET, 0 when nothing answered. */
    static int status(String url) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    /**
     * What exited on its own so far (each restarted by the supervisor), in order, except the
     * documented fail-fast of a service that could not reach Kafka within 8 s of its start: a
     * restart is the remedy the design gives for that, not a finding.
     */
    final List<String> crashes = java.util.Collections.synchronizedList(new ArrayList<>());
    private volatile Thread supervisor;
    static final String FAIL_FAST_AT_START = "souper: cannot reach Kafka at";

    /** Restarts, once a second, whatever ended without being killed, and records it as a finding. */
    void supervise() {
        supervisor = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                List<ServiceProcess> all = new ArrayList<>(List.of(broker));
                all.addAll(soupers);
                all.addAll(evaluators);
                for (ServiceProcess p : all) {
                    p.restartIfCrashed().ifPresent(why -> {
                        System.out.println("chaos: exited on its own, restarted: " + why);
                        if (!why.contains(FAIL_FAST_AT_START)) {
                            crashes.add(why);
                        }
                    });
                }
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "chaos-supervisor");
        supervisor.setDaemon(true);
        supervisor.start();
    }

    @Override
    public void close() throws InterruptedException {
        if (supervisor != null) {
            supervisor.interrupt();
            supervisor.join();
        }
        for (ServiceProcess p : soupers) {
            p.stop();
        }
        for (ServiceProcess p : evaluators) {
            p.stop();
        }
        broker.stop();
    }
}
