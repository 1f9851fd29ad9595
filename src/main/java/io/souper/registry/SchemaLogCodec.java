package io.souper.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Optional;

/**
 * Keys and values of the {@code _schemas} topic, in Confluent Schema Registry's own JSON layout so the
 * topic reads like one Confluent wrote:
 *
 * <pre>
 * key   {"keytype":"SCHEMA","subject":"t-value","version":1,"magic":1}
 * value {"subject":"t-value","version":1,"id":1,"schema":"{...}","deleted":false}
 * key   {"keytype":"CONFIG","subject":null,"magic":0}     (null subject: the global level)
 * value {"compatibilityLevel":"FULL"}
 * </pre>
 *
 * Keys are written with a fixed field order: the topic is compacted by key bytes, so one logical key
 * must always be the same bytes.
 */
final class SchemaLogCodec {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SchemaLogCodec() {}

    static byte[] key(SchemaLogEntry entry) {
        ObjectNode key = JSON.createObjectNode();
        if (entry instanceof SchemaLogEntry.SchemaVersion v) {
            key.put("keytype", "SCHEMA").put("subject", v.subject()).put("version", v.version()).put("magic", 1);
        } else if (entry instanceof SchemaLogEntry.Config c) {
            key.put("keytype", "CONFIG").put("subject", c.subject()).put("magic", 0);
        } else {
            throw new IllegalArgumentException("unknown schema log entry " + entry);
        }
        return bytes(key);
    }

    static byte[] value(SchemaLogEntry entry) {
        ObjectNode value = JSON.createObjectNode();
        if (entry instanceof SchemaLogEntry.SchemaVersion v) {
            value.put("subject", v.subject()).put("version", v.version()).put("id", v.id())
                    .put("schema", v.schema()).put("deleted", false);
        } else if (entry instanceof SchemaLogEntry.Config c) {
            value.put("compatibilityLevel", c.level().name());
        } else {
            throw new IllegalArgumentException("unknown schema log entry " + entry);
        }
        return bytes(value);
    }

    /**
     * The entry a record stands for; empty for records that change nothing we model (tombstones,
     * soft-deleted versions, Confluent's NOOP / MODE / DELETE_SUBJECT markers).
     */
    static Optional<SchemaLogEntry> decode(byte[] keyBytes, byte[] valueBytes) {
        if (keyBytes == null || valueBytes == null) {
            return Optional.empty();
        }
        JsonNode key = read(keyBytes, "key");
        JsonNode value = read(valueBytes, "value");
        String keyType = key.path("keytype").asText("");
        switch (keyType) {
            case "SCHEMA": {
                if (value.path("deleted").asBoolean(false)) {
                    return Optional.empty();
                }
                String subject = required(value, "subject").asText();
                String schema = required(value, "schema").asText();
                return Optional.of(new SchemaLogEntry.SchemaVersion(subject,
                        required(value, "version").asInt(), required(value, "id").asInt(), schema));
            }
            case "CONFIG": {
                JsonNode subject = key.get("subject");
                String level = required(value, "compatibilityLevel").asText();
                return Optional.of(new SchemaLogEntry.Config(
                        subject == null || subject.isNull() ? null : subject.asText(), CompatibilityLevel.parse(level)));
            }
            default:
                return Optional.empty();
        }
    }

    private static JsonNode required(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw new IllegalStateException("schema log record lacks '" + field + "': " + node);
        }
        return value;
    }

    private static JsonNode read(byte[] bytes, String what) {
        try {
            return JSON.readTree(bytes);
        } catch (IOException e) {
            throw new IllegalStateException("schema log record " + what + " is not JSON: " + e.getMessage(), e);
        }
    }

    private static byte[] bytes(ObjectNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode schema log record " + node, e);
        }
    }
}
