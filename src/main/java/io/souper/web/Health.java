package io.souper.web;

/**
 * What a process says about itself to probes. Live: it should keep running (a failed
 * liveness probe restarts it). Ready: it can do its work now (a failed readiness probe
 * takes it out of service without restarting it). The reason says why, for people.
 */
public record Health(boolean live, boolean ready, String reason) {

    public static Health ready(String reason) {
        return new Health(true, true, reason);
    }

    /** Alive but not (yet) able to serve: starting, rebalancing away, waiting. */
    public static Health notReady(String reason) {
        return new Health(true, false, reason);
    }

    /** Broken for good: the process should be restarted. */
    public static Health dead(String reason) {
        return new Health(false, false, reason);
    }

    /**
     * A consumer-group member (the evaluator): ready when it polls and owns partitions; not
     * ready while it joins the group (or when the group has more members than partitions);
     * dead once its polling stopped.
     */
    public static Health consumer(String name, boolean polling, int assignedPartitions) {
        if (!polling) {
            return dead(name + " stopped polling");
        }
        if (assignedPartitions == 0) {
            return notReady(name + " polling, no partitions assigned yet");
        }
        return ready(name + " polling, " + assignedPartitions + " partitions assigned");
    }

    /** Both parts of a process that runs two (the all-in-one): ready only when both are. */
    public Health and(Health other) {
        return new Health(live && other.live, ready && other.ready, reason + "; " + other.reason);
    }
}
