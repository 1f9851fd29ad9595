package io.souper.registry;

import static io.souper.registry.Schemas.V1;
import static io.souper.registry.Schemas.V1_WITH_OWNER_DEFAULT;
import static io.souper.registry.Schemas.V1_WITH_OWNER_REQUIRED;
import static io.souper.registry.Schemas.V2;
import static io.souper.registry.Schemas.V3_NO_DEFAULT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

class CompatibilityLevelTest {

    @Test
    void backwardMeansTheNewSchemaReadsOldData() {
        assertThat(CompatibilityLevel.BACKWARD.incompatibilities(V2, List.of(V1))).isEmpty();
        assertThat(CompatibilityLevel.BACKWARD.incompatibilities(V3_NO_DEFAULT, List.of(V2)))
                .singleElement().asString()
                .contains("new schema cannot read data written with an earlier one")
                .contains("READER_FIELD_MISSING_DEFAULT_VALUE")
                .contains("owner");
    }

    @Test
    void forwardMeansOldSchemasReadNewData() {
        assertThat(CompatibilityLevel.FORWARD.incompatibilities(V3_NO_DEFAULT, List.of(V2))).isEmpty();
        // V2 data lacks "owner", which a V3 reader would need: forward from V3 to V2 fails
        assertThat(CompatibilityLevel.FORWARD.incompatibilities(V2, List.of(V3_NO_DEFAULT)))
                .singleElement().asString().contains("an earlier schema cannot read data written with the new one");
    }

    @Test
    void fullNeedsBothDirections() {
        assertThat(CompatibilityLevel.FULL.incompatibilities(V2, List.of(V1))).isEmpty();
        assertThat(CompatibilityLevel.FULL.incompatibilities(V3_NO_DEFAULT, List.of(V2))).hasSize(1);
        assertThat(CompatibilityLevel.FULL.incompatibilities(V2, List.of(V3_NO_DEFAULT))).hasSize(1);
    }

    @Test
    void transitiveLevelsCheckEveryEarlierVersionNonTransitiveOnlyTheLatest() {
        List<Schema> history = List.of(V1, V1_WITH_OWNER_DEFAULT);
        assertThat(CompatibilityLevel.BACKWARD.incompatibilities(V1_WITH_OWNER_REQUIRED, history)).isEmpty();
        assertThat(CompatibilityLevel.BACKWARD_TRANSITIVE.incompatibilities(V1_WITH_OWNER_REQUIRED, history))
                .singleElement().asString().contains("owner");
        assertThat(CompatibilityLevel.FULL_TRANSITIVE.incompatibilities(V1_WITH_OWNER_REQUIRED, history))
                .isNotEmpty();
    }

    @Test
    void noneAcceptsAnythingAndAnEmptyHistoryAcceptsAnything() {
        assertThat(CompatibilityLevel.NONE.incompatibilities(Schemas.OTHER, List.of(V1))).isEmpty();
        for (CompatibilityLevel level : CompatibilityLevel.values()) {
            assertThat(level.incompatibilities(Schemas.OTHER, List.of())).as(level.name()).isEmpty();
        }
    }

    @Test
    void parsesNamesCaseInsensitivelyAndNamesTheBadOne() {
        assertThat(CompatibilityLevel.parse("full_transitive")).isEqualTo(CompatibilityLevel.FULL_TRANSITIVE);
        assertThat(CompatibilityLevel.DEFAULT).isEqualTo(CompatibilityLevel.BACKWARD);
        assertThatThrownBy(() -> CompatibilityLevel.parse("SIDEWAYS"))
                .isInstanceOf(InvalidCompatibilityLevelException.class)
                .hasMessageContaining("SIDEWAYS")
                .satisfies(e -> assertThat(((SchemaRegistryException) e).errorCode()).isEqualTo(42203));
    }
}
