package io.souper.soup;

/**
 * Argument checks shared by the input records; messages name the field so a dead letter explains itself.
 * A failed check is an {@link InvalidSoupInputException}: the input, not the core, is at fault.
 */
final class Inputs {

    private Inputs() {
    }

    static String requireText(String value, String what) {
        if (value == null || value.isBlank()) {
            throw new InvalidSoupInputException(what + " must not be blank");
        }
        return value;
    }

    static <T> T requireNonNull(T value, String what) {
        if (value == null) {
            throw new InvalidSoupInputException(what + " must not be null");
        }
        return value;
    }
}
