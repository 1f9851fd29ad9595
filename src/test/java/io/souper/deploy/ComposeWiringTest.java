package io.souper.deploy;

import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static io.souper.deploy.Commands.run;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The compose files as docker-compose resolves them (`docker-compose config`: anchors, defaults
 * and the GPU override merged), checked for the wiring a first day depends on: the broker keeps
 * its logs on its volume and talks to the host, every `service_healthy` dependency has a
 * healthcheck that asks the port the service serves, Prometheus finds every evaluator replica,
 * and the GPU override reserves a GPU for the CUDA image. No Docker engine runs here, so nothing
 * is started: the wiring is what is tested.
 */
class ComposeWiringTest {

    private static final Path ROOT = Path.of(".");

    @Test
    void brokerKeepsItsLogsOnTheVolumeAndHasAnInternalAndAHostListener() {
        Map<String, Object> services = services(config("docker-compose.yml"));
        Map<String, Object> kafka = map(services.get("kafka"));
        Map<String, Object> env = map(kafka.get("environment"));

        String logDirs = String.valueOf(env.get("KAFKA_LOG_DIRS"));
        assertThat(mountTargets(kafka)).as("the volume behind KAFKA_LOG_DIRS").containsEntry(logDirs, "kafka-data");
        assertThat(map(config("docker-compose.yml").get("volumes"))).containsKey("kafka-data");

        Map<String, String> listeners = listeners(env.get("KAFKA_LISTENERS"));
        Map<String, String> advertised = listeners(env.get("KAFKA_ADVERTISED_LISTENERS"));
        List<String> protocolMapNames = Arrays.stream(String.valueOf(env.get("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"))
                .split(",")).map(p -> p.split(":")[0]).toList();
        assertThat(protocolMapNames).containsAll(listeners.keySet());
        assertThat(listeners).containsKeys(String.valueOf(env.get("KAFKA_INTER_BROKER_LISTENER_NAME")),
                String.valueOf(env.get("KAFKA_CONTROLLER_LISTENER_NAMES")));

        // Containers use the INTERNAL listener through the service name ...
        assertThat(advertised.get("INTERNAL")).isEqualTo("kafka:" + port(listeners.get("INTERNAL")));
        for (String souper : List.of("souper-topics", "souper-streams", "souper-evaluator")) {
            assertThat(map(map(services.get(souper)).get("environment")).get("SOUPER_BOOTSTRAP_SERVERS"))
                    .as("%s's bootstrap servers", souper).isEqualTo(advertised.get("INTERNAL"));
        }
        // ... and the host the EXTERNAL one, published on the same port it advertises.
        String external = advertised.get("EXTERNAL");
        assertThat(external).startsWith("localhost:");
        int externalPort = port(external);
        assertThat(port(listeners.get("EXTERNAL"))).isEqualTo(externalPort);
        assertThat(list(kafka.get("ports"))).anySatisfy(p -> {
            assertThat(map(p).get("published")).isEqualTo(externalPort);
            assertThat(map(p).get("target")).isEqualTo(externalPort);
        });
    }

    @Test
    void everyHealthyDependencyHasAHealthcheckAndSouperChecksItsOwnPort() {
        Map<String, Object> services = services(config("docker-compose.yml"));
        int healthyDependencies = 0;
        for (Map.Entry<String, Object> service : services.entrySet()) {
            Object dependsOn = map(service.getValue()).get("depends_on");
            if (dependsOn == null) {
                continue;
            }
            for (Map.Entry<String, Object> dependency : map(dependsOn).entrySet()) {
                String condition = String.valueOf(map(dependency.getValue()).get("condition"));
                assertThat(condition).as("%s -> %s", service.getKey(), dependency.getKey())
                        .isIn("service_healthy", "service_completed_successfully");
                if (condition.equals("service_healthy")) {
                    healthyDependencies++;
                    assertThat(map(services.get(dependency.getKey()))).as("%s's healthcheck", dependency.getKey())
                            .containsKey("healthcheck");
                }
            }
        }
        assertThat(healthyDependencies).isGreaterThanOrEqualTo(5);
        assertThat(map(map(services.get("kafka")).get("healthcheck")).get("test").toString())
                .contains("localhost:9092");

        for (String souper : List.of("souper-streams", "souper-evaluator")) {
            Map<String, Object> service = map(services.get(souper));
            String httpPort = optionValue(service, "--http-port");
            String probe = String.join(" ", strings(map(service.get("healthcheck")).get("test")));
            assertThat(probe).as("%s's healthcheck", souper)
                    .contains("/dev/tcp/localhost/" + httpPort, "GET /health/ready", " 200 ");
        }
    }

    @Test
    void evaluatorsReadTheSharedStoreAndKeepTheirScratchApart() {
        Map<String, Object> services = services(config("docker-compose.yml"));
        Map<String, Object> evaluator = map(services.get("souper-evaluator"));
        String storeRoot = String.valueOf(map(evaluator.get("environment")).get("SOUPER_STORE_ROOTS"));
        assertThat(mountTargets(evaluator)).containsEntry(storeRoot, "checkpoints");
        // Scaled replicas must not share one running-sum directory: no named volume on /var/lib/souper.
        assertThat(mountTargets(evaluator)).doesNotContainKey("/var/lib/souper");
        assertThat(evaluator).doesNotContainKey("ports");
        assertThat(mountTargets(map(services.get("souper-streams")))).containsEntry("/var/lib/souper", "streams-state");
    }

    @Test
    void prometheusDiscoversEveryEvaluatorReplicaByDns() throws Exception {
        Map<String, Object> services = services(config("docker-compose.yml"));
        Map<String, String> mounts = mountTargets(map(services.get("prometheus")));
        Path scrapeConfig = Path.of(mounts.get("/etc/prometheus/prometheus.yml"));
        assertThat(scrapeConfig).endsWith(Path.of("monitoring", "prometheus", "prometheus.yml")).isRegularFile();
        Map<String, Object> prometheus = new Yaml().load(Files.readString(scrapeConfig));
        for (String souper : List.of("souper-streams", "souper-evaluator")) {
            Map<String, Object> job = list(prometheus.get("scrape_configs")).stream().map(ComposeWiringTest::map)
                    .filter(j -> souper.equals(j.get("job_name"))).findFirst().orElseThrow();
            assertThat(job).as("%s must not be a static target", souper).doesNotContainKey("static_configs");
            Map<String, Object> dns = map(list(job.get("dns_sd_configs")).get(0));
            assertThat(list(dns.get("names"))).containsExactly(souper);
            assertThat(dns.get("type")).isEqualTo("A");
            assertThat(String.valueOf(dns.get("port"))).isEqualTo(optionValue(map(services.get(souper)), "--http-port"));
        }
        Map<String, String> grafana = mountTargets(map(services.get("grafana")));
        assertThat(Path.of(grafana.get("/var/lib/grafana/dashboards")).resolve("souper.json")).isRegularFile();
        assertThat(Path.of(grafana.get("/etc/grafana/provisioning"))).isDirectory();
    }

    @Test
    void gpuOverrideReservesOneGpuPerEvaluatorForTheCudaImage() {
        Map<String, Object> services = services(config("docker-compose.yml", "docker-compose.gpu.yml"));
        Map<String, Object> evaluator = map(services.get("souper-evaluator"));
        assertThat(evaluator.get("image")).isEqualTo("souper:cuda");
        assertThat(map(map(evaluator.get("build")).get("args"))).containsEntry("MAVEN_PROFILES", "cuda");
        assertThat(optionValue(evaluator, "--device")).isEqualTo("gpu");
        Map<String, Object> device = map(list(map(map(map(evaluator.get("deploy")).get("resources"))
                .get("reservations")).get("devices")).get(0));
        assertThat(device).containsEntry("driver", "nvidia").containsEntry("count", 1);
        assertThat(list(device.get("capabilities"))).containsExactly("gpu");
        // the override changes only the evaluator: the CPU file's wiring stays
        assertThat(map(evaluator.get("healthcheck"))).containsKey("test");
        assertThat(mountTargets(evaluator)).containsKey("/checkpoints");
        assertThat(map(services.get("souper-streams")).get("image")).isEqualTo("souper:latest");
        assertThat(map(services(config("docker-compose.yml")).get("souper-evaluator"))).doesNotContainKey("deploy");
    }

    private static Map<String, Object> config(String... files) {
        List<String> command = new ArrayList<>(List.of("docker-compose"));
        for (String file : files) {
            command.addAll(List.of("-f", file));
        }
        command.add("config");
        // SOUPER_CHECKPOINTS unset: the named volume, as on a first day
        return new Yaml().load(run(ROOT, Map.of("SOUPER_CHECKPOINTS", ""), command.toArray(String[]::new)));
    }

    private static Map<String, Object> services(Map<String, Object> config) {
        return map(config.get("services"));
    }

    /** Container path -> source (volume name or host path) of a service's short-syntax mounts. */
    private static Map<String, String> mountTargets(Map<String, Object> service) {
        Map<String, String> out = new java.util.TreeMap<>();
        for (Object volume : list(service.getOrDefault("volumes", List.of()))) {
            String[] parts = String.valueOf(volume).split(":");
            out.put(parts[1], parts[0]);
        }
        return out;
    }

    private static Map<String, String> listeners(Object spec) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        for (String listener : String.valueOf(spec).split(",")) {
            String[] nameAndAddress = listener.split("://");
            out.put(nameAndAddress[0], nameAndAddress[1]);
        }
        return out;
    }

    private static int port(String hostPort) {
        return Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1));
    }

    private static String optionValue(Map<String, Object> service, String option) {
        List<String> command = strings(service.get("command"));
        int at = command.indexOf(option);
        assertThat(at).as("%s in %s", option, command).isNotNegative();
        return command.get(at + 1);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        assertThat(o).isInstanceOf(Map.class);
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) {
        assertThat(o).isInstanceOf(List.class);
        return (List<Object>) o;
    }

    private static List<String> strings(Object o) {
        return list(o).stream().map(String::valueOf).toList();
    }
}
