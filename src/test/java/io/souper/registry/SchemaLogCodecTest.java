package io.souper.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The _schemas records are byte-for-byte Confluent's layout; keys must be stable for compaction. */
class SchemaLogCodecTest {

    @Test
    void schemaVersionsUseConfluentsKeyAndValueLayout() {
        SchemaLogEntry entry = new SchemaLogEntry.SchemaVersion("t-value", 2, 7, "\"string\"");

        assertThat(text(SchemaLogCodec.key(entry)))
                .isEqualTo("{\"keytype\":\"SCHEMA\",\"subject\":\"t-value\",\"version\":2,\"magic\":1}");
        assertThat(text(SchemaLogCodec.value(entry)))
                .isEqualTo("{\"subject\":\"t-value\",\"version\":2,\"id\":7,\"schema\":\"\\\"string\\\"\",\"deleted\":false}");
        assertThat(SchemaLogCodec.decode(SchemaLogCodec.key(entry), SchemaLogCodec.value(entry))).contains(entry);
    }

    @Test
    void configEntriesUseANullSubjectForTheGlobalLevel() {
        SchemaLogEntry global = new SchemaLogEntry.Config(null, CompatibilityLevel.FULL);
        SchemaLogEntry subject = new SchemaLogEntry.Config("t-value", CompatibilityLevel.NONE);

        assertThat(text(SchemaLogCodec.key(global))).isEqualTo("{\"keytype\":\"CONFIG\",\"subject\":null,\"magic\":0}");
        assertThat(text(SchemaLogCodec.value(global))).isEqualTo("{\"compatibilityLevel\":\"FULL\"}");
        assertThat(SchemaLogCodec.decode(SchemaLogCodec.key(global), SchemaLogCodec.value(global))).contains(global);
        assertThat(SchemaLogCodec.decode(SchemaLogCodec.key(subject), SchemaLogCodec.value(subject))).contains(subject);
    }

    @Test
    void recordsThatChangeNothingWeModelAreSkipped() {
        byte[] noop = "{\"keytype\":\"NOOP\",\"magic\":0}".getBytes(StandardCharsets.UTF_8);
        byte[] schemaKey = SchemaLogCodec.key(new SchemaLogEntry.SchemaVersion("s", 1, 1, "\"int\""));
        byte[] deleted = "{\"subject\":\"s\",\"version\":1,\"id\":1,\"schema\":\"\\\"int\\\"\",\"deleted\":true}"
                .getBytes(StandardCharsets.UTF_8);

        assertThat(SchemaLogCodec.decode(noop, "{}".getBytes(StandardCharsets.UTF_8))).isEmpty();
        assertThat(SchemaLogCodec.decode(schemaKey, null)).isEmpty();
        assertThat(SchemaLogCodec.decode(schemaKey, deleted)).isEmpty();
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
