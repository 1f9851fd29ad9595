package io.souper.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Optional;
import org.apache.avro.Schema;

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
     *
     * @throws UnreadableRecordException when the record is not one the registry can use (not JSON,
     *     a field missing or of the wrong type, a schema that is not Avro): the caller skips it, as
     *     Confluent's registry does, rather than refusing to start
     */
    static Optional<SchemaLogEntry> decode(byte[] keyBytes, byte[] valueBytes) {
        if (keyBytes == null || valueBytes == null) {
            return Optional.empty();
        }
        JsonNode key = read(keyBytes, "key");
        String keyType = key.path("keytype").asText("");
        switch (keyType) {
            case "SCHEMA": {
                JsonNode value = read(valueBytes, "value");
                if (value.path("deleted").asBoolean(false)) {
                    return Optional.empty();
                }
                String subject = text(value, "subject");
                String schema = text(value, "schema");
                int version = positive(value, "version");
                int id = positive(value, "id");
                try {
                    new Schema.Parser().parse(schema);
                } catch (RuntimeException e) {
                    throw new UnreadableRecordException("schema of subject '" + subject + "' version " + version
                            + " (id " + id + ") is not a valid Avro schema: " + e.getMessage());
                }
                return Optional.of(new SchemaLogEntry.SchemaVersion(subject, version, id, schema));
            }
            case "CONFIG": {
                JsonNode value = read(valueBytes, "value");
                JsonNode subject = key.get("subject");
                if (subject != null && !subject.isNull() && !subject.isTextual()) {
                    throw new UnreadableRecordException("CONFIG key has a subject that is not a string: " + key);
                }
                CompatibilityLevel level;
                try {
                    level = CompatibilityLevel.parse(text(value, "compatibilityLevel"));
                } catch (RuntimeException e) {
                    throw new UnreadableRecordException("CONFIG record: " + e.getMessage());
                }
                return Optional.of(new SchemaLogEntry.Config(
                        subject == null || subject.isNull() ? null : subject.asText(), level));
            }
            default:
                return Optional.empty();
        }
    }

    /** A record of the schema log that cannot be used; the message says why. */
    static final class UnreadableRecordException extends RuntimeException {
        UnreadableRecordException(String message) {
            super(message);
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual()) {
            throw new UnreadableRecordException("schema log record lacks the string '" + field + "': "
                    + abbreviate(node.toString()));
        }
        return value.asText();
    }

    private static int positive(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.canConvertToInt() || !value.isIntegralNumber() || value.asInt() < 1) {
            throw new UnreadableRecordException("schema log record lacks a positive integer '" + field + "': "
                    + abbreviate(node.toString()));
        }
        return value.asInt();
    }

    private static JsonNode read(byte[] bytes, String what) {
        JsonNode node;
        try {
            node = JSON.readTree(bytes);
        } catch (IOException e) {
            throw new UnreadableRecordException("schema log record " + what + " is not JSON: " + e.getMessage());
        }
        if (node == null || !node.isObject()) {
            throw new UnreadableRecordException("schema log record " + what + " is not a JSON object: "
                    + abbreviate(new String(bytes, java.nio.charset.StandardCharsets.UTF_8)));
        }
        return node;
    }

    private static String abbreviate(String text) {
        return text.length() <= 200 ? text : text.substring(0, 200) + "...";
    }

    private static byte[] bytes(ObjectNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode schema log record " + node, e);
        }
    }
}
