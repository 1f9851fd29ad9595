package io.souper.streams;

import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.RecordMetadata;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * How many times each record of one task made the souper fail (topic, partition and offset as the task
 * reads it), so that a record that crashes the stream thread again and again is skipped as REPEATED_CRASH instead
 * of the thread being replaced forever.
 *
 * <p>The count cannot live in a state store: a failure aborts the task's transaction, and the store's
 * write with it. It is kept in a small file beside the task directories ({@code <state.dir>/<app id>/}),
 * written and fsynced before the failure propagates, so a replaced thread and a restarted process on the
 * same state directory both see it. (Not inside the task directory: under exactly-once Kafka Streams wipes
 * that after a failure.) A task that moves to another instance starts counting there afresh, so a poison
 * record is tried at most N times per instance. Empty in the common case: checking a record is one
 * emptiness test.
 */
final class PoisonAttempts {

    static final String FILE_PREFIX = "souper-poison-attempts-";

    /** Null when the processor runs without a state directory: counts then last as long as the process. */
    private final Path file;
    private final Map<String, Integer> failures = new HashMap<>();

    private PoisonAttempts(Path file) {
        this.file = file;
    }

    /** The counts of task {@code task}, read from {@code taskStateDir}'s parent. */
    static PoisonAttempts of(File taskStateDir, TaskId task) {
        if (taskStateDir == null) {
            return new PoisonAttempts(null);
        }
        Path file = taskStateDir.toPath().toAbsolutePath().getParent().resolve(FILE_PREFIX + task);
        PoisonAttempts attempts = new PoisonAttempts(file);
        try {
            if (Files.exists(file)) {
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    int space = line.lastIndexOf(' ');
                    if (space > 0) {
                        attempts.failures.put(line.substring(0, space), Integer.parseInt(line.substring(space + 1)));
                    }
                }
            }
        } catch (IOException | NumberFormatException e) {
            // a damaged count only costs a poison record N more attempts; never stop the souper for it
            attempts.failures.clear();
        }
        return attempts;
    }

    /** How many times the record failed before. */
    int failures(RecordMetadata record) {
        return failures.isEmpty() ? 0 : failures.getOrDefault(key(record), 0);
    }

    /** Counts one more failure of the record, durably before returning; the new count. */
    int recordFailure(RecordMetadata record) {
        int count = failures.merge(key(record), 1, Integer::sum);
        write();
        return count;
    }

    /** The record is behind us (done or skipped): its count goes. */
    void forget(RecordMetadata record) {
        if (!failures.isEmpty() && failures.remove(key(record)) != null) {
            write();
        }
    }

    private static String key(RecordMetadata record) {
        return record.topic() + "/" + record.partition() + "@" + record.offset();
    }

    private void write() {
        if (file == null) {
            return;
        }
        try {
            if (failures.isEmpty()) {
                Files.deleteIfExists(file);
                return;
            }
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            String text = failures.entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
                    .collect(Collectors.joining("\n", "", "\n"));
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record a failed attempt in " + file, e);
        }
    }
}
