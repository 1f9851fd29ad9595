package io.souper.streams;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * This souper instance's stable identity in the consumer group (static membership,
 * {@code group.instance.id}): an instance restarted after a kill rejoins under the same id and gets
 * its tasks back without a rebalance, and finds their state where it left it. The id belongs to the
 * state directory, not to the host, because the state is what makes giving the tasks back worth it:
 * kept in the file {@value #FILE} there, created once with a random id (an operator may write one
 * first, e.g. the pod name of a StatefulSet), unless one is given ({@code --instance-id}, e.g. the pod name
 * of a StatefulSet, which then wins over the file). Two live instances must never share an id or a state
 * directory.
 */
final class InstanceId {

    static final String FILE = "souper-instance-id";

    private InstanceId() {
    }

    /** The given id if there is one, else the state directory's. */
    static String of(String given, Path stateDir) {
        return given != null ? check(given, "--instance-id") : of(stateDir);
    }

    /** The id, if Kafka and a log line can carry it; {@code where} says where it came from. */
    static String check(String id, String where) {
        if (id.isEmpty() || id.length() > 200 || !id.chars().allMatch(c -> c > ' ' && c < 127)) {
            throw new IllegalArgumentException("instance id from " + where + " must be 1 to 200 printable ASCII"
                    + " characters without spaces; got '" + id + "'");
        }
        return id;
    }

    static String of(Path stateDir) {
        Path file = stateDir.resolve(FILE);
        try {
            Files.createDirectories(stateDir);
            try {
                Files.writeString(file, "souper-" + UUID.randomUUID() + "\n", StandardCharsets.UTF_8,
                        java.nio.file.StandardOpenOption.CREATE_NEW);
            } catch (FileAlreadyExistsException kept) {
                // the id of the previous run with this state directory: the point of it
            }
            return check(Files.readString(file, StandardCharsets.UTF_8).strip(), file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the instance id in " + file, e);
        }
    }
}
