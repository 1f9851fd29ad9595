package io.souper.registry;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Base64;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RegistryClientSecurityTest {

    @TempDir
    Path dir;

    @Test
    void userInfoBecomesABasicAuthorizationHeader() {
        RegistryClientSecurity security = RegistryClientSecurity.from("https://registry:8081",
                Map.of("basic.auth.credentials.source", "USER_INFO", "basic.auth.user.info", "souper:pa:ss"));
        assertThat(security.authorization()).contains("Basic "
                + Base64.getEncoder().encodeToString("souper:pa:ss".getBytes()));
        assertThat(RegistryClientSecurity.from("http://u:p@registry:8081", Map.of()).authorization())
                .contains("Basic " + Base64.getEncoder().encodeToString("u:p".getBytes()));
        assertThat(RegistryClientSecurity.from("http://registry:8081", Map.of()).authorization()).isEmpty();
        assertThatThrownBy(() -> RegistryClientSecurity.from("http://r:1", Map.of("basic.auth.credentials.source", "USER_INFO")))
                .hasMessageContaining("basic.auth.user.info");
        assertThatThrownBy(() -> RegistryClientSecurity.from("http://r:1", Map.of("basic.auth.credentials.source", "SASL_INHERIT")))
                .hasMessageContaining("USER_INFO or URL");
    }

    @Test
    void aTrustStoreGivesATlsContextAndAWrongPasswordIsNamed() throws Exception {
        Path store = dir.resolve("truststore.p12");
        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        keyStore.load(null, null);
        try (OutputStream out = Files.newOutputStream(store)) {
            keyStore.store(out, "changeit".toCharArray());
        }
        Map<String, String> confluent = Map.of("schema.registry.ssl.truststore.location", store.toString(),
                "schema.registry.ssl.truststore.password", "changeit", "schema.registry.ssl.truststore.type", "PKCS12");
        assertThat(RegistryClientSecurity.from("https://r:1", confluent).sslContext()).isPresent();
        // in a file or prefix of the registry's own, ssl.* is enough
        assertThat(RegistryClientSecurity.from("https://r:1", Map.of("ssl.truststore.location", store.toString(),
                "ssl.truststore.password", "changeit", "ssl.truststore.type", "PKCS12")).sslContext()).isPresent();
        assertThatThrownBy(() -> RegistryClientSecurity.from("https://r:1", Map.of(
                "schema.registry.ssl.truststore.location", store.toString(),
                "schema.registry.ssl.truststore.password", "wrong", "schema.registry.ssl.truststore.type", "PKCS12")))
                .hasMessageContaining("truststore").hasMessageContaining(store.toString());
    }
}
