package io.souper.serde;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;

/**
 * Removes the Java code generator's hints ({@code "avro.java.string": "String"}) from a schema. They
 * change nothing on the wire, but they make the Java rendering of a schema unequal to the same
 * schema written by Python or Go, which would give one event type two registry ids.
 */
final class JavaSpecificProperties {
    private static final String JAVA_STRING = "avro.java.string";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<Schema, Schema> STRIPPED = new ConcurrentHashMap<>();

    private JavaSpecificProperties() {}

    static Schema strip(Schema schema) {
        return STRIPPED.computeIfAbsent(schema, JavaSpecificProperties::stripUncached);
    }

    private static Schema stripUncached(Schema schema) {
        try {
            JsonNode tree = JSON.readTree(schema.toString());
            return new Schema.Parser().parse(JSON.writeValueAsString(removeHints(tree)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Avro rendered a schema that is not JSON: " + schema.getFullName(), e);
        }
    }

    /** Drops the hint from every type; default values are data, not schema, and stay untouched. */
    private static JsonNode removeHints(JsonNode node) {
        if (node.isObject()) {
            ObjectNode object = (ObjectNode) node;
            object.remove(JAVA_STRING);
            object.fields().forEachRemaining(entry -> {
                if (!entry.getKey().equals("default")) {
                    removeHints(entry.getValue());
                }
            });
        } else if (node.isArray()) {
            node.forEach(JavaSpecificProperties::removeHints);
        }
        return node;
    }
}
