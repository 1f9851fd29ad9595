package io.souper.streams;

import java.time.Duration;

/**
 * The souper's own knobs.
 *
 * @param definitionWait       how long a result may wait for its soup's definition before it is dead-lettered
 * @param maxWaitingPerSoup    how many results may wait per soup; more go to the DLQ at once
 * @param waitingCheckInterval how often waiting results are checked for expiry (wall clock)
 * @param instanceId           this instance's static group membership id, or null for the one kept in the
 *                             state directory ({@link InstanceId})
 * @param standbyReplicas      warm copies of each soup's state kept by other instances
 *                             ({@code num.standby.replicas}); they answer queries while the owner is down
 * @param poisonAttempts       how many times a record may fail its task before it is dead-lettered as REPEATED_CRASH
 */
public record SouperStreamsSettings(Duration definitionWait, int maxWaitingPerSoup, Duration waitingCheckInterval,
                                    String instanceId, int standbyReplicas, int poisonAttempts) {

    /** ISO-8601, so the command line's default is this very text. */
    public static final String DEFAULT_DEFINITION_WAIT = "PT10M";
    public static final int DEFAULT_MAX_WAITING_PER_SOUP = 1_000;
    public static final String DEFAULT_WAITING_CHECK_INTERVAL = "PT30S";
    /**
     * One warm copy: with a single instance Kafka Streams has nowhere to put it and keeps none; with two
     * or more, either instance answers for every soup while the other is down, and a failover restores
     * from a nearly current copy instead of the whole changelog.
     */
    public static final int DEFAULT_STANDBY_REPLICAS = 1;
    /** A record that failed its task this many times is skipped to the dead-letter topic. */
    public static final int DEFAULT_POISON_ATTEMPTS = 3;

    public SouperStreamsSettings {
        if (standbyReplicas < 0) {
            throw new IllegalArgumentException("standby replicas must be >= 0, got " + standbyReplicas);
        }
        if (poisonAttempts < 1) {
            throw new IllegalArgumentException("poison attempts must be >= 1, got " + poisonAttempts);
        }
        if (instanceId != null) {
            InstanceId.check(instanceId, "--instance-id");
        }
    }

    /** The first three knobs with the defaults of the others. */
    public SouperStreamsSettings(Duration definitionWait, int maxWaitingPerSoup, Duration waitingCheckInterval) {
        this(definitionWait, maxWaitingPerSoup, waitingCheckInterval, null, DEFAULT_STANDBY_REPLICAS,
                DEFAULT_POISON_ATTEMPTS);
    }

    public static SouperStreamsSettings defaults() {
        return withDefinitionWait(Duration.parse(DEFAULT_DEFINITION_WAIT));
    }

    /** The defaults with another definition wait. */
    public static SouperStreamsSettings withDefinitionWait(Duration definitionWait) {
        return new SouperStreamsSettings(definitionWait, DEFAULT_MAX_WAITING_PER_SOUP,
                Duration.parse(DEFAULT_WAITING_CHECK_INTERVAL));
    }

    /** These settings with the given static membership id (null: the state directory's). */
    public SouperStreamsSettings withInstanceId(String id) {
        return new SouperStreamsSettings(definitionWait, maxWaitingPerSoup, waitingCheckInterval, id,
                standbyReplicas, poisonAttempts);
    }

    public SouperStreamsSettings withStandbyReplicas(int replicas) {
        return new SouperStreamsSettings(definitionWait, maxWaitingPerSoup, waitingCheckInterval, instanceId,
                replicas, poisonAttempts);
    }

    public SouperStreamsSettings withPoisonAttempts(int attempts) {
        return new SouperStreamsSettings(definitionWait, maxWaitingPerSoup, waitingCheckInterval, instanceId,
                standbyReplicas, attempts);
    }
}
