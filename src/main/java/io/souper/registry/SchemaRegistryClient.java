package io.souper.registry;

import java.util.List;
import org.apache.avro.Schema;

/**
 * The subset of Confluent Schema Registry that Avro serdes and operators need. Two schemas are "the
 * same" when their parsed forms are equal ({@link Schema#equals}: names, fields, types, defaults and
 * logical types count; docs and JSON formatting do not), so a schema registered from Python and from
 * Java maps to one id.
 *
 * <p>Failures are {@link SchemaRegistryException} subclasses carrying Confluent's error code:
 * {@link SubjectNotFoundException} (40401), {@link VersionNotFoundException} (40402),
 * {@link SchemaNotFoundException} (40403), {@link IncompatibleSchemaException} (409),
 * {@link InvalidSchemaException} (42201), {@link RegistryUnavailableException} (not reachable).
 */
public interface SchemaRegistryClient extends AutoCloseable {

    /**
     * Registers {@code schema} under {@code subject} and returns its global id. Registering a schema the
     * subject already has returns the existing id (no new version); a schema already known under
     * another subject keeps its id. A schema that breaks the subject's compatibility level is refused
     * with {@link IncompatibleSchemaException}.
     */
    int register(String subject, Schema schema);

    /** The id of {@code schema} under {@code subject}; 40401 / 40403 when it is not registered there. */
    default int getId(String subject, Schema schema) {
        return lookup(subject, schema).id();
    }

    /** The (earliest) version of {@code subject} whose schema equals {@code schema}. */
    RegisteredSchema lookup(String subject, Schema schema);

    /** The schema with this global id; {@link SchemaNotFoundException} when there is none. */
    Schema getSchemaById(int id);

    /** The newest version of {@code subject}; {@link SubjectNotFoundException} when it has none. */
    RegisteredSchema getLatest(String subject);

    /** Version {@code version} (1-based) of {@code subject}; 40401 / 40402 when absent. */
    RegisteredSchema getVersion(String subject, int version);

    /** The versions of {@code subject}, ascending; {@link SubjectNotFoundException} when it has none. */
    List<Integer> getVersions(String subject);

    /**
     * Whether {@code schema} is compatible with the latest version of {@code subject} under the
     * subject's level (Confluent's {@code /compatibility/subjects/{s}/versions/latest}: transitive
     * levels are enforced in full by {@link #register}). True for a subject with no versions.
     */
    boolean testCompatibility(String subject, Schema schema);

    /** The global compatibility level. */
    CompatibilityLevel getCompatibility();

    /** The level that applies to {@code subject}: its own if set, the global level otherwise. */
    CompatibilityLevel getCompatibility(String subject);

    /** Sets the global compatibility level. */
    void setCompatibility(CompatibilityLevel level);

    /** Sets {@code subject}'s own compatibility level (it need not have versions yet). */
    void setCompatibility(String subject, CompatibilityLevel level);

    /** Every subject with at least one version, sorted. */
    List<String> subjects();

    /** Where this client points, for error messages: {@code http://host:port} or {@code mock://scope}. */
    String url();

    /** Releases connections; the default holds none. */
    @Override
    default void close() {}
}
