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

    public static SouperStreamsSettings defaults() {
        return new SouperStreamsSettings(Duration.ofMinutes(10), 1_000, Duration.ofSeconds(30));
    }
}
