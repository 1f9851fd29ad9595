package io.souper.streams;

/** An event that deserialized but makes no sense (wrong key, missing scores...): it goes to the DLQ. */
final class InvalidEventException extends RuntimeException {
    InvalidEventException(String message) {
        super(message);
    }
}
