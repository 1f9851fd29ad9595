package io.souper.streams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.souper.events.SoupDefinition;
import io.souper.events.SoupPolicy;
import io.souper.kafka.EmbeddedKafkaBroker;
import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.SouperTopics;
import io.souper.kafka.TopicBootstrapper;
import io.souper.kafka.TopicNames;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two souper instances with one standby replica each: while one is down (killed, still a static member
 * of the group, so nothing is rebalanced yet), the other answers for every soup, the other's soups from
 * its standby copy, marked stale.
 */
class StandbyQueriesIntegrationTest {

    private static final List<String> SOUPS = IntStream.range(0, 8).mapToObj(i -> "soup-" + i).toList();
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void eitherInstanceAnswersForEverySoupWhileTheOtherIsDown() throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(tmp.resolve("broker"))) {
            KafkaClientConfigs clients = new KafkaClientConfigs(broker.bootstrapServers(), "mock://standby-" + UUID.randomUUID());
            SouperTopics topics = SouperTopics.forRegistry(clients.schemaRegistryUrl());
            try (Admin admin = Admin.create(clients.admin())) {
                new TopicBootstrapper(admin).ensure(TopicNames.all(2), (short) 1);
            }
            SouperStreamsSettings settings = SouperStreamsSettings.defaults().withStandbyReplicas(1);
            try (RunningSouper a = new RunningSouper(clients, topics, "standby-it", tmp.resolve("a"), settings.withInstanceId("souper-a"))) {
                RunningSouper b = new RunningSouper(clients, topics, "standby-it", tmp.resolve("b"), settings.withInstanceId("souper-b"));
                try (KafkaProducer<String, SoupDefinition> producer = new KafkaProducer<>(clients.producer("driver"),
                        topics.definitions.keySerde().serializer(), topics.definitions.valueSerde().serializer())) {
                    for (String soup : SOUPS) {
                        producer.send(new ProducerRecord<>(TopicNames.DEFINITIONS, soup, Events.definition(soup, SoupPolicy.ONLINE))).get();
                    }
                }
                // both up: every soup once, each from its owner; then wait until b's soups have a copy on a
                awaitTrue(() -> freshIds(a.url()).equals(Set.copyOf(SOUPS)), "every soup answered fresh by its owner");
                HostInfo bHost = b.app().queries().self();
                List<String> ownedByB = SOUPS.stream().filter(s -> a.app().queries().owner(s).equals(bHost)).toList();
                assertThat(ownedByB).as("both instances own soups").isNotEmpty().hasSizeLessThan(SOUPS.size());
                awaitTrue(() -> a.app().queries().localSoups().size() == SOUPS.size(), "a holds a copy of b's soups");

                b.crash(); // its HTTP port closes too; it stays in the group until its session times out
                for (String soup : SOUPS) {
                    HttpResponse<String> answer = get(a.url() + "/soups/" + soup);
                    assertThat(answer.statusCode()).as(soup).isEqualTo(200);
                    JsonNode body = JSON.readTree(answer.body());
                    assertThat(body.path("soupId").asText()).isEqualTo(soup);
                    assertThat(body.path("stale").asBoolean()).as(soup + " read from a standby copy")
                            .isEqualTo(ownedByB.contains(soup));
                }
                HttpResponse<String> list = get(a.url() + "/soups");
                assertThat(list.statusCode()).isEqualTo(200);
                Set<String> listed = new HashSet<>();
                JSON.readTree(list.body()).forEach(n -> listed.add(n.path("soupId").asText()));
                assertThat(listed).containsExactlyInAnyOrderElementsOf(SOUPS);
            }
        }
    }

    private Set<String> freshIds(String url) throws Exception {
        HttpResponse<String> response = get(url + "/soups");
        Set<String> ids = new HashSet<>();
        if (response.statusCode() == 200) {
            JSON.readTree(response.body()).forEach(n -> {
                if (!n.path("stale").asBoolean()) {
                    ids.add(n.path("soupId").asText());
                }
            });
        }
        return ids;
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** False while the instances rebalance and cannot answer yet. */
    private static boolean holdsNow(Check check) throws Exception {
        try {
            return check.holds();
        } catch (QueryUnavailableException rebalancing) {
            return false;
        }
    }

    private interface Check {
        boolean holds() throws Exception;
    }

    private static void awaitTrue(Check check, String what) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!holdsNow(check)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(200);
        }
    }
}
