package io.souper.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.souper.registry.RestMessages.CompatibilityResponse;
import io.souper.registry.RestMessages.ConfigResponse;
import io.souper.registry.RestMessages.ConfigUpdate;
import io.souper.registry.RestMessages.ErrorResponse;
import io.souper.registry.RestMessages.IdResponse;
import io.souper.registry.RestMessages.SchemaRequest;
import io.souper.registry.RestMessages.SchemaResponse;
import io.souper.registry.RestMessages.VersionResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Confluent Schema Registry's REST API (the Avro subset) over a {@link SchemaRegistryState}. Errors
 * are Confluent's {@code {"error_code": ..., "message": ...}} bodies with the matching HTTP status.
 */
final class RegistryRestHandler implements HttpHandler {
    private static final Logger LOG = LoggerFactory.getLogger(RegistryRestHandler.class);
    /** Schemas are small; a bigger body is a mistake or an attack. */
    private static final int MAX_BODY_BYTES = 8 * 1024 * 1024;

    private final SchemaRegistryState state;

    RegistryRestHandler(SchemaRegistryState state) {
        this.state = state;
    }

    /** A response: status and a JSON body already encoded. */
    private record Answer(int status, String json) {}

    /** A request the API does not define (404) or a method it does not allow there (405). */
    private static final class RouteException extends RuntimeException {
        final int status;

        RouteException(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        String path = exchange.getRequestURI().getRawPath();
        Answer answer;
        try {
            answer = route(method, segments(path), query(exchange.getRequestURI().getRawQuery()), exchange);
        } catch (SchemaRegistryException e) {
            answer = error(e.httpStatus(), e.errorCode() == 0 ? 500 : e.errorCode(), e.getMessage());
        } catch (RouteException e) {
            answer = error(e.status, e.status, e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("Schema registry failed on {} {}", method, path, e);
            answer = error(500, 500, "Internal error: " + e);
        }
        LOG.debug("{} {} -> {}", method, path, answer.status());
        byte[] body = answer.json().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", RestMessages.CONTENT_TYPE);
        exchange.sendResponseHeaders(answer.status(), body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private Answer route(String method, List<String> path, Map<String, String> query, HttpExchange exchange) {
        if (path.isEmpty()) {
            allow(method, "GET");
            return ok("{}");
        }
        String root = path.get(0);
        int n = path.size();
        if (root.equals("subjects")) {
            if (n == 1) {
                allow(method, "GET");
                return ok(state.subjects());
            }
            String subject = path.get(1);
            if (n == 2) {
                allow(method, "POST");
                RegisteredSchema found = state.lookup(subject, schemaOf(exchange));
                return ok(versionResponse(found));
            }
            if (path.get(2).equals("versions")) {
                if (n == 3 && method.equals("POST")) {
                    return ok(new IdResponse(state.register(subject, schemaOf(exchange))));
                }
                if (n == 3) {
                    allow(method, "GET");
                    return ok(state.versions(subject));
                }
                if (n == 4) {
                    allow(method, "GET");
                    return ok(versionResponse(state.version(subject, parseVersion(path.get(3)))));
                }
                if (n == 5 && path.get(4).equals("schema")) {
                    allow(method, "GET");
                    return new Answer(200, state.version(subject, parseVersion(path.get(3))).schema().toString());
                }
            }
        } else if (root.equals("schemas") && n >= 3 && path.get(1).equals("ids")) {
            allow(method, "GET");
            Schema schema = state.schemaById(parseSchemaId(path.get(2)));
            if (n == 3) {
                return ok(new SchemaResponse(schema.toString()));
            }
            if (n == 4 && path.get(3).equals("schema")) {
                return new Answer(200, schema.toString());
            }
        } else if (root.equals("compatibility") && n >= 4 && path.get(1).equals("subjects")
                && path.get(3).equals("versions")) {
            allow(method, "POST");
            String subject = path.get(2);
            if (n == 4) {
                return ok(compatibility(state.compatibilityProblemsWithAll(subject, schemaOf(exchange))));
            }
            if (n == 5) {
                int version = parseVersion(path.get(4));
                return ok(compatibility(state.compatibilityProblems(subject, schemaOf(exchange), version)));
            }
        } else if (root.equals("config") && n <= 2) {
            String subject = n == 2 ? path.get(1) : null;
            if (method.equals("PUT")) {
                CompatibilityLevel level = CompatibilityLevel.parse(read(exchange, ConfigUpdate.class).compatibility());
                if (subject == null) {
                    state.setGlobalLevel(level);
                } else {
                    state.setSubjectLevel(subject, level);
                }
                return ok(new ConfigUpdate(level.name()));
            }
            allow(method, "GET");
            if (subject == null) {
                return ok(new ConfigResponse(state.globalLevel().name()));
            }
            CompatibilityLevel level = state.subjectLevel(subject).orElse(null);
            if (level == null && Boolean.parseBoolean(query.getOrDefault("defaultToGlobal", "false"))) {
                level = state.globalLevel();
            }
            if (level == null) {
                throw new SchemaRegistryException(40408,
                        "Subject '" + subject + "' does not have subject-level compatibility configured");
            }
            return ok(new ConfigResponse(level.name()));
        }
        throw new RouteException(404, "HTTP 404 Not Found: " + method + " /" + String.join("/", path));
    }

    private static VersionResponse versionResponse(RegisteredSchema found) {
        return new VersionResponse(found.subject(), found.version(), found.id(), found.schema().toString());
    }

    private static CompatibilityResponse compatibility(List<String> problems) {
        return new CompatibilityResponse(problems.isEmpty(), problems);
    }

    private static void allow(String method, String allowed) {
        if (!method.equals(allowed)) {
            throw new RouteException(405, "HTTP 405 Method Not Allowed: " + method + " (use " + allowed + ")");
        }
    }

    /** The Avro schema in a request body; anything else is Confluent's 42201. */
    private static Schema schemaOf(HttpExchange exchange) {
        SchemaRequest request = read(exchange, SchemaRequest.class);
        if (request.schemaType() != null && !request.schemaType().equalsIgnoreCase("AVRO")) {
            throw new InvalidSchemaException("Schema type " + request.schemaType() + " is not supported: AVRO only");
        }
        if (request.references() != null && !request.references().isEmpty()) {
            throw new InvalidSchemaException("Schema references are not supported: send a self-contained schema");
        }
        if (request.schema() == null || request.schema().isBlank()) {
            throw new InvalidSchemaException("Empty schema: the request body needs {\"schema\": \"...\"}");
        }
        try {
            return new Schema.Parser().parse(request.schema());
        } catch (AvroRuntimeException e) {
            throw new InvalidSchemaException("Invalid schema: " + e.getMessage());
        } catch (NullPointerException e) {
            // Avro 1.12 reports a reference to an undefined type name this way.
            throw new InvalidSchemaException("Invalid schema: it names a type it does not define (schemas must be"
                    + " self-contained, with every named type inlined): " + e.getMessage());
        }
    }

    private static <T> T read(HttpExchange exchange, Class<T> type) {
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readNBytes(MAX_BODY_BYTES + 1);
        } catch (IOException e) {
            throw new RouteException(400, "Cannot read request body: " + e.getMessage());
        }
        if (body.length > MAX_BODY_BYTES) {
            throw new RouteException(413, "Request body larger than " + MAX_BODY_BYTES + " bytes");
        }
        if (body.length == 0) {
            throw new RouteException(400, "Empty request body: expected JSON");
        }
        try {
            return RestMessages.JSON.readValue(body, type);
        } catch (JsonProcessingException e) {
            throw new RouteException(400, "Malformed JSON body: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new RouteException(400, "Cannot read JSON body: " + e.getMessage());
        }
    }

    static int parseVersion(String text) {
        if (text.equals("latest") || text.equals("-1")) {
            return SchemaRegistryState.LATEST;
        }
        try {
            int version = Integer.parseInt(text);
            if (version >= 1) {
                return version;
            }
        } catch (NumberFormatException notANumber) {
            // reported below
        }
        throw new InvalidVersionException("The specified version '" + text + "' is not a valid version id."
                + " Allowed values are between [1, 2^31-1] and the string \"latest\"");
    }

    private static int parseSchemaId(String text) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new SchemaNotFoundException("Schema " + text + " not found.");
        }
    }

    private static List<String> segments(String rawPath) {
        List<String> segments = new ArrayList<>();
        for (String raw : rawPath.split("/")) {
            if (!raw.isEmpty()) {
                // URLDecoder decodes form encoding; in a path '+' is a literal plus.
                segments.add(URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8));
            }
        }
        return segments;
    }

    private static Map<String, String> query(String rawQuery) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return Map.of();
        }
        Map<String, String> params = new java.util.HashMap<>();
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            params.put(name, value);
        }
        return params;
    }

    private static Answer ok(Object body) {
        try {
            return new Answer(200, body instanceof String s ? s : RestMessages.JSON.writeValueAsString(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode answer " + body, e);
        }
    }

    private static Answer error(int status, int code, String message) {
        try {
            return new Answer(status, RestMessages.JSON.writeValueAsString(new ErrorResponse(code, message)));
        } catch (JsonProcessingException e) {
            return new Answer(500, "{\"error_code\":500,\"message\":\"cannot encode error\"}");
        }
    }
}
