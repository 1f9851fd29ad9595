package io.souper.soup;

import java.util.Locale;

/**
 * What a soup's greedy rule compares on the held-out split, and in which direction. Named
 * Objective (not Metric) so the Kafka adapter can use it beside the Avro-generated
 * {@code io.souper.events.Metric} without qualifying.
 *
 * <p>{@link #ACCURACY} is compared as the exact fraction correct / total (ties are real ties);
 * the others as the double the evaluator reported under {@link #key()}.
 */
public enum Objective {
    /** Top-1 accuracy: higher is better. */
    ACCURACY(true),
    /** Top-5 accuracy: higher is better. */
    TOP5_ACCURACY(true),
    /** Mean cross-entropy (nats) over the scored targets: lower is better. */
    MEAN_LOSS(false),
    /** exp(mean token loss): lower is better. */
    PERPLEXITY(false);

    private final boolean higherIsBetter;

    Objective(boolean higherIsBetter) {
        this.higherIsBetter = higherIsBetter;
    }

    public boolean higherIsBetter() {
        return higherIsBetter;
    }

    /** The name the evaluator reports it under (SplitMetrics.metrics): accuracy, top5_accuracy, mean_loss, perplexity. */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Whether {@code score} carries this objective (accuracy always does: it is correct / total). */
    public boolean isIn(Accuracy score) {
        return this == ACCURACY || score.metrics().containsKey(key());
    }

    /** The value compared; refuses a score that lacks it (the input's fault, not the core's). */
    public double valueOf(Accuracy score) {
        if (this == ACCURACY) {
            return score.value();
        }
        Double value = score.metrics().get(key());
        if (value == null) {
            throw new InvalidSoupInputException("the score " + score + " has no '" + key()
                    + "', the metric this soup decides on");
        }
        return value;
    }

    /** Positive when {@code a} is better than {@code b} by this objective, 0 when equal, negative when worse. */
    public int compare(Accuracy a, Accuracy b) {
        if (this == ACCURACY) {
            return a.compareTo(b);
        }
        int higher = Double.compare(valueOf(a), valueOf(b));
        return higherIsBetter ? higher : -higher;
    }

    /** "0.8120 (812/1000)" for accuracy, "perplexity 12.3457" for the others: what a decision's reason shows. */
    public String describe(Accuracy score) {
        if (score == null) {
            return "none";
        }
        if (this == ACCURACY) {
            return score.toString();
        }
        return String.format(Locale.ROOT, "%s %.6g", key(), valueOf(score));
    }
}
