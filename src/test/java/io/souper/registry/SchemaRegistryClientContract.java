package io.souper.registry;

import static io.souper.registry.Schemas.OTHER;
import static io.souper.registry.Schemas.V1;
import static io.souper.registry.Schemas.V1_AGAIN_WITH_DOC;
import static io.souper.registry.Schemas.V1_WITH_OWNER_DEFAULT;
import static io.souper.registry.Schemas.V1_WITH_OWNER_REQUIRED;
import static io.souper.registry.Schemas.V2;
import static io.souper.registry.Schemas.V3_NO_DEFAULT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * What every {@link SchemaRegistryClient} must do, run against the in-memory registry and against
 * the HTTP client talking to {@link SchemaRegistryServer}: both must behave alike.
 */
abstract class SchemaRegistryClientContract {

    /** A client of an empty registry. */
    abstract SchemaRegistryClient client();

    @Test
    void registeringTheSameSchemaAgainReturnsTheSameIdEvenWithOtherDocs() {
        SchemaRegistryClient registry = client();
        assertThat(registry.register("a", V1)).isEqualTo(1);
        assertThat(registry.register("a", V1)).isEqualTo(1);
        assertThat(registry.register("a", V1_AGAIN_WITH_DOC)).isEqualTo(1);
        assertThat(registry.getVersions("a")).containsExactly(1);
    }

    @Test
    void idsAreGlobalAndVersionsArePerSubject() {
        SchemaRegistryClient registry = client();
        assertThat(registry.register("a", V1)).isEqualTo(1);
        assertThat(registry.register("a", V2)).isEqualTo(2);
        assertThat(registry.register("b", V2)).isEqualTo(2);
        assertThat(registry.register("c", OTHER)).isEqualTo(3);

        assertThat(registry.getVersions("a")).containsExactly(1, 2);
        assertThat(registry.getVersion("a", 2)).isEqualTo(new RegisteredSchema("a", 2, 2, V2));
        assertThat(registry.getVersion("a", 1)).isEqualTo(new RegisteredSchema("a", 1, 1, V1));
        assertThat(registry.getLatest("a")).isEqualTo(new RegisteredSchema("a", 2, 2, V2));
        assertThat(registry.getLatest("b")).isEqualTo(new RegisteredSchema("b", 1, 2, V2));
        assertThat(registry.subjects()).containsExactly("a", "b", "c");
    }

    @Test
    void lookupFindsTheVersionOfASchema() {
        SchemaRegistryClient registry = client();
        registry.register("a", V1);
        registry.register("a", V2);

        assertThat(registry.lookup("a", V2)).isEqualTo(new RegisteredSchema("a", 2, 2, V2));
        assertThat(registry.getId("a", V1_AGAIN_WITH_DOC)).isEqualTo(1);
        assertThatThrownBy(() -> registry.lookup("a", OTHER))
                .isInstanceOf(SchemaNotFoundException.class)
                .satisfies(e -> assertThat(((SchemaRegistryException) e).errorCode()).isEqualTo(40403));
        assertThatThrownBy(() -> registry.lookup("nope", V1))
                .isInstanceOf(SubjectNotFoundException.class)
                .hasMessageContaining("nope");
    }

    @Test
    void schemasAreFoundById() {
        SchemaRegistryClient registry = client();
        registry.register("a", V1);
        registry.register("c", OTHER);

        assertThat(registry.getSchemaById(1)).isEqualTo(V1);
        assertThat(registry.getSchemaById(2)).isEqualTo(OTHER);
        assertThatThrownBy(() -> registry.getSchemaById(99))
                .isInstanceOf(SchemaNotFoundException.class)
                .hasMessageContaining("99");
    }

    @Test
    void unknownSubjectsAndVersionsAreTheirOwnErrors() {
        SchemaRegistryClient registry = client();
        registry.register("a", V1);

        assertThatThrownBy(() -> registry.getLatest("nope"))
                .isInstanceOf(SubjectNotFoundException.class)
                .satisfies(e -> assertThat(((SchemaRegistryException) e).errorCode()).isEqualTo(40401));
        assertThatThrownBy(() -> registry.getVersions("nope")).isInstanceOf(SubjectNotFoundException.class);
        assertThatThrownBy(() -> registry.getVersion("a", 7))
                .isInstanceOf(VersionNotFoundException.class)
                .satisfies(e -> assertThat(((SchemaRegistryException) e).errorCode()).isEqualTo(40402));
        assertThatThrownBy(() -> registry.getVersion("a", 0)).isInstanceOf(InvalidVersionException.class);
    }

    @Test
    void anIncompatibleSchemaIsRefusedWithTheReason() {
        SchemaRegistryClient registry = client();
        registry.register("a", V1);
        registry.register("a", V2);

        assertThat(registry.testCompatibility("a", V3_NO_DEFAULT)).isFalse();
        assertThat(registry.testCompatibility("a", V1)).isTrue();
        assertThat(registry.testCompatibility("never-registered", V3_NO_DEFAULT)).isTrue();
        assertThatThrownBy(() -> registry.register("a", V3_NO_DEFAULT))
                .isInstanceOf(IncompatibleSchemaException.class)
                .hasMessageContaining("owner")
                .hasMessageContaining("BACKWARD")
                .satisfies(e -> assertThat(((SchemaRegistryException) e).errorCode()).isEqualTo(409));
        assertThat(registry.getVersions("a")).containsExactly(1, 2);
    }

    @Test
    void transitiveLevelsAreEnforcedOnRegister() {
        SchemaRegistryClient registry = client();
        registry.register("t", V1);
        registry.register("t", V1_WITH_OWNER_DEFAULT);
        registry.setCompatibility("t", CompatibilityLevel.BACKWARD_TRANSITIVE);

        // compatible with the latest version, but not with version 1
        assertThat(registry.testCompatibility("t", V1_WITH_OWNER_REQUIRED)).isTrue();
        assertThatThrownBy(() -> registry.register("t", V1_WITH_OWNER_REQUIRED))
                .isInstanceOf(IncompatibleSchemaException.class);
    }

    @Test
    void compatibilityLevelsAreGlobalWithPerSubjectOverrides() {
        SchemaRegistryClient registry = client();
        registry.register("a", V2);
        assertThat(registry.getCompatibility()).isEqualTo(CompatibilityLevel.BACKWARD);
        assertThat(registry.getCompatibility("a")).isEqualTo(CompatibilityLevel.BACKWARD);

        registry.setCompatibility("a", CompatibilityLevel.NONE);
        registry.setCompatibility(CompatibilityLevel.FULL);

        assertThat(registry.getCompatibility("a")).isEqualTo(CompatibilityLevel.NONE);
        assertThat(registry.getCompatibility("b")).isEqualTo(CompatibilityLevel.FULL);
        assertThat(registry.getCompatibility()).isEqualTo(CompatibilityLevel.FULL);
        assertThat(registry.register("a", V3_NO_DEFAULT)).isEqualTo(2);
    }
}
