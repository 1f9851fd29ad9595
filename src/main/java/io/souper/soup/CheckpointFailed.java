package io.souper.soup;

/**
 * A checkpoint could not be scored; it is recorded and is not an ingredient. The soup does not
 * hold it against the checkpoint id: the checkpoint published again (after a retriable fault, or
 * corrected after e.g. a hash mismatch) and scored joins the soup like a newcomer.
 *
 * @param retriable the evaluator's word that the fault was the world's, not the checkpoint's
 */
public record CheckpointFailed(String checkpointId, String errorCode, String message, boolean retriable)
        implements SoupInput {

    public CheckpointFailed {
        Inputs.requireText(checkpointId, "checkpointId");
        Inputs.requireText(errorCode, "errorCode of failed checkpoint " + checkpointId);
        message = message == null ? "" : message;
    }

    /** A failure that is the checkpoint's own (not retriable). */
    public CheckpointFailed(String checkpointId, String errorCode, String message) {
        this(checkpointId, errorCode, message, false);
    }
}
