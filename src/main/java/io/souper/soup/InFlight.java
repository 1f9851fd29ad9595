package io.souper.soup;

/**
 * The one outstanding request of a soup. {@code superseded}: (online) the soup was replaced while
 * it was out, so its answer is memoised but decides nothing (its checkpoint was queued again).
 */
record InFlight(CandidateRequest request, boolean superseded) {

    InFlight supersede() {
        return new InFlight(request, true);
    }
}
