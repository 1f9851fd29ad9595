package io.souper.registry;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;

/**
 * The registry's data and rules, shared by the in-memory client and the REST server: subjects and
 * their versions, global ids, compatibility levels. Every change goes to the {@link SchemaLog} first
 * and becomes visible only after the log accepted it. All methods are synchronized: writes are rare
 * and a registry must never hand out one id twice.
 */
final class SchemaRegistryState {
    /** Version argument meaning "the newest version" (Confluent accepts "latest" and -1). */
    static final int LATEST = -1;

    private final SchemaLog log;
    private final Map<String, NavigableMap<Integer, RegisteredSchema>> versionsBySubject = new TreeMap<>();
    private final Map<Integer, Schema> schemasById = new HashMap<>();
    private final Map<Schema, Integer> idsBySchema = new HashMap<>();
    private final Map<String, CompatibilityLevel> subjectLevels = new HashMap<>();
    private CompatibilityLevel globalLevel = CompatibilityLevel.DEFAULT;
    private int maxId;

    /** Rebuilds the state from everything {@code log} holds. */
    SchemaRegistryState(SchemaLog log) {
        this.log = log;
        for (SchemaLogEntry entry : log.readAll()) {
            apply(entry);
        }
    }

    synchronized int register(String subject, Schema schema) {
        requireSubjectName(subject);
        NavigableMap<Integer, RegisteredSchema> versions = versionsBySubject.getOrDefault(subject, new TreeMap<>());
        for (RegisteredSchema existing : versions.values()) {
            if (existing.schema().equals(schema)) {
                return existing.id();
            }
        }
        CompatibilityLevel level = effectiveLevel(subject);
        List<String> problems = level.incompatibilities(schema, schemasOf(versions));
        if (!problems.isEmpty()) {
            throw new IncompatibleSchemaException("Schema being registered is incompatible with an earlier schema"
                    + " for subject \"" + subject + "\" (compatibility " + level + "): " + String.join("; ", problems));
        }
        int id = idsBySchema.getOrDefault(schema, maxId + 1);
        int version = versions.isEmpty() ? 1 : versions.lastKey() + 1;
        SchemaLogEntry.SchemaVersion entry = new SchemaLogEntry.SchemaVersion(subject, version, id, schema.toString());
        log.append(entry);
        apply(entry);
        return id;
    }

    synchronized RegisteredSchema lookup(String subject, Schema schema) {
        for (RegisteredSchema existing : versionsOf(subject).values()) {
            if (existing.schema().equals(schema)) {
                return existing;
            }
        }
        throw new SchemaNotFoundException("Schema not found under subject '" + subject + "'.");
    }

    synchronized Schema schemaById(int id) {
        Schema schema = schemasById.get(id);
        if (schema == null) {
            throw new SchemaNotFoundException("Schema " + id + " not found.");
        }
        return schema;
    }

    /** Version {@code version} of {@code subject}, or its newest for {@link #LATEST}. */
    synchronized RegisteredSchema version(String subject, int version) {
        NavigableMap<Integer, RegisteredSchema> versions = versionsOf(subject);
        RegisteredSchema found = version == LATEST ? versions.lastEntry().getValue() : versions.get(version);
        if (found == null) {
            throw new VersionNotFoundException("Version " + version + " not found for subject '" + subject + "'.");
        }
        return found;
    }

    synchronized List<Integer> versions(String subject) {
        return List.copyOf(versionsOf(subject).keySet());
    }

    synchronized List<String> subjects() {
        return List.copyOf(versionsBySubject.keySet());
    }

    /**
     * Problems with {@code schema} against one version of {@code subject} (or its newest, for
     * {@link #LATEST}) under the subject's level. A subject without versions accepts anything when
     * asked about its latest version, as Confluent does.
     */
    synchronized List<String> compatibilityProblems(String subject, Schema schema, int version) {
        if (version == LATEST && !versionsBySubject.containsKey(subject)) {
            return List.of();
        }
        Schema against = version(subject, version).schema();
        CompatibilityLevel level = effectiveLevel(subject);
        // One version was named: check only it, in the level's direction(s).
        return level.incompatibilities(schema, List.of(against));
    }

    /** Problems with {@code schema} against every version {@link #register} would consider. */
    synchronized List<String> compatibilityProblemsWithAll(String subject, Schema schema) {
        NavigableMap<Integer, RegisteredSchema> versions = versionsBySubject.getOrDefault(subject, new TreeMap<>());
        return effectiveLevel(subject).incompatibilities(schema, schemasOf(versions));
    }

    synchronized CompatibilityLevel globalLevel() {
        return globalLevel;
    }

    /** The level set on the subject itself, if any. */
    synchronized Optional<CompatibilityLevel> subjectLevel(String subject) {
        return Optional.ofNullable(subjectLevels.get(subject));
    }

    synchronized CompatibilityLevel effectiveLevel(String subject) {
        return subjectLevels.getOrDefault(subject, globalLevel);
    }

    synchronized void setGlobalLevel(CompatibilityLevel level) {
        SchemaLogEntry.Config entry = new SchemaLogEntry.Config(null, level);
        log.append(entry);
        apply(entry);
    }

    /** Sets the level of {@code subject}, which need not have versions yet. */
    synchronized void setSubjectLevel(String subject, CompatibilityLevel level) {
        requireSubjectName(subject);
        SchemaLogEntry.Config entry = new SchemaLogEntry.Config(subject, level);
        log.append(entry);
        apply(entry);
    }

    private NavigableMap<Integer, RegisteredSchema> versionsOf(String subject) {
        NavigableMap<Integer, RegisteredSchema> versions = versionsBySubject.get(subject);
        if (versions == null || versions.isEmpty()) {
            throw new SubjectNotFoundException("Subject '" + subject + "' not found.");
        }
        return versions;
    }

    private static List<Schema> schemasOf(NavigableMap<Integer, RegisteredSchema> versions) {
        List<Schema> schemas = new ArrayList<>(versions.size());
        versions.values().forEach(v -> schemas.add(v.schema()));
        return schemas;
    }

    private static void requireSubjectName(String subject) {
        if (subject == null || subject.isBlank()) {
            throw new SchemaRegistryException(42208, "Subject name must be a non-blank string, got '" + subject + "'.");
        }
    }

    private void apply(SchemaLogEntry entry) {
        // Java 17: no pattern matching for switch yet.
        if (entry instanceof SchemaLogEntry.SchemaVersion version) {
            applyVersion(version);
        } else if (entry instanceof SchemaLogEntry.Config config) {
            if (config.subject() == null) {
                globalLevel = config.level();
            } else {
                subjectLevels.put(config.subject(), config.level());
            }
        }
    }

    private void applyVersion(SchemaLogEntry.SchemaVersion v) {
        Schema schema;
        try {
            schema = new Schema.Parser().parse(v.schema());
        } catch (SchemaParseException e) {
            throw new IllegalStateException("Stored schema for subject '" + v.subject() + "' version " + v.version()
                    + " (id " + v.id() + ") is not a valid Avro schema: " + e.getMessage(), e);
        }
        // The first schema stored under an id stays its schema: ids never change meaning.
        Schema byId = schemasById.putIfAbsent(v.id(), schema);
        idsBySchema.putIfAbsent(byId == null ? schema : byId, v.id());
        maxId = Math.max(maxId, v.id());
        versionsBySubject.computeIfAbsent(v.subject(), s -> new TreeMap<>())
                .put(v.version(), new RegisteredSchema(v.subject(), v.version(), v.id(), byId == null ? schema : byId));
    }
}
