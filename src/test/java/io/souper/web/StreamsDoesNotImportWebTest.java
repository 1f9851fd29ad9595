package io.souper.web;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The layering between the stream processor and its HTTP side: {@code web} may use
 * {@code streams} (it renders and routes the souper's queries), never the other way round,
 * so the souper can run, be tested and change without the HTTP layer.
 */
class StreamsDoesNotImportWebTest {

    private static final Path STREAMS = Path.of("src/main/java/io/souper/streams");

    @Test
    void noStreamsSourceMentionsTheWebPackage() throws IOException {
        List<Path> sources;
        try (Stream<Path> files = Files.walk(STREAMS)) {
            sources = files.filter(p -> p.toString().endsWith(".java")).toList();
        }
        assertThat(sources).as("sources under " + STREAMS).hasSizeGreaterThan(5);
        for (Path source : sources) {
            // an import, a static import or a fully qualified use of a web class
            assertThat(Files.readString(source)).as(source.toString()).doesNotContainPattern("io\\.souper\\.web\\.[A-Za-z*]");
        }
    }

    @Test
    void noCompiledStreamsClassReferencesTheWebPackage() throws IOException {
        // the constant pool names every class a class uses, imported or fully qualified
        Path classes = Path.of("target/classes/io/souper/streams");
        List<Path> compiled;
        try (Stream<Path> files = Files.walk(classes)) {
            compiled = files.filter(p -> p.toString().endsWith(".class")).toList();
        }
        assertThat(compiled).isNotEmpty();
        for (Path c : compiled) {
            String bytes = new String(Files.readAllBytes(c), java.nio.charset.StandardCharsets.ISO_8859_1);
            assertThat(bytes).as(c.toString()).doesNotContain("io/souper/web/");
        }
    }
}
