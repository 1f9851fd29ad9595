package io.souper.evaluator;

/**
 * How the evaluator remembers, across crashes, how often it tried a record: the committed offset's
 * metadata string (kept by Kafka with the group's offsets, so it survives the process and moves to
 * whichever instance owns the partition next) reads {@code souper-attempts=N} while the record at
 * that offset is being handled for the N-th time. A clean commit past the record clears it.
 */
final class AttemptMarks {

    private static final String PREFIX = "souper-attempts=";

    private AttemptMarks() {
    }

    static String format(int attempts) {
        return PREFIX + attempts;
    }

    /** The attempt count in {@code metadata}, or 0 when it holds none (another tool's metadata counts as none). */
    static int attempts(String metadata) {
        if (metadata == null || !metadata.startsWith(PREFIX)) {
            return 0;
        }
        try {
            return Math.max(0, Integer.parseInt(metadata.substring(PREFIX.length())));
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
