package io.souper.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class VersionTest {

    @Test
    void dashVPrintsThePomsVersion() throws Exception {
        Matcher version = Pattern.compile("<artifactId>souper</artifactId>\\s*<version>([^<]+)</version>")
                .matcher(Files.readString(Path.of("pom.xml")));
        assertThat(version.find()).isTrue();
        StringWriter out = new StringWriter();
        CommandLine cli = SouperCli.commandLine();
        cli.setOut(new PrintWriter(out));
        assertThat(cli.execute("-V")).isZero();
        assertThat(out.toString().trim()).isEqualTo("souper " + version.group(1)).doesNotContain("dev");
    }
}
