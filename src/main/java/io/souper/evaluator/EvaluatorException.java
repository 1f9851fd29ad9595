package io.souper.evaluator;

import io.souper.errors.CodedException;

/** An evaluation the evaluator itself refuses; {@link #code()} becomes the EvaluationError's code. */
public class EvaluatorException extends CodedException {

    public EvaluatorException(EvaluatorErrorCode code, String message) {
        super(code, message, null);
    }

    public EvaluatorErrorCode code() {
        return (EvaluatorErrorCode) errorCode();
    }
}
