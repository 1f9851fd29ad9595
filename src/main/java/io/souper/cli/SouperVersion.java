package io.souper.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The version of this build. The pom's {@code <version>} is the one source: Maven's resource filtering
 * writes it into {@code io/souper/version.properties}, which is on the class path of the jar and of the
 * tests alike (a manifest entry would exist only in the packaged jar).
 */
final class SouperVersion {

    static final String RESOURCE = "/io/souper/version.properties";

    private SouperVersion() {
    }

    static String get() {
        try (InputStream in = SouperVersion.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing: build Souper with Maven");
            }
            Properties properties = new Properties();
            properties.load(in);
            String version = properties.getProperty("version", "").trim();
            if (version.isEmpty() || version.startsWith("${")) {
                throw new IllegalStateException(RESOURCE + " was not filtered by Maven: " + version);
            }
            return version;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }
}
