package io.souper.soup;

/**
 * What is known of one ingredient set: its scores, or why it could not be scored. Memoised by set,
 * and also describes the published soup (a one-ingredient soup carries its checkpoint's scores).
 *
 * @param heldOut null when the evaluation failed
 * @param requestId the request that scored the set; null for a single checkpoint's own score
 */
record CandidateOutcome(Accuracy heldOut, Accuracy test, String artifactUri, String artifactSha256,
                        String errorCode, String errorMessage, String requestId) {

    static CandidateOutcome scored(CandidateScored r) {
        return new CandidateOutcome(r.heldOut(), r.test(), r.artifactUri(), r.artifactSha256(), null, null,
                r.requestId());
    }

    static CandidateOutcome failed(CandidateFailed r) {
        return new CandidateOutcome(null, null, null, null, r.errorCode(), r.message(), r.requestId());
    }

    static CandidateOutcome single(CheckpointScored c) {
        return new CandidateOutcome(c.heldOut(), c.test(), c.uri(), c.sha256(), null, null, null);
    }

    /** This failure, final after {@code attempts} retriable failures in a row. */
    CandidateOutcome givenUp(int attempts) {
        return new CandidateOutcome(null, null, null, null, errorCode,
                errorMessage + " (retriable, failed " + attempts + " times in a row: given up)", requestId);
    }

    boolean succeeded() {
        return heldOut != null;
    }
}
