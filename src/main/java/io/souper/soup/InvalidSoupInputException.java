package io.souper.soup;

/**
 * The core refuses an input that cannot be right: a blank id, an accuracy outside [0, total], a
 * result that names the request in flight with other ingredients or a newer base version. Thrown
 * before anything changes, so the caller can set the input aside (an adapter dead-letters it) and
 * go on with the next one.
 *
 * <p>Its own type, so that an adapter catches exactly this and never {@link IllegalArgumentException}
 * or {@link NullPointerException} at large: those would hide a bug in the core as a bad input. It is
 * still an {@code IllegalArgumentException}, which is what it means to a plain Java caller.
 */
public class InvalidSoupInputException extends IllegalArgumentException {
    public InvalidSoupInputException(String message) {
        super(message);
    }
}
