package io.souper.deploy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static io.souper.deploy.Commands.exec;
import static io.souper.deploy.Commands.run;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every kustomize overlay under k8s/overlays, rendered by kustomize (kubectl's built-in) and
 * validated offline against the official Kubernetes OpenAPI schemas by the npm package
 * kubernetes-models (k8s/validate; installed by scripts/install-deps.sh with `npm ci`). A
 * deliberately broken manifest must be rejected, so a validator that accepts anything fails here.
 * Then what the schemas cannot know: the platform rules (non-root, read-only root filesystem,
 * probes, requests and limits) and that budgets and monitors select the pods they mean.
 */
class KubernetesManifestsTest {

    private static final Path K8S = Path.of("k8s");
    private static final Path VALIDATOR = K8S.resolve("validate");

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void everyRenderedObjectOfTheOverlayIsValidAgainstTheKubernetesSchemas(String overlay) throws IOException {
        Path rendered = Files.createTempFile("souper-" + overlay + "-", ".yaml");
        try {
            Files.writeString(rendered, render(overlay));
            Commands.Result result = validate(rendered);
            assertThat(result.exitCode()).as("validation of overlay %s:%n%s%s", overlay, result.out(), result.err())
                    .isZero();
            assertThat(result.out()).contains("valid Deployment/souper-evaluator", "valid StatefulSet/souper-streams",
                    "valid Job/souper-topics", "valid PodDisruptionBudget/souper-streams",
                    "valid ServiceMonitor/souper-evaluator", "valid ConfigMap/souper-grafana-dashboard",
                    "12 valid, 0 invalid");
        } finally {
            Files.deleteIfExists(rendered);
        }
    }

    @Test
    void theValidatorRejectsABrokenManifest() {
        Commands.Result result = validate(VALIDATOR.resolve("broken/deployment.yaml").toAbsolutePath());
        assertThat(result.exitCode()).as(result.out()).isEqualTo(1);
        assertThat(result.out()).contains("INVALID Deployment/broken-evaluator", "spec/replicas must be integer",
                "must have required property name", "quantity", "0 valid, 1 invalid");
    }

    @Test
    void theValidatorRefusesAKindItHasNoSchemaFor() throws IOException {
        Path unknown = Files.createTempFile("souper-unknown-", ".yaml");
        try {
            Files.writeString(unknown, "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n");
            Commands.Result result = validate(unknown);
            assertThat(result.exitCode()).isEqualTo(1);
            assertThat(result.out()).contains("INVALID Widget/w: no schema for apiVersion example.com/v1");
        } finally {
            Files.deleteIfExists(unknown);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void podsRunAsNonRootOnReadOnlyFilesystemsWithProbesAndLimits(String overlay) {
        List<Map<String, Object>> objects = objects(overlay);
        int workloads = 0;
        for (Map<String, Object> workload : objects) {
            if (!List.of("Deployment", "StatefulSet", "Job").contains(workload.get("kind"))) {
                continue;
            }
            workloads++;
            String name = name(workload);
            Map<String, Object> pod = at(workload, "spec", "template", "spec");
            Map<String, Object> security = at(pod, "securityContext");
            assertThat(security).as("%s pod securityContext", name)
                    .containsEntry("runAsNonRoot", true).containsEntry("runAsUser", 10001);
            List<String> emptyDirs = list(pod.get("volumes")).stream().map(KubernetesManifestsTest::map)
                    .filter(v -> v.containsKey("emptyDir")).map(v -> (String) v.get("name")).toList();
            for (Object c : list(pod.get("containers"))) {
                Map<String, Object> container = map(c);
                assertThat(at(container, "securityContext")).as("%s container securityContext", name)
                        .containsEntry("readOnlyRootFilesystem", true)
                        .containsEntry("allowPrivilegeEscalation", false);
                assertThat(list(at(container, "securityContext", "capabilities").get("drop"))).containsExactly("ALL");
                Map<String, String> mounts = list(container.get("volumeMounts")).stream()
                        .map(KubernetesManifestsTest::map)
                        .collect(Collectors.toMap(m -> (String) m.get("mountPath"), m -> (String) m.get("name")));
                assertThat(emptyDirs).as("%s: /tmp is a writable emptyDir", name).contains(mounts.get("/tmp"));
                assertThat(at(container, "resources", "requests")).as("%s requests", name).containsKeys("cpu", "memory");
                assertThat(at(container, "resources", "limits")).as("%s limits", name).containsKeys("cpu", "memory");
                if (!workload.get("kind").equals("Job")) {
                    assertThat(security).as("%s: volumes writable by the service group", name)
                            .containsEntry("fsGroup", 10001);
                    assertThat(mounts).as("%s: the image's state directory is a volume", name)
                            .containsKey("/var/lib/souper");
                    assertThat(at(container, "livenessProbe", "httpGet")).containsEntry("path", "/health/live");
                    assertThat(at(container, "readinessProbe", "httpGet")).containsEntry("path", "/health/ready");
                    assertThat(at(container, "startupProbe", "httpGet")).containsEntry("path", "/health/live");
                }
            }
        }
        assertThat(workloads).isEqualTo(3);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void budgetsAndMonitorsSelectThePodsTheyMean(String overlay) {
        List<Map<String, Object>> objects = objects(overlay);
        for (String component : List.of("souper-streams", "souper-evaluator")) {
            Map<String, Object> workload = find(objects, component, "Deployment", "StatefulSet");
            Map<String, Object> podLabels = at(workload, "spec", "template", "metadata", "labels");
            Map<String, Object> budget = find(objects, component, "PodDisruptionBudget");
            assertThat(podLabels).containsAllEntriesOf(at(budget, "spec", "selector", "matchLabels"));
            assertThat(at(budget, "spec")).containsEntry("maxUnavailable", 1);

            Map<String, Object> service = find(objects, component, "Service");
            assertThat(podLabels).containsAllEntriesOf(at(service, "spec", "selector"));
            Map<String, Object> monitor = find(objects, component, "ServiceMonitor");
            assertThat(at(service, "metadata", "labels")).containsAllEntriesOf(at(monitor, "spec", "selector", "matchLabels"));
            Map<String, Object> endpoint = map(list(at(monitor, "spec").get("endpoints")).get(0));
            assertThat(endpoint).containsEntry("path", "/metrics");
            assertThat(list(at(service, "spec").get("ports"))).extracting(p -> map(p).get("name"))
                    .contains(endpoint.get("port"));
        }
    }

    @Test
    void onlyTheGpuOverlayRequestsAGpuAndTheCudaImage() {
        Map<String, Object> gpu = container(find(objects("gpu"), "souper-evaluator", "Deployment"));
        assertThat(gpu.get("image")).isEqualTo("souper:cuda");
        assertThat(at(gpu, "resources", "limits")).containsEntry("nvidia.com/gpu", 1);
        assertThat(list(gpu.get("args"))).containsSubsequence("--device", "gpu");
        assertThat(container(find(objects("gpu"), "souper-streams", "StatefulSet")).get("image"))
                .isEqualTo("souper:latest");

        Map<String, Object> cpu = container(find(objects("cpu"), "souper-evaluator", "Deployment"));
        assertThat(cpu.get("image")).isEqualTo("souper:latest");
        assertThat(at(cpu, "resources", "limits")).doesNotContainKey("nvidia.com/gpu");
        assertThat(list(cpu.get("args"))).containsSubsequence("--device", "cpu");
    }

    @Test
    void theDashboardConfigMapIsTheMonitoringDashboard() throws IOException {
        // kustomize loads no file from outside the kustomization, so k8s/base keeps a copy.
        assertThat(Files.readString(K8S.resolve("base/dashboards/souper.json")))
                .as("k8s/base/dashboards/souper.json must be a copy of monitoring/grafana/dashboards/souper.json: "
                        + "cp monitoring/grafana/dashboards/souper.json k8s/base/dashboards/")
                .isEqualTo(Files.readString(Path.of("monitoring/grafana/dashboards/souper.json")));
        Map<String, Object> configMap = find(objects("cpu"), "souper-grafana-dashboard", "ConfigMap");
        assertThat(at(configMap, "metadata", "labels")).containsEntry("grafana_dashboard", "1");
        assertThat(at(configMap, "data").get("souper.json"))
                .isEqualTo(Files.readString(Path.of("monitoring/grafana/dashboards/souper.json")));
    }

    private static String render(String overlay) {
        return run(Path.of("."), Map.of(), "kubectl", "kustomize", K8S.resolve("overlays").resolve(overlay).toString());
    }

    private static List<Map<String, Object>> objects(String overlay) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Object doc : new Yaml().loadAll(render(overlay))) {
            out.add(map(doc));
        }
        return out;
    }

    private static Commands.Result validate(Path file) {
        assertThat(VALIDATOR.resolve("node_modules/kubernetes-models/package.json"))
                .as("kubernetes-models is not installed: run scripts/install-deps.sh (npm ci in k8s/validate)")
                .isRegularFile();
        return exec(VALIDATOR, Map.of(), "node", "validate.mjs", file.toAbsolutePath().toString());
    }

    private static Map<String, Object> find(List<Map<String, Object>> objects, String name, String... kinds) {
        return objects.stream().filter(o -> List.of(kinds).contains(o.get("kind")) && name(o).equals(name))
                .findFirst().orElseThrow(() -> new AssertionError("no " + String.join("/", kinds) + " " + name));
    }

    private static Map<String, Object> container(Map<String, Object> workload) {
        return map(list(at(workload, "spec", "template", "spec").get("containers")).get(0));
    }

    private static String name(Map<String, Object> object) {
        return (String) at(object, "metadata").get("name");
    }

    private static Map<String, Object> at(Map<String, Object> object, String... path) {
        Map<String, Object> here = object;
        for (String key : path) {
            assertThat(here).as("%s in %s", key, String.join(".", path)).containsKey(key);
            here = map(here.get(key));
        }
        return here;
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
}
