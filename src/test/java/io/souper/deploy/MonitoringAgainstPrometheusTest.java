package io.souper.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.souper.data.FashionMnist;
import io.souper.evaluator.EvaluatorService;
import io.souper.evaluator.EvaluatorSettings;
import io.souper.events.CheckpointReady;
import io.souper.events.SoupDefinition;
import io.souper.kafka.DeadLetters;
import io.souper.kafka.EmbeddedStack;
import io.souper.kafka.EventPublisher;
import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.SouperTopics;
import io.souper.kafka.TopicNames;
import io.souper.metrics.SouperMetrics;
import io.souper.soup.Decision;
import io.souper.soup.Ignored;
import io.souper.streams.SouperStreamsApp;
import io.souper.streams.SouperStreamsSettings;
import io.souper.testsupport.TorchReference;
import io.souper.web.HttpEndpoint;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dashboard and the alerts against a real Prometheus scraping a running Souper. One JVM runs
 * what the distributed deployment runs as two jobs (the souper on Kafka Streams and the evaluator,
 * each with its own metrics endpoint, on the embedded broker and schema registry); Debian's
 * Prometheus scrapes both every second with monitoring/prometheus/alerts.yml loaded. A real soup
 * is made from three checkpoints (trained by PyTorch, scored through DJL) and two unreadable
 * records are sent, one to each service. Then every panel query, every template variable and
 * every alert expression goes through Prometheus's HTTP API: none may be a syntax error, every
 * selector must match a series the scrape had, every panel must show data, and the dead-letter
 * alert must fire on the first dead letter. Each panel's result is kept under target/monitoring/.
 */
class MonitoringAgainstPrometheusTest {

    private static final Path ARCH = Path.of("models/fmnist_cnn.pt");
    private static final Path IDX = FashionMnist.DEBIAN_DIRECTORY;
    private static final Path MONITORING = Path.of("monitoring");
    private static final Path ARTEFACTS = Path.of("target/monitoring");
    private static final String SOUP = "monitored";
    /** What Grafana would put in for the dashboard's variables. */
    private static final Map<String, String> GRAFANA_VARIABLES = Map.of(
            "$__rate_interval", "30s", "$instance", ".*", "$soup", ".*");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void everyPanelAndAlertQueryRunsOnPrometheusAndNamesOnlyScrapedSeries() throws Exception {
        Path store = Files.createDirectories(tmp.resolve("store"));
        Path arch = Files.createDirectories(store.resolve("models")).resolve("cnn.pt");
        Files.copy(ARCH, arch, StandardCopyOption.REPLACE_EXISTING);
        Path runs = Files.createDirectories(store.resolve("runs"));
        TorchReference.run("make-checkpoints", "--arch", ARCH.toAbsolutePath().toString(), "--dir", IDX.toString(),
                "--out", runs.toAbsolutePath().toString(), "--count", "3");
        Files.createDirectories(ARTEFACTS.resolve("panels"));
        Instant started = Instant.now();

        try (EmbeddedStack stack = EmbeddedStack.start(tmp.resolve("stack"), 0, 0, 2);
             SouperMetrics streamsMetrics = new SouperMetrics("streams");
             HttpEndpoint streamsHttp = new HttpEndpoint("127.0.0.1", 0, streamsMetrics).start();
             SouperMetrics evaluatorMetrics = new SouperMetrics("evaluator");
             HttpEndpoint evaluatorHttp = new HttpEndpoint("127.0.0.1", 0, evaluatorMetrics).start();
             PrometheusServer prometheus = PrometheusServer.start(tmp.resolve("prometheus"),
                     MONITORING.resolve("prometheus/alerts.yml"),
                     Map.of("souper-streams", streamsHttp.port(), "souper-evaluator", evaluatorHttp.port()),
                     ARTEFACTS.resolve("prometheus.log"))) {
            KafkaClientConfigs clients = stack.clientConfigs();
            SouperTopics topics = SouperTopics.forRegistry(stack.schemaRegistryUrl());
            EvaluatorSettings settings = EvaluatorSettings.defaults(List.of(store, IDX), tmp.resolve("work"))
                    .withDevice("cpu");
            try (SouperStreamsApp souper = SouperStreamsApp.start(clients, topics, "souper",
                    tmp.resolve("streams"), 1, SouperStreamsSettings.defaults(), streamsMetrics, new HostInfo("localhost", streamsHttp.port()));
                 EvaluatorService evaluator = EvaluatorService.start(clients, topics, settings, evaluatorMetrics)) {
                streamsMetrics.watchConsumerLag(clients.admin(), TopicNames.names(), Duration.ofSeconds(1));
                evaluatorMetrics.watchConsumerLag(clients.admin(), TopicNames.names(), Duration.ofSeconds(1));
                souper.awaitRunning(Duration.ofSeconds(60));
                // Micrometer creates jvm_gc_pause_seconds at the first collection; a long-running
                // process has had one, a 30-second test may not, so ask for one
                System.gc();
                // the zero-valued counters are scraped before anything happens, as in production
                awaitQuery(prometheus, "sum(up{job=~\"souper-.*\"}) == 2", Duration.ofSeconds(30));

                EventPublisher.publish(clients, topics.definitions, SOUP, definition(arch));
                for (int k = 0; k < 3; k++) {
                    Path file = runs.resolve("ckpt-" + k + ".safetensors");
                    EventPublisher.publish(clients, topics.checkpoints, SOUP, checkpoint("ckpt-" + k, file));
                }
                publishGarbage(clients, TopicNames.EVALUATIONS);  // the souper dead-letters it
                publishGarbage(clients, TopicNames.CHECKPOINTS);  // the evaluator dead-letters it

                awaitQuery(prometheus, "sum(souper_evaluations_total{kind=\"candidate\",outcome=\"ok\"}) > 0",
                        Duration.ofMinutes(4));
                awaitQuery(prometheus, "max(souper_soup_ingredients) > 0", Duration.ofSeconds(30));
                awaitQuery(prometheus, "count(souper_consumer_group_lag{topic=\"souper.checkpoints\"}) > 0"
                        + " and on() count(souper_consumer_group_lag{topic=\"souper.evaluations\"}) > 0",
                        Duration.ofSeconds(30));
                // the first dead letter of each service fires the alert: its counter was scraped at 0 before
                awaitAlert(prometheus, "SouperDeadLetters", Set.of("streams", "evaluator"), Duration.ofSeconds(30));
                Thread.sleep(5_000); // a few more scrapes, so every rate window holds several samples

                Set<String> scraped = prometheus.metricNames();
                Files.writeString(ARTEFACTS.resolve("scraped-metric-names.txt"), String.join("\n", scraped) + "\n");
                List<String> problems = new ArrayList<>();
                checkDashboard(prometheus, scraped, started, problems);
                checkAlerts(prometheus, scraped, started, problems);
                checkLabelValues(prometheus, started, problems);
                assertThat(problems).as("see target/monitoring/ for every query's result").isEmpty();
            }
        }
    }

    // ---- the dashboard ----

    private void checkDashboard(PrometheusServer prometheus, Set<String> scraped, Instant from, List<String> problems)
            throws Exception {
        JsonNode dashboard = JSON.readTree(MONITORING.resolve("grafana/dashboards/souper.json").toFile());
        Set<String> variables = new TreeSet<>();
        for (JsonNode variable : dashboard.at("/templating/list")) {
            variables.add("$" + variable.get("name").asText());
            String query = variable.at("/query/query").asText();
            java.util.regex.Matcher labelValues = java.util.regex.Pattern
                    .compile("label_values\\((.+),\\s*(\\w+)\\)").matcher(query);
            if (!labelValues.matches()) {
                problems.add("variable " + variable.get("name") + ": not a label_values query: " + query);
                continue;
            }
            JsonNode series = prometheus.series(labelValues.group(1), from);
            boolean hasLabel = false;
            for (JsonNode s : series.path("data")) {
                hasLabel |= s.has(labelValues.group(2));
            }
            if (!hasLabel) {
                problems.add("variable " + variable.get("name") + ": no series " + labelValues.group(1)
                        + " with label " + labelValues.group(2) + ": " + series);
            }
        }
        assertThat(variables).contains("$soup", "$instance");

        int queries = 0;
        for (JsonNode panel : dashboard.get("panels")) {
            if ("row".equals(panel.path("type").asText())) {
                continue;
            }
            String title = panel.get("title").asText();
            if (!panel.has("targets") || panel.get("targets").isEmpty()) {
                problems.add("panel '" + title + "' has no query");
            }
            for (JsonNode target : panel.path("targets")) {
                String expr = target.get("expr").asText();
                String where = "panel '" + title + "' " + target.get("refId").asText();
                String promql = substitute(expr);
                JsonNode instant = prometheus.query(promql);
                ObjectNode artefact = JSON.createObjectNode().put("panel", title).put("expr", expr).put("promql", promql);
                artefact.set("instant", instant);
                artefact.set("range", prometheus.queryRange(promql, from));
                Files.writeString(ARTEFACTS.resolve("panels").resolve(String.format(Locale.ROOT, "%02d-%s-%s.json",
                                panel.get("id").asInt(), slug(title), target.get("refId").asText())),
                        JSON.writerWithDefaultPrettyPrinter().writeValueAsString(artefact));
                queries++;
                if (!checkQuery(prometheus, scraped, from, where, promql, instant, problems)) {
                    continue;
                }
                if (instant.at("/data/result").isEmpty()) {
                    problems.add(where + " shows no data: " + promql);
                }
            }
        }
        assertThat(queries).as("panel queries checked").isGreaterThanOrEqualTo(15);
    }

    // ---- the alerts ----

    private void checkAlerts(PrometheusServer prometheus, Set<String> scraped, Instant from, List<String> problems)
            throws Exception {
        // the rules as Prometheus loaded them from alerts.yml; it evaluated them once a second all along
        JsonNode loaded = prometheus.rules();
        Files.writeString(ARTEFACTS.resolve("rules.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(loaded));
        Set<String> names = new TreeSet<>();
        for (JsonNode group : loaded.at("/data/groups")) {
            for (JsonNode rule : group.get("rules")) {
                String where = "alert " + rule.path("name").asText();
                names.add(rule.path("name").asText());
                if (!"ok".equals(rule.path("health").asText())) {
                    problems.add(where + " is " + rule.path("health").asText() + ": " + rule.path("lastError").asText());
                }
                String expr = rule.get("query").asText();
                checkQuery(prometheus, scraped, from, where, expr, prometheus.query(expr), problems);
            }
        }
        assertThat(names).contains("SouperDeadLetters", "SouperConsumerLag", "SouperStreamsNotRunning",
                "SouperEvaluationStalled", "SouperCandidateStalled");
        assertThat(names.size()).as("alerts in alerts.yml").isEqualTo(
                (int) Files.readAllLines(MONITORING.resolve("prometheus/alerts.yml")).stream()
                        .filter(l -> l.trim().startsWith("- alert:")).count());
    }

    // ---- label values: what MetricNames documents is what is scraped, at zero from the start ----

    private void checkLabelValues(PrometheusServer prometheus, Instant from, List<String> problems) throws Exception {
        expectLabels(prometheus, from, "souper_decisions_total", "kind", Arrays.stream(Decision.Kind.values())
                .map(k -> k.name().toLowerCase(Locale.ROOT)).collect(Collectors.toSet()), problems);
        expectLabels(prometheus, from, "souper_results_ignored_total", "reason", Arrays.stream(Ignored.values())
                .map(r -> r.name().toLowerCase(Locale.ROOT)).collect(Collectors.toSet()), problems);
        expectLabels(prometheus, from, "souper_dead_letters_total", "reason", deadLetterReasons(), problems);
        expectLabels(prometheus, from, "souper_evaluations_total", "kind", Set.of("checkpoint", "candidate", "ensemble"),
                problems);
        expectLabels(prometheus, from, "souper_evaluations_total", "outcome", Set.of("ok", "failed"), problems);
        expectLabels(prometheus, from, "souper_streams_state{state=\"RUNNING\"}", "state", Set.of("RUNNING"), problems);
        // evaluation times up to 10 minutes have a bucket of their own
        expectLabels(prometheus, from, "souper_evaluation_duration_seconds_bucket{le=\"600.0\"}", "kind",
                Set.of("checkpoint", "candidate", "ensemble"), problems);
    }

    private static void expectLabels(PrometheusServer prometheus, Instant from, String selector, String label,
                                     Set<String> expected, List<String> problems) throws Exception {
        Set<String> found = new TreeSet<>();
        prometheus.series(selector, from).path("data").forEach(s -> found.add(s.path(label).asText()));
        if (!found.equals(new TreeSet<>(expected))) {
            problems.add(selector + " has " + label + " values " + found + ", expected " + new TreeSet<>(expected));
        }
    }

    /** Every reason code in io.souper.kafka.DeadLetters (UPPER_CASE; its header names are camelCase). */
    private static Set<String> deadLetterReasons() throws IllegalAccessException {
        Set<String> reasons = new TreeSet<>();
        for (Field f : DeadLetters.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class
                    && ((String) f.get(null)).matches("[A-Z][A-Z_]*")) {
                reasons.add((String) f.get(null));
            }
        }
        return reasons;
    }

    // ---- one query ----

    /** False when the query failed (already reported). */
    private static boolean checkQuery(PrometheusServer prometheus, Set<String> scraped, Instant from, String where,
                                      String promql, JsonNode answer, List<String> problems) throws Exception {
        if (!"success".equals(answer.path("status").asText())) {
            problems.add(where + ": " + answer.path("errorType").asText() + " " + answer.path("error").asText()
                    + " in " + promql);
            return false;
        }
        List<String> selectors = PromqlSelectors.of(promql);
        if (selectors.isEmpty()) {
            problems.add(where + ": names no series: " + promql);
        }
        boolean ok = true;
        for (String selector : selectors) {
            if (!scraped.contains(PromqlSelectors.name(selector))) {
                problems.add(where + ": " + PromqlSelectors.name(selector) + " was never scraped");
                ok = false;
            } else if (prometheus.series(selector, from).path("data").isEmpty()) {
                problems.add(where + ": no scraped series matches " + selector);
                ok = false;
            }
        }
        return ok;
    }

    private static String substitute(String expr) {
        String out = expr;
        for (Map.Entry<String, String> v : GRAFANA_VARIABLES.entrySet()) {
            out = out.replace(v.getKey(), v.getValue());
        }
        assertThat(out).as("a Grafana variable the test does not know").doesNotContain("$");
        return out;
    }

    private static String slug(String title) {
        return title.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("(^-|-$)", "");
    }

    // ---- waiting on Prometheus ----

    private static void awaitQuery(PrometheusServer prometheus, String promql, Duration timeout) throws Exception {
        awaitUntil(() -> prometheus.query(promql), r -> !r.at("/data/result").isEmpty(), timeout, promql);
    }

    private static void awaitAlert(PrometheusServer prometheus, String alert, Set<String> roles, Duration timeout)
            throws Exception {
        awaitUntil(prometheus::alerts, r -> {
            Set<String> firing = new TreeSet<>();
            for (JsonNode a : r.at("/data/alerts")) {
                if (alert.equals(a.at("/labels/alertname").asText()) && "firing".equals(a.path("state").asText())) {
                    firing.add(a.at("/labels/role").asText());
                }
            }
            return firing.containsAll(roles);
        }, timeout, alert + " firing for " + roles);
    }

    @FunctionalInterface
    private interface Call {
        JsonNode get() throws Exception;
    }

    private static void awaitUntil(Call call, Predicate<JsonNode> done, Duration timeout, String what) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            last = call.get();
            if (done.test(last)) {
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("timed out waiting for " + what + "; last answer: " + last);
    }

    // ---- events ----

    private static SoupDefinition definition(Path arch) {
        return SoupDefinition.newBuilder()
                .setSoupId(SOUP)
                .setArchitectureUri(arch.toUri().toString())
                .setHeldOutUri(idx("train", 55_000, 55_300))
                .setTestUri(idx("t10k", 0, 200))
                .setShiftUris(Map.of())
                .setCreatedAt(Instant.now())
                .build();
    }

    private static CheckpointReady checkpoint(String id, Path file) {
        return CheckpointReady.newBuilder()
                .setCheckpointId(id)
                .setSoupId(SOUP)
                .setUri(file.toUri().toString())
                .setSha256(null)
                .setRunId("run-" + id)
                .setHyperParameters(new LinkedHashMap<>(Map.of("lr", "0.05")))
                .setProducedAt(Instant.now())
                .build();
    }

    private static String idx(String split, int from, int to) {
        return "file://" + IDX.toAbsolutePath() + "?split=" + split + "&from=" + from + "&to=" + to;
    }

    private static void publishGarbage(KafkaClientConfigs clients, String topic) throws Exception {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(clients.producer("garbage"),
                new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, SOUP, "not avro".getBytes(StandardCharsets.UTF_8)))
                    .get(30, TimeUnit.SECONDS);
        }
    }
}
