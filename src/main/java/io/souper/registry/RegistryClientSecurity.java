package io.souper.registry;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Credentials and TLS stores for the registry client, read from the property names of Confluent's
 * clients, so a config file written for them works here unchanged:
 *
 * <pre>
 * basic.auth.credentials.source   USER_INFO (use basic.auth.user.info) or URL (user:pass@ in the URL; the default)
 * basic.auth.user.info            user:password
 * schema.registry.ssl.truststore.location / .password / .type   (JKS or PKCS12; default: the JVM's trust)
 * schema.registry.ssl.keystore.location / .password / .type     (client certificate, for mTLS)
 * schema.registry.ssl.key.password
 * (in a file or environment that configures only the registry, {@code ssl.*} works as well)
 * </pre>
 *
 * @param authorization the value of the {@code Authorization} header, if any
 * @param sslContext    the TLS context for {@code https://} registries, if stores were given
 */
public record RegistryClientSecurity(Optional<String> authorization, Optional<SSLContext> sslContext) {

    public static final String CREDENTIALS_SOURCE = "basic.auth.credentials.source";
    public static final String USER_INFO = "basic.auth.user.info";
    public static final String SSL_PREFIX = "schema.registry.ssl.";

    public static final RegistryClientSecurity NONE = new RegistryClientSecurity(Optional.empty(), Optional.empty());

    /** Reads the settings above from {@code config} for the registry at {@code url}. */
    public static RegistryClientSecurity from(String url, Map<String, ?> config) {
        Map<String, ?> c = config == null ? Map.of() : config;
        return new RegistryClientSecurity(authorization(url, c), sslContext(c));
    }

    private static Optional<String> authorization(String url, Map<String, ?> config) {
        String source = text(config, CREDENTIALS_SOURCE).orElse("URL").toUpperCase(Locale.ROOT);
        Optional<String> userInfo = switch (source) {
            case "USER_INFO" -> Optional.of(text(config, USER_INFO).orElseThrow(() -> new IllegalArgumentException(
                    CREDENTIALS_SOURCE + "=USER_INFO needs " + USER_INFO + "=user:password")));
            case "URL" -> userInfoOfUrl(url);
            default -> throw new IllegalArgumentException(CREDENTIALS_SOURCE + " must be USER_INFO or URL, got '"
                    + source + "'");
        };
        userInfo.ifPresent(info -> {
            if (!info.contains(":")) {
                throw new IllegalArgumentException("registry credentials must be user:password (" + USER_INFO + ")");
            }
        });
        return userInfo.map(info -> "Basic " + Base64.getEncoder().encodeToString(info.getBytes(StandardCharsets.UTF_8)));
    }

    private static Optional<String> userInfoOfUrl(String urls) {
        if (urls == null) {
            return Optional.empty();
        }
        for (String url : urls.split(",")) {
            try {
                String info = URI.create(url.trim()).getRawUserInfo();
                if (info != null) {
                    return Optional.of(java.net.URLDecoder.decode(info, StandardCharsets.UTF_8));
                }
            } catch (IllegalArgumentException ignored) {
                // an invalid URL is reported by the client that parses it
            }
        }
        return Optional.empty();
    }

    private static Optional<SSLContext> sslContext(Map<String, ?> config) {
        Optional<String> trustStore = ssl(config, "truststore.location");
        Optional<String> keyStore = ssl(config, "keystore.location");
        if (trustStore.isEmpty() && keyStore.isEmpty()) {
            return Optional.empty();
        }
        try {
            TrustManagerFactory trust = null;
            if (trustStore.isPresent()) {
                trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                trust.init(load(config, "truststore", trustStore.get()));
            }
            KeyManagerFactory keys = null;
            if (keyStore.isPresent()) {
                keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                char[] keyPassword = ssl(config, "key.password")
                        .or(() -> ssl(config, "keystore.password")).orElse("").toCharArray();
                keys.init(load(config, "keystore", keyStore.get()), keyPassword);
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys == null ? null : keys.getKeyManagers(), trust == null ? null : trust.getTrustManagers(), null);
            return Optional.of(context);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot set up TLS for the schema registry: " + e.getMessage(), e);
        }
    }

    private static KeyStore load(Map<String, ?> config, String which, String location) throws GeneralSecurityException {
        String type = ssl(config, which + ".type").orElse("JKS");
        char[] password = ssl(config, which + ".password").map(String::toCharArray).orElse(null);
        KeyStore store = KeyStore.getInstance(type);
        try (InputStream in = Files.newInputStream(Path.of(location))) {
            store.load(in, password);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + SSL_PREFIX + which + ".location " + location + ": "
                    + e.getMessage(), e);
        }
        return store;
    }

    /** {@code schema.registry.ssl.NAME}, or {@code ssl.NAME} in a file or environment that is the registry's alone. */
    private static Optional<String> ssl(Map<String, ?> config, String name) {
        return text(config, SSL_PREFIX + name).or(() -> text(config, "ssl." + name));
    }

    private static Optional<String> text(Map<String, ?> config, String key) {
        Object value = config.get(key);
        return value == null || value.toString().isBlank() ? Optional.empty() : Optional.of(value.toString().trim());
    }
}
