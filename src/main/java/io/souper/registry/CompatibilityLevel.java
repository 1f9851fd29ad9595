package io.souper.registry;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;

/**
 * Confluent's compatibility levels, checked with Avro's own resolution rules
 * ({@link SchemaCompatibility}) so "compatible" means exactly "Avro can resolve one from the other".
 *
 * <ul>
 *   <li>BACKWARD: the new schema can read data written with the previous one (consumers upgrade first).
 *   <li>FORWARD: the previous schema can read data written with the new one (producers upgrade first).
 *   <li>FULL: both.
 *   <li>*_TRANSITIVE: against every earlier version, not just the latest.
 * </ul>
 */
public enum CompatibilityLevel {
    NONE(false, false, false),
    BACKWARD(true, false, false),
    BACKWARD_TRANSITIVE(true, false, true),
    FORWARD(false, true, false),
    FORWARD_TRANSITIVE(false, true, true),
    FULL(true, true, false),
    FULL_TRANSITIVE(true, true, true);

    /** Confluent's default, and ours. */
    public static final CompatibilityLevel DEFAULT = BACKWARD;

    private final boolean backward;
    private final boolean forward;
    private final boolean transitive;

    CompatibilityLevel(boolean backward, boolean forward, boolean transitive) {
        this.backward = backward;
        this.forward = forward;
        this.transitive = transitive;
    }

    public boolean isTransitive() {
        return transitive;
    }

    /** Parses a level name, case-insensitively; an unknown name is a 42203 error. */
    public static CompatibilityLevel parse(String name) {
        if (name != null) {
            for (CompatibilityLevel level : values()) {
                if (level.name().equalsIgnoreCase(name.trim())) {
                    return level;
                }
            }
        }
        throw new InvalidCompatibilityLevelException(
                "Invalid compatibility level '" + name + "': expected one of "
                        + List.of(values()).toString().toUpperCase(Locale.ROOT));
    }

    /**
     * Why {@code candidate} may not follow {@code previousOldestFirst} under this level; empty when it
     * may. Non-transitive levels look only at the last (latest) element.
     */
    public List<String> incompatibilities(Schema candidate, List<Schema> previousOldestFirst) {
        List<String> problems = new ArrayList<>();
        if (this == NONE || previousOldestFirst.isEmpty()) {
            return problems;
        }
        List<Schema> toCheck = transitive
                ? previousOldestFirst
                : List.of(previousOldestFirst.get(previousOldestFirst.size() - 1));
        for (Schema previous : toCheck) {
            if (backward) {
                describe("new schema cannot read data written with an earlier one",
                        SchemaCompatibility.checkReaderWriterCompatibility(candidate, previous), problems);
            }
            if (forward) {
                describe("an earlier schema cannot read data written with the new one",
                        SchemaCompatibility.checkReaderWriterCompatibility(previous, candidate), problems);
            }
        }
        return problems;
    }

    private static void describe(String direction, SchemaPairCompatibility pair, List<String> out) {
        if (pair.getType() == SchemaCompatibilityType.COMPATIBLE) {
            return;
        }
        List<String> details = new ArrayList<>();
        for (Incompatibility incompatibility : pair.getResult().getIncompatibilities()) {
            details.add(incompatibility.getType() + " at " + incompatibility.getLocation() + " ("
                    + incompatibility.getMessage() + ")");
        }
        out.add(direction + ": " + String.join(", ", details));
    }
}
