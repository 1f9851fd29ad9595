package io.souper.serde;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * Settings of the Avro serdes, under Confluent's names so existing client configurations carry over.
 * Other keys in the map (bootstrap.servers...) are ignored; registry client settings
 * ({@code schema.registry.connect.timeout.ms}, {@code schema.registry.request.timeout.ms}) are read by
 * {@link io.souper.registry.SchemaRegistryClients#forUrl}.
 */
public final class AvroSerdeConfig extends AbstractConfig {
    /** Where the registry is: {@code http://host:port} (comma-separated for several) or {@code mock://scope}. */
    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    /** Register the record's schema when it is not yet registered (default true). */
    public static final String AUTO_REGISTER_SCHEMAS = "auto.register.schemas";
    /** Write with the subject's latest registered schema instead of the record's own (default false). */
    public static final String USE_LATEST_VERSION = "use.latest.version";
    /** How key subjects are named (default {@link TopicNameStrategy}: {@code <topic>-key}). */
    public static final String KEY_SUBJECT_NAME_STRATEGY = "key.subject.name.strategy";
    /** How value subjects are named (default {@link TopicNameStrategy}: {@code <topic>-value}). */
    public static final String VALUE_SUBJECT_NAME_STRATEGY = "value.subject.name.strategy";
    /**
     * Register schemas without the Java generator's {@code avro.java.string} hints (default true, unlike
     * Confluent's default), so a schema registered from Java and from Python is one schema with one id.
     */
    public static final String REMOVE_JAVA_PROPERTIES = "avro.remove.java.properties";
    /** Decode into generated classes (default true; the specific deserializer supports nothing else). */
    public static final String SPECIFIC_AVRO_READER = "specific.avro.reader";
    /**
     * Most bytes of one decoded string (default 8 MiB). Souper's events carry ids and URIs; whatever the
     * cap, no string may claim more bytes than remain in the record.
     */
    public static final String MAX_STRING_BYTES = "avro.max.string.bytes";
    /** Most bytes of one decoded {@code bytes} value (default 8 MiB), also never more than remain. */
    public static final String MAX_BYTES_LENGTH = "avro.max.bytes.length";
    /** Most array items and map entries in one decoded record, all collections together (default 1,000,000). */
    public static final String MAX_COLLECTION_ITEMS = "avro.max.collection.items";

    private static final ConfigDef DEFINITION = new ConfigDef()
            .define(SCHEMA_REGISTRY_URL, Type.STRING, null, Importance.HIGH,
                    "Schema registry URL(s), or mock://scope for the in-memory registry of that scope")
            .define(AUTO_REGISTER_SCHEMAS, Type.BOOLEAN, true, Importance.MEDIUM,
                    "Register the record's schema under its subject when missing")
            .define(USE_LATEST_VERSION, Type.BOOLEAN, false, Importance.LOW,
                    "Serialize with the subject's latest registered schema")
            .define(KEY_SUBJECT_NAME_STRATEGY, Type.STRING, TopicNameStrategy.class.getName(), Importance.LOW,
                    "Subject naming for keys: TopicNameStrategy, RecordNameStrategy or TopicRecordNameStrategy")
            .define(VALUE_SUBJECT_NAME_STRATEGY, Type.STRING, TopicNameStrategy.class.getName(), Importance.LOW,
                    "Subject naming for values: TopicNameStrategy, RecordNameStrategy or TopicRecordNameStrategy")
            .define(REMOVE_JAVA_PROPERTIES, Type.BOOLEAN, true, Importance.LOW,
                    "Register schemas without avro.java.string hints, so every language gets the same id")
            .define(SPECIFIC_AVRO_READER, Type.BOOLEAN, true, Importance.LOW,
                    "Deserialize into generated SpecificRecord classes")
            .define(MAX_STRING_BYTES, Type.INT, 8 << 20, ConfigDef.Range.atLeast(0), Importance.LOW,
                    "Most bytes of one string in a decoded record")
            .define(MAX_BYTES_LENGTH, Type.INT, 8 << 20, ConfigDef.Range.atLeast(0), Importance.LOW,
                    "Most bytes of one bytes value in a decoded record")
            .define(MAX_COLLECTION_ITEMS, Type.LONG, 1_000_000L, ConfigDef.Range.atLeast(0), Importance.LOW,
                    "Most array items and map entries in one decoded record");

    public AvroSerdeConfig(Map<String, ?> originals) {
        super(DEFINITION, classesAsNames(originals), false);
    }

    /** The registry URL, or null when none was configured. */
    public String registryUrl() {
        return getString(SCHEMA_REGISTRY_URL);
    }

    public boolean autoRegisterSchemas() {
        return getBoolean(AUTO_REGISTER_SCHEMAS);
    }

    public boolean useLatestVersion() {
        return getBoolean(USE_LATEST_VERSION);
    }

    public boolean removeJavaProperties() {
        return getBoolean(REMOVE_JAVA_PROPERTIES);
    }

    public boolean specificAvroReader() {
        return getBoolean(SPECIFIC_AVRO_READER);
    }

    /** What one record may claim when it is decoded. */
    public DecodingLimits decodingLimits() {
        return new DecodingLimits(getInt(MAX_STRING_BYTES), getInt(MAX_BYTES_LENGTH), getLong(MAX_COLLECTION_ITEMS));
    }

    public SubjectNameStrategy subjectNameStrategy(boolean isKey) {
        String key = isKey ? KEY_SUBJECT_NAME_STRATEGY : VALUE_SUBJECT_NAME_STRATEGY;
        return SubjectNameStrategy.named(key, getString(key));
    }

    /** Streams users often pass strategy classes rather than names; accept both. */
    private static Map<String, Object> classesAsNames(Map<String, ?> originals) {
        Map<String, Object> copy = new HashMap<>(originals == null ? Map.of() : originals);
        for (String key : new String[] {KEY_SUBJECT_NAME_STRATEGY, VALUE_SUBJECT_NAME_STRATEGY}) {
            if (copy.get(key) instanceof Class<?> type) {
                copy.put(key, type.getName());
            }
        }
        return copy;
    }
}
