package io.souper.demo;

/**
 * The demo cannot start: missing data, no network for the download, an unwritable directory.
 * The message is one line meant for the terminal, saying what to do.
 */
public class DemoSetupException extends RuntimeException {

    public DemoSetupException(String message) {
        super(message);
    }

    public DemoSetupException(String message, Throwable cause) {
        super(message, cause);
    }
}
