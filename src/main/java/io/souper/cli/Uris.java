package io.souper.cli;

import java.net.URI;
import java.nio.file.Path;

/** Accepts a URI or a local path where a command wants a URI, so users can type either. */
final class Uris {
    private Uris() {
    }

    static String of(String uriOrPath) {
        if (uriOrPath == null) {
            return null;
        }
        if (uriOrPath.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*")) {
            return URI.create(uriOrPath).toString();
        }
        return Path.of(uriOrPath).toAbsolutePath().normalize().toUri().toString();
    }
}
