package io.souper.serde;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.avro.Schema;

/**
 * Reads a schemas/ tree the way the build does: the shared types of common/ first (in whatever order
 * their references allow), then the top-level records, each resolved against them.
 */
final class AvscDirectory {
    private AvscDirectory() {}

    /** Every schema in {@code root} and {@code root/common}, by full name. */
    static Map<String, Schema> load(Path root) throws IOException {
        Map<String, Schema> known = new LinkedHashMap<>();
        parseAll(files(root.resolve("common")), known);
        parseAll(files(root), known);
        return new TreeMap<>(known);
    }

    private static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> listing = Files.list(dir)) {
            return listing.filter(p -> p.toString().endsWith(".avsc")).sorted().toList();
        }
    }

    /** Parses files whose references are known, repeating until every file parsed or none can. */
    private static void parseAll(List<Path> files, Map<String, Schema> known) throws IOException {
        List<Path> pending = new ArrayList<>(files);
        while (!pending.isEmpty()) {
            List<String> failures = new ArrayList<>();
            boolean progress = false;
            for (Path file : List.copyOf(pending)) {
                Schema.Parser parser = new Schema.Parser().addTypes(known.values());
                try {
                    parser.parse(file.toFile());
                } catch (RuntimeException unresolved) {
                    failures.add(file.getFileName() + ": " + unresolved.getMessage());
                    continue;
                }
                known.putAll(parser.getTypes());
                pending.remove(file);
                progress = true;
            }
            if (!progress) {
                throw new IllegalStateException("cannot parse " + pending + ": " + failures);
            }
        }
    }
}
