package io.souper.web;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** A soup id as one URL path segment (ids may hold '/', spaces and the like). */
final class PathSegments {

    private PathSegments() {
    }

    static String encode(String segment) {
        // URLEncoder is for forms: it writes a space as '+', which a path does not decode.
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
