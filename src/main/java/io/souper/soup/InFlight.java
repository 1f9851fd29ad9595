package io.souper.soup;

/**
 * The one outstanding request of a soup. {@code superseded}: (online) the soup was replaced while
 * it was out, so its answer is memoised but decides nothing (its checkpoint was queued again).
 * {@code retriableFailures}: how many requests for this same set failed retriably just before it.
 */
record InFlight(CandidateRequest request, boolean superseded, int retriableFailures) {

    InFlight(CandidateRequest request, boolean superseded) {
        this(request, superseded, 0);
    }

    InFlight supersede() {
        return new InFlight(request, true, retriableFailures);
    }
}
