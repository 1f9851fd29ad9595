package io.souper.evaluator;

/** Evaluates one consumed record and produces its outputs; run by the evaluation thread only. */
interface WorkProcessor extends AutoCloseable {

    /**
     * Handles {@code item} and returns once every output it produced is acknowledged by Kafka
     * (true), or false if the service stopped first (the record is then not committed and will be
     * consumed again). Never throws for a bad record: bad records get a failure result and a
     * dead letter.
     */
    boolean process(WorkItem item);

    /**
     * Answers {@code item} with {@code failure} without evaluating it (a record that crashed the
     * evaluator too often): a failed result when it decodes, so the souper decides its subject
     * instead of waiting, and a dead letter with {@code reasonCode}. Same return as {@link #process}.
     */
    boolean refuse(WorkItem item, EvaluationFailure failure, String reasonCode);

    /** Called when no record is waiting, to do housekeeping (e.g. pick up new definitions). */
    default void idle() {
    }

    @Override
    void close();
}
