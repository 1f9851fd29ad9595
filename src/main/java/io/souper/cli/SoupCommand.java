package io.souper.cli;

import io.souper.data.InputSpec;
import io.souper.events.AcceptRule;
import io.souper.events.Metric;
import io.souper.events.SoupDefinition;
import io.souper.events.SoupPolicy;
import io.souper.kafka.EventPublisher;
import io.souper.kafka.KafkaClientConfigs;
import io.souper.streams.SouperStreamsConfig;
import io.souper.kafka.SouperTopics;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.souper.web.AvroJson;
import io.souper.web.Json;
import io.souper.web.SoupApiClient;
import org.apache.kafka.clients.producer.RecordMetadata;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

@Command(name = "soup", mixinStandardHelpOptions = true, description = "Define soups and look at them.",
        subcommands = {SoupCommand.Define.class, SoupCommand.Show.class})
public final class SoupCommand {

    @Command(name = "define", mixinStandardHelpOptions = true,
            description = {"Publish a SoupDefinition to souper.definitions (compacted, key = soup id): the soup's "
                    + "TorchScript architecture, its held-out split (drives every decision), optional test and "
                    + "distribution-shift splits (reported only), policy, accept rule and the metric the greedy "
                    + "rule compares (accuracy by default; perplexity or mean-loss for a language model, lower is "
                    + "better). Local paths become file URIs. Local files are checked first (the architecture is a TorchScript archive, "
                    + "the splits are readable datasets); --no-check skips that. Policy, accept rule and metric "
                    + "cannot change once a soup has started."})
    static final class Define implements Callable<Integer> {
        @Mixin
        ConnectionOptions connection;

        @Parameters(index = "0", paramLabel = "SOUP_ID", description = "The soup's id (the key of every event about it).")
        String soupId;

        @PerInvocation
        @Option(names = "--architecture", required = true, paramLabel = "URI",
                description = "TorchScript file whose parameter names match the checkpoints' keys.")
        String architecture;

        @PerInvocation
        @Option(names = "--held-out", required = true, paramLabel = "URI",
                description = "Held-out split (safetensors file or directory, or an IDX dataset URI).")
        String heldOut;

        @PerInvocation
        @Option(names = "--test", paramLabel = "URI", description = "Test split, reported only.")
        String test;

        @PerInvocation
        @Option(names = "--shift", paramLabel = "NAME=URI",
                description = "A distribution-shift split, reported only; repeat for several.")
        Map<String, String> shifts = new LinkedHashMap<>();

        @PerInvocation
        @Option(names = "--policy", defaultValue = "sorted",
                description = "sorted (the paper's greedy soup, default) or online (each checkpoint tried once).")
        String policy;

        @PerInvocation
        @Option(names = "--accept", defaultValue = ">",
                description = "Accept rule: '>' (strictly better, the paper's, default) or '>='.")
        String accept;

        @PerInvocation
        @Option(names = "--metric", defaultValue = "accuracy",
                description = "What the greedy rule compares on the held-out split: accuracy (top-1, default) or "
                        + "top5-accuracy (higher is better), mean-loss or perplexity (lower is better).")
        String metric;

        @PerInvocation
        @Option(names = "--input", paramLabel = "NAME",
                description = "A tensor of each split passed to the model's forward, in the order given; repeat "
                        + "for several (e.g. --input input_ids --input attention_mask). Default: the split's "
                        + "images ('inputs').")
        List<String> inputs = new java.util.ArrayList<>();

        @PerInvocation
        @Option(names = "--ignore-index", paramLabel = "N",
                description = "Target value that is not scored (padding), e.g. -100. Default: every target is scored.")
        Long ignoreIndex;

        @PerInvocation
        @Option(names = "--description", description = "Free text shown on dashboards.")
        String description;

        @PerInvocation
        @Option(names = "--evaluator", paramLabel = "NAME", description = "The evaluator that answers this soup: "
                + "Souper's own (default) or the name an evaluator of your own answers to (docs/protocol.md).")
        String evaluator;

        @PerInvocation
        @Option(names = "--no-check", description = "Publish without checking the local files the URIs name.")
        boolean noCheck;

        @Override
        public Integer call() {
            Map<String, String> shiftUris = new LinkedHashMap<>();
            shifts.forEach((name, uri) -> shiftUris.put(name, Uris.of(uri)));
            SoupPolicy soupPolicy = parsePolicy(policy);
            AcceptRule acceptRule = parseAccept(accept);
            Metric soupMetric = parseMetric(metric);
            InputSpec inputSpec = new InputSpec(inputs, ignoreIndex);
            if (!noCheck) {
                checkFiles(Uris.of(architecture), DefinitionCheck.splits(Uris.of(heldOut), Uris.of(test), shiftUris),
                        inputSpec);
            }
            SoupDefinition definition = SoupDefinition.newBuilder()
                    .setSoupId(soupId)
                    .setArchitectureUri(Uris.of(architecture))
                    .setHeldOutUri(Uris.of(heldOut))
                    .setTestUri(Uris.of(test))
                    .setShiftUris(shiftUris)
                    .setPolicy(soupPolicy)
                    .setAcceptRule(acceptRule)
                    .setMetric(soupMetric)
                    .setInputNames(inputSpec.inputNames())
                    .setIgnoreIndex(ignoreIndex)
                    .setDescription(description)
                    .setEvaluator(evaluator)
                    .setCreatedAt(Instant.now())
                    .build();
            KafkaClientConfigs clients = connection.connect();
            RecordMetadata meta = EventPublisher.publish(clients, clients.topics().definitions, soupId, definition);
            System.out.println(AvroJson.toJsonLine(definition));
            System.err.printf("published to %s[%d]@%d%n", meta.topic(), meta.partition(), meta.offset());
            return 0;
        }

        /** Prints what was found; stops before publishing when a file is missing or unusable. */
        private static void checkFiles(String architectureUri, Map<String, String> splits, InputSpec inputs) {
            java.util.List<DefinitionCheck.Finding> findings = DefinitionCheck.check(architectureUri, splits, inputs);
            findings.forEach(finding -> System.err.println(finding.line()));
            java.util.List<DefinitionCheck.Finding> bad = findings.stream().filter(f -> !f.ok()).toList();
            if (!bad.isEmpty()) {
                DefinitionCheck.Finding first = bad.get(0);
                throw new IllegalArgumentException("not published: " + first.role() + " " + first.uri() + ": "
                        + first.text() + (bad.size() > 1 ? " (and " + (bad.size() - 1) + " more)" : "")
                        + "; --no-check publishes anyway");
            }
        }

        static SoupPolicy parsePolicy(String text) {
            return switch (text.toLowerCase(java.util.Locale.ROOT)) {
                case "sorted" -> SoupPolicy.SORTED;
                case "online" -> SoupPolicy.ONLINE;
                default -> throw new IllegalArgumentException("--policy must be sorted or online, got '" + text + "'");
            };
        }

        static Metric parseMetric(String text) {
            return switch (text.trim().toLowerCase(java.util.Locale.ROOT).replace('-', '_')) {
                case "accuracy", "top1", "top1_accuracy" -> Metric.ACCURACY;
                case "top5_accuracy", "top5" -> Metric.TOP5_ACCURACY;
                case "mean_loss", "loss" -> Metric.MEAN_LOSS;
                case "perplexity" -> Metric.PERPLEXITY;
                default -> throw new IllegalArgumentException("--metric must be accuracy, top5-accuracy, mean-loss or "
                        + "perplexity, got '" + text + "'");
            };
        }

        static AcceptRule parseAccept(String text) {
            return switch (text.trim()) {
                case ">", "gt", "greater" -> AcceptRule.GREATER;
                case ">=", "ge", "greater-or-equal" -> AcceptRule.GREATER_OR_EQUAL;
                default -> throw new IllegalArgumentException("--accept must be '>' or '>=', got '" + text + "'");
            };
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "Print a soup's current state (or every soup) as JSON, from the souper's query API.")
    static final class Show implements Callable<Integer> {
        @Parameters(index = "0", arity = "0..1", paramLabel = "SOUP_ID", description = "Omit to list every soup.")
        String soupId;

        @PerInvocation
        @Option(names = "--decisions", description = "Print the soup's decisions (audit log) instead.")
        boolean decisions;

        @EnvironmentVariable("SOUPER_API_URL")
        @Option(names = "--api", defaultValue = "http://localhost:" + SouperStreamsConfig.DEFAULT_HTTP_PORT,
                description = "A souper instance's HTTP address (env SOUPER_API_URL; default:%n${DEFAULT-VALUE}).")
        String api;

        @Override
        public Integer call() {
            SoupApiClient client = new SoupApiClient(api);
            JsonNode answer;
            try {
                if (soupId == null) {
                    ArrayNode all = Json.MAPPER.createArrayNode();
                    client.soups().forEach(soup -> all.add(soup.json()));
                    answer = all;
                } else if (decisions) {
                    ArrayNode all = Json.MAPPER.createArrayNode();
                    Optional<List<SoupApiClient.Decision>> found = client.decisions(soupId);
                    found.ifPresent(list -> list.forEach(d -> all.add(d.json())));
                    answer = found.isPresent() ? all : null;
                } else {
                    answer = client.soup(soupId).map(SoupApiClient.SoupStatus::json).orElse(null);
                }
            } catch (SoupApiClient.SoupApiException e) {
                System.err.println("souper: " + e.getMessage() + (e.status() == 0
                        ? " (is `souper streams` or `souper demo` running?)" : ""));
                return 1;
            }
            if (answer == null) {
                System.err.println("souper: no soup '" + soupId + "' at " + api);
                return 1;
            }
            System.out.println(Json.write(answer));
            return 0;
        }
    }
}
