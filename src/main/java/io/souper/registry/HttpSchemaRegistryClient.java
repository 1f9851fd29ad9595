package io.souper.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JavaType;
import io.souper.registry.RestMessages.CompatibilityResponse;
import io.souper.registry.RestMessages.ConfigResponse;
import io.souper.registry.RestMessages.ConfigUpdate;
import io.souper.registry.RestMessages.ErrorResponse;
import io.souper.registry.RestMessages.IdResponse;
import io.souper.registry.RestMessages.SchemaRequest;
import io.souper.registry.RestMessages.SchemaResponse;
import io.souper.registry.RestMessages.VersionResponse;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;

/**
 * Client for the Confluent Schema Registry REST API (v1), also spoken by {@link SchemaRegistryServer}.
 * Answers that never change are cached: schemas by id, ids by (subject, schema), and numbered
 * versions; "latest" and configuration are always asked for. Several comma-separated URLs may be
 * given: a request that cannot reach one registry tries the next.
 */
public final class HttpSchemaRegistryClient implements SchemaRegistryClient {
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private static final JavaType INT_LIST = RestMessages.JSON.getTypeFactory()
            .constructType(new TypeReference<List<Integer>>() {});
    private static final JavaType STRING_LIST = RestMessages.JSON.getTypeFactory()
            .constructType(new TypeReference<List<String>>() {});

    private final List<String> baseUrls;
    private final String urlText;
    private final HttpClient http;
    private final Duration requestTimeout;
    private final RegistryClientSecurity security;
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
    private final Map<String, Map<Schema, RegisteredSchema>> lookups = new ConcurrentHashMap<>();
    private final Map<String, Map<Schema, Integer>> registeredIds = new ConcurrentHashMap<>();
    private final Map<String, Map<Integer, RegisteredSchema>> numberedVersions = new ConcurrentHashMap<>();

    public HttpSchemaRegistryClient(String urls) {
        this(urls, DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT);
    }

    /**
     * @param urls one or more comma-separated base URLs, e.g. {@code http://localhost:8081}
     * @param connectTimeout how long to wait for a TCP connection to one registry
     * @param requestTimeout how long to wait for one answer
     */
    public HttpSchemaRegistryClient(String urls, Duration connectTimeout, Duration requestTimeout) {
        this(urls, connectTimeout, requestTimeout, RegistryClientSecurity.from(urls, null));
    }

    /**
     * @param security credentials sent with every request and the TLS stores for https registries
     */
    public HttpSchemaRegistryClient(String urls, Duration connectTimeout, Duration requestTimeout,
                                    RegistryClientSecurity security) {
        this.baseUrls = parseUrls(urls);
        this.urlText = String.join(",", baseUrls);
        this.requestTimeout = requestTimeout;
        this.security = security;
        HttpClient.Builder builder = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NORMAL);
        security.sslContext().ifPresent(builder::sslContext);
        this.http = builder.build();
    }

    @Override
    public int register(String subject, Schema schema) {
        Integer cached = registeredIds.getOrDefault(subject, Map.of()).get(schema);
        if (cached != null) {
            return cached;
        }
        IdResponse answer = send("POST", "/subjects/" + segment(subject) + "/versions",
                SchemaRequest.avro(schema.toString()), IdResponse.class);
        registeredIds.computeIfAbsent(subject, s -> new ConcurrentHashMap<>()).put(schema, answer.id());
        schemasById.putIfAbsent(answer.id(), schema);
        return answer.id();
    }

    @Override
    public int getId(String subject, Schema schema) {
        Integer cached = registeredIds.getOrDefault(subject, Map.of()).get(schema);
        return cached != null ? cached : lookup(subject, schema).id();
    }

    @Override
    public RegisteredSchema lookup(String subject, Schema schema) {
        RegisteredSchema cached = lookups.getOrDefault(subject, Map.of()).get(schema);
        if (cached != null) {
            return cached;
        }
        VersionResponse answer = send("POST", "/subjects/" + segment(subject),
                SchemaRequest.avro(schema.toString()), VersionResponse.class);
        RegisteredSchema found = toRegistered(answer);
        lookups.computeIfAbsent(subject, s -> new ConcurrentHashMap<>()).put(schema, found);
        return found;
    }

    @Override
    public Schema getSchemaById(int id) {
        Schema cached = schemasById.get(id);
        if (cached != null) {
            return cached;
        }
        SchemaResponse answer = send("GET", "/schemas/ids/" + id, null, SchemaResponse.class);
        Schema schema = parse(answer.schema(), "schema id " + id);
        Schema raced = schemasById.putIfAbsent(id, schema);
        return raced != null ? raced : schema;
    }

    @Override
    public RegisteredSchema getLatest(String subject) {
        return toRegistered(send("GET", "/subjects/" + segment(subject) + "/versions/latest", null,
                VersionResponse.class));
    }

    @Override
    public RegisteredSchema getVersion(String subject, int version) {
        if (version < 1) {
            throw new InvalidVersionException("Version " + version + " is not a valid version id: versions start at 1.");
        }
        RegisteredSchema cached = numberedVersions.getOrDefault(subject, Map.of()).get(version);
        if (cached != null) {
            return cached;
        }
        RegisteredSchema found = toRegistered(send("GET", "/subjects/" + segment(subject) + "/versions/" + version,
                null, VersionResponse.class));
        numberedVersions.computeIfAbsent(subject, s -> new ConcurrentHashMap<>()).put(version, found);
        return found;
    }

    @Override
    public List<Integer> getVersions(String subject) {
        return send("GET", "/subjects/" + segment(subject) + "/versions", null, INT_LIST);
    }

    @Override
    public boolean testCompatibility(String subject, Schema schema) {
        CompatibilityResponse answer = send("POST",
                "/compatibility/subjects/" + segment(subject) + "/versions/latest",
                SchemaRequest.avro(schema.toString()), CompatibilityResponse.class);
        return answer.isCompatible();
    }

    @Override
    public CompatibilityLevel getCompatibility() {
        return CompatibilityLevel.parse(send("GET", "/config", null, ConfigResponse.class).compatibilityLevel());
    }

    @Override
    public CompatibilityLevel getCompatibility(String subject) {
        try {
            ConfigResponse answer = send("GET", "/config/" + segment(subject) + "?defaultToGlobal=true", null,
                    ConfigResponse.class);
            return CompatibilityLevel.parse(answer.compatibilityLevel());
        } catch (SchemaRegistryException e) {
            // Older registries ignore defaultToGlobal and answer 40401 / 40408 when the subject has no level.
            if (e.httpStatus() == 404) {
                return getCompatibility();
            }
            throw e;
        }
    }

    @Override
    public void setCompatibility(CompatibilityLevel level) {
        send("PUT", "/config", new ConfigUpdate(level.name()), ConfigUpdate.class);
    }

    @Override
    public void setCompatibility(String subject, CompatibilityLevel level) {
        send("PUT", "/config/" + segment(subject), new ConfigUpdate(level.name()), ConfigUpdate.class);
    }

    @Override
    public List<String> subjects() {
        List<String> subjects = new ArrayList<>(send("GET", "/subjects", null, STRING_LIST));
        subjects.sort(null);
        return subjects;
    }

    @Override
    public String url() {
        return urlText;
    }

    @Override
    public String toString() {
        return "HttpSchemaRegistryClient[" + urlText + "]";
    }

    private RegisteredSchema toRegistered(VersionResponse answer) {
        Schema schema = schemasById.computeIfAbsent(answer.id(),
                id -> parse(answer.schema(), "subject " + answer.subject() + " version " + answer.version()));
        return new RegisteredSchema(answer.subject(), answer.version(), answer.id(), schema);
    }

    private Schema parse(String text, String what) {
        try {
            return new Schema.Parser().parse(text);
        } catch (SchemaParseException | NullPointerException e) {
            throw new InvalidSchemaException("Registry at " + urlText + " returned an unparseable schema for "
                    + what + ": " + e.getMessage());
        }
    }

    private <T> T send(String method, String pathAndQuery, Object body, Class<T> type) {
        return send(method, pathAndQuery, body, RestMessages.JSON.getTypeFactory().constructType(type));
    }

    /** Sends to each base URL in turn until one answers; maps error answers to exceptions. */
    private <T> T send(String method, String pathAndQuery, Object body, JavaType type) {
        HttpRequest.BodyPublisher publisher = body == null
                ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(toJson(body), StandardCharsets.UTF_8);
        IOException lastFailure = null;
        for (String base : baseUrls) {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + pathAndQuery))
                    .timeout(requestTimeout)
                    .header("Accept", RestMessages.ACCEPT)
                    .method(method, publisher);
            if (body != null) {
                request.header("Content-Type", RestMessages.CONTENT_TYPE);
            }
            security.authorization().ifPresent(value -> request.header("Authorization", value));
            HttpResponse<String> response;
            try {
                response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            } catch (IOException e) {
                lastFailure = e;
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RegistryUnavailableException("Interrupted while calling schema registry at " + base, e);
            }
            return decode(base, method, pathAndQuery, response, type);
        }
        throw new RegistryUnavailableException("Schema registry not reachable at " + urlText + " (" + method + " "
                + pathAndQuery + "): " + describe(lastFailure), lastFailure);
    }

    private static <T> T decode(String base, String method, String path, HttpResponse<String> response,
            JavaType type) {
        int status = response.statusCode();
        String text = response.body();
        if (status == 401 || status == 403) {
            // Not an outage and not a bad record: retrying cannot help, so say what to fix.
            throw new SchemaRegistryException(status * 100 + 1, "schema registry at " + base + " refused "
                    + (status == 401 ? "the credentials (HTTP 401 Unauthorized)" : "access (HTTP 403 Forbidden)")
                    + ": check " + RegistryClientSecurity.CREDENTIALS_SOURCE + " and " + RegistryClientSecurity.USER_INFO);
        }
        if (status >= 200 && status < 300) {
            try {
                return RestMessages.JSON.readValue(text, type);
            } catch (JsonProcessingException e) {
                throw new SchemaRegistryException(50002, "Schema registry at " + base + " answered " + method + " " + path
                        + " with unexpected JSON: " + abbreviate(text), e);
            }
        }
        ErrorResponse error = null;
        try {
            error = RestMessages.JSON.readValue(text, ErrorResponse.class);
        } catch (JsonProcessingException | IllegalArgumentException notJson) {
            // Not a registry error body (a proxy, a plain 404 page): reported with the status below.
        }
        if (error != null && error.errorCode() != 0) {
            throw SchemaRegistryException.of(error.errorCode(), error.message());
        }
        throw new SchemaRegistryException(status, "Schema registry at " + base + " answered " + method + " " + path
                + " with HTTP " + status + ": " + abbreviate(text));
    }

    private static String toJson(Object body) {
        try {
            return RestMessages.JSON.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode registry request " + body, e);
        }
    }

    /** The failure and its causes: the JDK's ConnectException often has no message of its own. */
    private static String describe(IOException failure) {
        if (failure == null) {
            return "no URL to try";
        }
        StringBuilder text = new StringBuilder();
        for (Throwable t = failure; t != null && text.length() < 300; t = t.getCause()) {
            if (!text.isEmpty()) {
                text.append(" <- ");
            }
            text.append(t.getClass().getSimpleName());
            if (t.getMessage() != null) {
                text.append(": ").append(t.getMessage());
            }
        }
        return text.toString();
    }

    private static String abbreviate(String text) {
        if (text == null) {
            return "(no body)";
        }
        return text.length() <= 300 ? text : text.substring(0, 300) + "...";
    }

    /** Percent-encodes one path segment (URLEncoder is for forms: it writes spaces as '+'). */
    static String segment(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static List<String> parseUrls(String urls) {
        if (urls == null || urls.isBlank()) {
            throw new IllegalArgumentException("schema registry URL must be non-blank");
        }
        List<String> parsed = new ArrayList<>();
        for (String raw : urls.split(",")) {
            String url = raw.trim();
            while (url.endsWith("/")) {
                url = url.substring(0, url.length() - 1);
            }
            if (url.isEmpty()) {
                continue;
            }
            URI uri = URI.create(url);
            if (uri.getRawUserInfo() != null) {
                // credentials in the URL are sent as a header (RegistryClientSecurity), never in the URL
                url = url.replace(uri.getRawUserInfo() + "@", "");
                uri = URI.create(url);
            }
            if (!"http".equalsIgnoreCase(uri.getScheme()) && !"https".equalsIgnoreCase(uri.getScheme())
                    || uri.getHost() == null) {
                throw new IllegalArgumentException("schema registry URL must be http(s)://host[:port], got '" + raw + "'");
            }
            parsed.add(url);
        }
        if (parsed.isEmpty()) {
            throw new IllegalArgumentException("schema registry URL must be non-blank, got '" + urls + "'");
        }
        return List.copyOf(parsed);
    }
}
