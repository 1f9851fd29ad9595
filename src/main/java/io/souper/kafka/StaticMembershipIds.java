package io.souper.kafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/**
 * Stable {@code group.instance.id}s for static membership: a consumer restarted after a kill
 * rejoins under the same id and gets its partitions back without a rebalance. The id belongs to
 * the directory holding the process's state (the souper's state dir, the evaluator's work dir),
 * because that state is what makes handing the partitions back worth it.
 */
public final class StaticMembershipIds {

    private StaticMembershipIds() {
    }

    /** The id, if Kafka and a log line can carry it; {@code where} says where it came from. */
    public static String check(String id, String where) {
        if (id.isEmpty() || id.length() > 200 || !id.chars().allMatch(c -> c > ' ' && c < 127)) {
            throw new IllegalArgumentException("instance id from " + where + " must be 1 to 200 printable ASCII"
                    + " characters without spaces; got '" + id + "'");
        }
        return id;
    }

    /**
     * The id kept in {@code dir/fileName}, created once as {@code prefix} + a random UUID (an
     * operator may write one first, e.g. a StatefulSet's pod name).
     */
    public static String keptIn(Path dir, String fileName, String prefix) {
        Path file = dir.resolve(fileName);
        try {
            Files.createDirectories(dir);
            try {
                Files.writeString(file, prefix + UUID.randomUUID() + "\n", StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE_NEW);
            } catch (FileAlreadyExistsException kept) {
                // the id of the previous run with this directory: the point of it
            }
            return check(Files.readString(file, StandardCharsets.UTF_8).strip(), file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the instance id in " + file, e);
        }
    }
}
