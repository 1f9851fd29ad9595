package io.souper.soup;

/**
 * What drives a soup: a checkpoint's own score (or its failure) and a candidate's score (or its
 * failure). The adapter maps each {@code EvaluationResult} to exactly one of these.
 */
public sealed interface SoupInput permits CheckpointScored, CheckpointFailed, CandidateScored, CandidateFailed {
}
