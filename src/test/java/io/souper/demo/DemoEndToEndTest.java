package io.souper.demo;

import com.fasterxml.jackson.databind.JsonNode;
import io.souper.events.DecisionKind;
import io.souper.events.SoupDecision;
import io.souper.kafka.EmbeddedKafkaBroker;
import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.SouperTopics;
import io.souper.kafka.TopicReader;
import io.souper.registry.SchemaRegistryServer;
import io.souper.report.ModelScore;
import io.souper.report.SoupReport;
import io.souper.report.SoupScore;
import io.souper.web.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code souper demo --quick} end to end through Kafka: real DJL training, the evaluator,
 * the souper, the report. Run twice on one data directory, the second time with more runs,
 * to show a restarted demo reuses what it finished (runs, Kafka state, soups).
 */
class DemoEndToEndTest {

    @TempDir
    Path dataDir;

    @Test
    void quickDemoSoupsRealFineTunesAndItsReportMatchesTheDecisionsOnKafka() throws Exception {
        SoupReport first = demo(2).report;
        assertThat(first.models()).hasSize(2);

        Run second = demo(4);
        SoupReport report = second.report;
        assertThat(second.output).contains("run-01     (finished earlier)", "run-02     (finished earlier)");
        // arrival order: the two finished runs at once, then the new ones as the two trainers finish them
        assertThat(report.models()).extracting(ModelScore::id).startsWith("run-01", "run-02")
                .containsExactlyInAnyOrder("run-01", "run-02", "run-03", "run-04");

        // the paper's guarantee: greedy is never worse than the best single model on held-out
        ModelScore best = report.bestSingle();
        assertThat(report.greedy().score().heldout()).isGreaterThanOrEqualTo(best.heldout());
        assertThat(report.otherGreedy().orElseThrow().score().heldout()).isGreaterThanOrEqualTo(best.heldout());
        assertThat(report.ensemble().forwardPasses()).isEqualTo(4);
        assertThat(report.uniform().ingredients()).hasSize(4);

        // the report's soups are what souper.decisions says they are
        JsonNode json = Json.MAPPER.readTree(Files.readString(dataDir.resolve("demo").resolve(SoupReport.JSON_FILE)));
        assertThat(json).isNotNull();
        List<SoupDecision> decisions = decisionsOnKafka();
        assertSoupMatchesDecisions(report.greedy(), decisions, DemoSoups.SORTED);
        assertSoupMatchesDecisions(report.otherGreedy().orElseThrow(), decisions, DemoSoups.ONLINE);
        assertThat(Files.readString(dataDir.resolve("demo").resolve(SoupReport.SVG_FILE))).startsWith("<svg");
    }

    private static void assertSoupMatchesDecisions(SoupScore soup, List<SoupDecision> decisions, String soupId) {
        SoupDecision last = null;
        for (SoupDecision d : decisions) {
            if (d.getSoupId().equals(soupId)
                    && EnumSet.of(DecisionKind.SEEDED, DecisionKind.ACCEPTED, DecisionKind.REPLACED).contains(d.getKind())) {
                last = d;
            }
        }
        assertThat(last).as("a decision that made the %s soup", soupId).isNotNull();
        assertThat(soup.ingredients()).containsExactlyInAnyOrderElementsOf(last.getCandidateIngredients());
        assertThat(soup.score().heldout()).isCloseTo(100 * last.getCandidateAccuracy(), org.assertj.core.data.Offset.offset(1e-9));
    }

    private List<SoupDecision> decisionsOnKafka() {
        // the demo's broker and registry keep their data: start them again and read the audit log
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir.resolve("stack"));
             SchemaRegistryServer registry = new SchemaRegistryServer(broker.bootstrapServers(), 0)) {
            KafkaClientConfigs clients = new KafkaClientConfigs(broker.bootstrapServers(), registry.url());
            List<SoupDecision> out = new ArrayList<>();
            TopicReader.readAll(clients, SouperTopics.forRegistry(registry.url()).decisions).forEach(r -> out.add(r.value()));
            return out;
        }
    }

    private record Run(SoupReport report, String output) {
    }

    private Run demo(int runs) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        SoupReport report = new DemoRun(new DemoRun.Options(dataDir, Optional.empty(), DemoRecipe.quick(runs, 0), 0,
                "cpu", Duration.ofMinutes(5), DemoRun.defaultTrainers()), out).run();
        return new Run(report, bytes.toString(StandardCharsets.UTF_8));
    }
}
