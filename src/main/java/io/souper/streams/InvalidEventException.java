package io.souper.streams;

import io.souper.kafka.DeadLetters;
import io.souper.kafka.Faults;

/**
 * An event that deserialized but makes no sense (wrong key, missing scores...): the record's
 * fault, so it goes to the DLQ as {@link DeadLetters#INVALID_EVENT}.
 */
final class InvalidEventException extends Faults.RecordFaultException {
    InvalidEventException(String message) {
        super(DeadLetters.INVALID_EVENT, message);
    }
}
