package io.souper.streams;

import java.time.Duration;

/**
 * The souper's own knobs.
 *
 * @param definitionWait how long a result may wait for its soup's definition before it is dead-lettered
 * @param maxWaitingPerSoup how many results may wait per soup; more go to the DLQ at once
 * @param waitingCheckInterval how often waiting results are checked for expiry (wall clock)
 */
public record SouperStreamsSettings(Duration definitionWait, int maxWaitingPerSoup, Duration waitingCheckInterval) {

    /** ISO-8601, so the command line's default is this very text. */
    public static final String DEFAULT_DEFINITION_WAIT = "PT10M";
    public static final int DEFAULT_MAX_WAITING_PER_SOUP = 1_000;
    public static final String DEFAULT_WAITING_CHECK_INTERVAL = "PT30S";

    public static SouperStreamsSettings defaults() {
        return withDefinitionWait(Duration.parse(DEFAULT_DEFINITION_WAIT));
    }

    /** The defaults with another definition wait. */
    public static SouperStreamsSettings withDefinitionWait(Duration definitionWait) {
        return new SouperStreamsSettings(definitionWait, DEFAULT_MAX_WAITING_PER_SOUP,
                Duration.parse(DEFAULT_WAITING_CHECK_INTERVAL));
    }
}
