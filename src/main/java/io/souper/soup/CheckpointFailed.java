package io.souper.soup;

/** A checkpoint could not be scored; it is recorded and never becomes an ingredient. */
public record CheckpointFailed(String checkpointId, String errorCode, String message) implements SoupInput {

    public CheckpointFailed {
        Inputs.requireText(checkpointId, "checkpointId");
        Inputs.requireText(errorCode, "errorCode of failed checkpoint " + checkpointId);
        message = message == null ? "" : message;
    }
}
