package io.souper.soup;

/**
 * Where the soup's checkpoints stand. {@code scored = accepted + rejected + pending}; failed
 * checkpoints are counted apart. Accepted means "an ingredient of the soup the policy has reached".
 */
public record Tally(int scored, int accepted, int rejected, int pending, int failed) {

    static final Tally EMPTY = new Tally(0, 0, 0, 0, 0);

    public Tally {
        if (scored != accepted + rejected + pending || Math.min(Math.min(accepted, rejected), Math.min(pending, failed)) < 0) {
            throw new IllegalArgumentException("inconsistent tally: scored " + scored + ", accepted " + accepted
                    + ", rejected " + rejected + ", pending " + pending + ", failed " + failed);
        }
    }

    Tally withFailed(int newFailed) {
        return new Tally(scored, accepted, rejected, pending, newFailed);
    }
}
