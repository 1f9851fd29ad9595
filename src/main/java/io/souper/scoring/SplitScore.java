package io.souper.scoring;

/** Top-1 accuracy on one named split: {@code correct} of {@code total} images. */
public record SplitScore(String name, long correct, long total, double accuracy) {

    static SplitScore of(String name, ScoreResult result) {
        return new SplitScore(name, result.correct(), result.total(), result.accuracy());
    }
}
