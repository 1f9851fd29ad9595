package io.souper.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class InMemorySchemaRegistryClientTest extends SchemaRegistryClientContract {

    @Override
    SchemaRegistryClient client() {
        return new InMemorySchemaRegistryClient();
    }

    @AfterEach
    void dropScopes() {
        InMemorySchemaRegistryClient.dropScope("shared");
    }

    @Test
    void mockUrlsOfOneScopeShareOneRegistryUntilTheScopeIsDropped() {
        SchemaRegistryClient first = SchemaRegistryClients.forUrl("mock://shared", Map.of());
        SchemaRegistryClient second = SchemaRegistryClients.forUrl("mock://shared", Map.of());
        SchemaRegistryClient elsewhere = SchemaRegistryClients.forUrl("mock://elsewhere", Map.of());
        first.register("a", Schemas.V1);

        assertThat(second.subjects()).containsExactly("a");
        assertThat(second.url()).isEqualTo("mock://shared");
        assertThat(elsewhere.subjects()).isEmpty();

        InMemorySchemaRegistryClient.dropScope("shared");
        InMemorySchemaRegistryClient.dropScope("elsewhere");
        assertThat(SchemaRegistryClients.forUrl("mock://shared", Map.of()).subjects()).isEmpty();
    }

    @Test
    void theFactoryPicksHttpForHttpUrlsAndRefusesOthers() {
        assertThat(SchemaRegistryClients.forUrl("http://localhost:8081/", Map.of()))
                .isInstanceOf(HttpSchemaRegistryClient.class)
                .extracting(SchemaRegistryClient::url).isEqualTo("http://localhost:8081");
        assertThat(SchemaRegistryClients.forUrl("http://a:1,http://b:2", Map.of()).url())
                .isEqualTo("http://a:1,http://b:2");
        assertThatThrownBy(() -> SchemaRegistryClients.forUrl("kafka://x", Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("kafka://x");
        assertThatThrownBy(() -> SchemaRegistryClients.forUrl("http://a:1",
                Map.of(SchemaRegistryClients.REQUEST_TIMEOUT_MS, "soon")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("soon");
    }
}
