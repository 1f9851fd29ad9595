package io.souper.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The HTTP client against the embedded server (state in a list instead of Kafka, so these run in
 * milliseconds; {@link SchemaRegistryServerKafkaTest} covers the topic). Inherits the client contract,
 * then checks the REST surface itself: status codes, Confluent's error bodies, content type.
 */
class HttpSchemaRegistryClientTest extends SchemaRegistryClientContract {
    private final ListSchemaLog log = new ListSchemaLog();
    private SchemaRegistryServer server = start(log);
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void stop() {
        server.close();
    }

    @Override
    SchemaRegistryClient client() {
        return new HttpSchemaRegistryClient(server.url());
    }

    private static SchemaRegistryServer start(SchemaLog log) {
        return new SchemaRegistryServer(log, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    @Test
    void theRootAnswersAnEmptyObjectLikeConfluent() throws Exception {
        HttpResponse<String> response = call("GET", "/", null);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("{}");
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/vnd.schemaregistry.v1+json");
    }

    @Test
    void errorsAreConfluentErrorBodies() throws Exception {
        HttpResponse<String> unknownSubject = call("GET", "/subjects/nope/versions/latest", null);
        assertThat(unknownSubject.statusCode()).isEqualTo(404);
        JsonNode body = RestMessages.JSON.readTree(unknownSubject.body());
        assertThat(body.get("error_code").asInt()).isEqualTo(40401);
        assertThat(body.get("message").asText()).contains("nope");

        HttpResponse<String> invalid = call("POST", "/subjects/a/versions", "{\"schema\":\"{\\\"type\\\":\\\"nonsense\\\"}\"}");
        assertThat(invalid.statusCode()).isEqualTo(422);
        assertThat(RestMessages.JSON.readTree(invalid.body()).get("error_code").asInt()).isEqualTo(42201);

        HttpResponse<String> badVersion = call("GET", "/subjects/a/versions/first", null);
        assertThat(badVersion.statusCode()).isEqualTo(422);
        assertThat(RestMessages.JSON.readTree(badVersion.body()).get("error_code").asInt()).isEqualTo(42202);

        assertThat(call("GET", "/no/such/route", null).statusCode()).isEqualTo(404);
        assertThat(call("DELETE", "/subjects", null).statusCode()).isEqualTo(405);
        assertThat(call("POST", "/subjects/a/versions", "{not json").statusCode()).isEqualTo(400);
    }

    @Test
    void registerAnswersIdAndIncompatibleAnswers409() throws Exception {
        String v1 = RestMessages.JSON.writeValueAsString(RestMessages.SchemaRequest.avro(Schemas.V1.toString()));
        String v3 = RestMessages.JSON.writeValueAsString(RestMessages.SchemaRequest.avro(Schemas.V3_NO_DEFAULT.toString()));
        HttpResponse<String> registered = call("POST", "/subjects/a/versions", v1);
        assertThat(registered.body()).isEqualTo("{\"id\":1}");

        HttpResponse<String> incompatible = call("POST", "/subjects/a/versions", v3);
        assertThat(incompatible.statusCode()).isEqualTo(409);
        assertThat(RestMessages.JSON.readTree(incompatible.body()).get("error_code").asInt()).isEqualTo(409);

        HttpResponse<String> check = call("POST", "/compatibility/subjects/a/versions/latest", v3);
        assertThat(RestMessages.JSON.readTree(check.body()).get("is_compatible").asBoolean()).isFalse();
        assertThat(call("GET", "/subjects/a/versions", null).body()).isEqualTo("[1]");
        assertThat(call("GET", "/config", null).body()).isEqualTo("{\"compatibilityLevel\":\"BACKWARD\"}");
        assertThat(call("GET", "/config/a", null).statusCode()).isEqualTo(404);
    }

    @Test
    void subjectsWithUnusualCharactersSurviveTheUrl() {
        SchemaRegistryClient registry = client();
        String subject = "souper.checkpoints-io.souper.events.Check point+Ready/v1";
        int id = registry.register(subject, Schemas.V1);

        assertThat(registry.subjects()).containsExactly(subject);
        assertThat(registry.getLatest(subject).id()).isEqualTo(id);
    }

    @Test
    void aRestartedServerOnTheSameLogKeepsIdsVersionsAndLevels() {
        SchemaRegistryClient before = client();
        before.register("a", Schemas.V1);
        before.register("b", Schemas.OTHER);
        before.register("a", Schemas.V2);
        before.setCompatibility("b", CompatibilityLevel.NONE);
        before.setCompatibility(CompatibilityLevel.FORWARD);
        server.close();

        server = start(log);
        SchemaRegistryClient after = client();

        assertThat(after.getSchemaById(3)).isEqualTo(Schemas.V2);
        assertThat(after.getVersions("a")).containsExactly(1, 2);
        assertThat(after.getCompatibility("b")).isEqualTo(CompatibilityLevel.NONE);
        assertThat(after.getCompatibility()).isEqualTo(CompatibilityLevel.FORWARD);
        assertThat(after.register("c", Schemas.V3_NO_DEFAULT)).isEqualTo(4);
    }

    @Test
    void aFailedStoreWriteHandsOutNoId() {
        SchemaRegistryClient registry = client();
        log.failWrites = true;
        assertThatThrownBy(() -> registry.register("a", Schemas.V1))
                .isInstanceOf(SchemaRegistryException.class)
                .hasMessageContaining("store unavailable")
                .satisfies(e -> assertThat(((SchemaRegistryException) e).errorCode()).isEqualTo(50001));
        assertThatThrownBy(() -> registry.getLatest("a")).isInstanceOf(SubjectNotFoundException.class);

        log.failWrites = false;
        assertThat(registry.register("a", Schemas.V1)).isEqualTo(1);
    }

    @Test
    void anUnreachableRegistryIsReportedWithItsUrlAndTheNextUrlIsTried() throws IOException {
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        String dead = "http://127.0.0.1:" + closed;
        SchemaRegistryClient onlyDead = new HttpSchemaRegistryClient(dead, Duration.ofSeconds(2), Duration.ofSeconds(2));
        assertThatThrownBy(() -> onlyDead.getSchemaById(1))
                .isInstanceOf(RegistryUnavailableException.class)
                .hasMessageContaining("not reachable at " + dead);

        SchemaRegistryClient failover = new HttpSchemaRegistryClient(dead + "," + server.url());
        assertThat(failover.register("a", Schemas.V1)).isEqualTo(1);
    }

    private HttpResponse<String> call(String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(server.url() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/vnd.schemaregistry.v1+json");
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
