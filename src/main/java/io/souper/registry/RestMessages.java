package io.souper.registry;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;

/** The JSON bodies of Confluent's Schema Registry REST API (v1), shared by our client and server. */
final class RestMessages {
    static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    static final String ACCEPT =
            "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json, application/json";

    /** Lenient on input: newer registries add fields (schemaType, references, metadata...). */
    static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private RestMessages() {}

    /** Body of register, lookup and compatibility requests. schemaType absent means AVRO. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record SchemaRequest(String schema, String schemaType, List<JsonNode> references) {
        static SchemaRequest avro(String schema) {
            return new SchemaRequest(schema, null, null);
        }
    }

    /** Answer to POST /subjects/{s}/versions. */
    record IdResponse(int id) {}

    /** Answer to GET /schemas/ids/{id}. */
    record SchemaResponse(String schema) {}

    /** Answer to GET /subjects/{s}/versions/{v} and POST /subjects/{s}. */
    record VersionResponse(String subject, int version, int id, String schema) {}

    /** Answer to POST /compatibility/...; messages only when incompatible (Confluent's verbose form). */
    record CompatibilityResponse(
            @JsonProperty("is_compatible") boolean isCompatible,
            @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> messages) {}

    /** Body and answer of PUT /config[/{s}]. */
    record ConfigUpdate(String compatibility) {}

    /** Answer to GET /config[/{s}]. */
    record ConfigResponse(String compatibilityLevel) {}

    /** Every error answer. */
    record ErrorResponse(@JsonProperty("error_code") int errorCode, String message) {}
}
