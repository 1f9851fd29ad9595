package io.souper.evaluator;

import ai.djl.engine.EngineException;
import io.souper.errors.SouperException;
import io.souper.events.EvaluationError;

/**
 * Why an evaluation failed, as the structured {@link EvaluationError} the event carries: the
 * stable code of whichever layer refused (checkpoint store, scorer, data loader, evaluator),
 * its message without the code prefix, and whether trying again may help.
 */
public record EvaluationFailure(String code, String message, boolean retriable) {

    /** Maps any exception thrown while evaluating; unknown ones become INTERNAL_ERROR naming the exception. */
    public static EvaluationFailure of(Throwable error) {
        if (error instanceof SouperException e) {
            return new EvaluationFailure(e.code().name(), e.detail(), e.retriable());
        }
        if (error instanceof EngineException e) {
            return new EvaluationFailure(EvaluatorErrorCode.ENGINE_ERROR.name(), firstLine(e.getMessage()),
                    EvaluatorErrorCode.ENGINE_ERROR.retriable());
        }
        return new EvaluationFailure(EvaluatorErrorCode.INTERNAL_ERROR.name(),
                error.getClass().getName() + ": " + firstLine(error.getMessage()), false);
    }

    public EvaluationError toEvent() {
        return EvaluationError.newBuilder().setCode(code).setMessage(message).setRetriable(retriable).build();
    }

    @Override
    public String toString() {
        return code + ": " + message;
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "(no message)";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
