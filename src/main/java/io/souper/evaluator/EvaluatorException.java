package io.souper.evaluator;

/** An evaluation the evaluator itself refuses; {@link #code()} becomes the EvaluationError's code. */
public class EvaluatorException extends RuntimeException {

    private final EvaluatorErrorCode code;

    public EvaluatorException(EvaluatorErrorCode code, String message) {
        super(code + ": " + message);
        this.code = code;
    }

    public EvaluatorErrorCode code() {
        return code;
    }

    /** Message without the code prefix. */
    public String detail() {
        return getMessage().substring(code.name().length() + 2);
    }
}
