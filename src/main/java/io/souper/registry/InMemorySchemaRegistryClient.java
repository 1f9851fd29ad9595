package io.souper.registry;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;

/**
 * A registry that lives in this JVM, with the same rules as the real one (global ids, versions,
 * compatibility levels). {@code mock://scope} URLs select a per-scope instance shared by every serde
 * and client of the JVM configured with that URL, like Confluent's {@code MockSchemaRegistry}; tests
 * call {@link #dropScope} to start clean.
 */
public final class InMemorySchemaRegistryClient implements SchemaRegistryClient {
    private static final Map<String, InMemorySchemaRegistryClient> SCOPES = new ConcurrentHashMap<>();

    private final SchemaRegistryState state = new SchemaRegistryState(SchemaLog.NONE);
    private final String url;

    /** A private registry, shared with nobody. */
    public InMemorySchemaRegistryClient() {
        this("mock://private-" + Integer.toHexString(System.identityHashCode(new Object())));
    }

    private InMemorySchemaRegistryClient(String url) {
        this.url = url;
    }

    /** The registry of {@code scope}, created on first use and shared JVM-wide. */
    public static InMemorySchemaRegistryClient forScope(String scope) {
        if (scope == null || scope.isBlank()) {
            throw new IllegalArgumentException("mock:// registry scope must be non-blank, got '" + scope + "'");
        }
        return SCOPES.computeIfAbsent(scope, s -> new InMemorySchemaRegistryClient("mock://" + s));
    }

    /** Forgets {@code scope}: the next {@link #forScope} for it starts empty. */
    public static void dropScope(String scope) {
        SCOPES.remove(scope);
    }

    @Override
    public int register(String subject, Schema schema) {
        return state.register(subject, schema);
    }

    @Override
    public RegisteredSchema lookup(String subject, Schema schema) {
        return state.lookup(subject, schema);
    }

    @Override
    public Schema getSchemaById(int id) {
        return state.schemaById(id);
    }

    @Override
    public RegisteredSchema getLatest(String subject) {
        return state.version(subject, SchemaRegistryState.LATEST);
    }

    @Override
    public RegisteredSchema getVersion(String subject, int version) {
        if (version < 1) {
            throw new InvalidVersionException("Version " + version + " is not a valid version id: versions start at 1.");
        }
        return state.version(subject, version);
    }

    @Override
    public List<Integer> getVersions(String subject) {
        return state.versions(subject);
    }

    @Override
    public boolean testCompatibility(String subject, Schema schema) {
        return state.compatibilityProblems(subject, schema, SchemaRegistryState.LATEST).isEmpty();
    }

    @Override
    public CompatibilityLevel getCompatibility() {
        return state.globalLevel();
    }

    @Override
    public CompatibilityLevel getCompatibility(String subject) {
        return state.effectiveLevel(subject);
    }

    @Override
    public void setCompatibility(CompatibilityLevel level) {
        state.setGlobalLevel(level);
    }

    @Override
    public void setCompatibility(String subject, CompatibilityLevel level) {
        state.setSubjectLevel(subject, level);
    }

    @Override
    public List<String> subjects() {
        return state.subjects();
    }

    @Override
    public String url() {
        return url;
    }

    @Override
    public String toString() {
        return "InMemorySchemaRegistryClient[" + url + "]";
    }
}
