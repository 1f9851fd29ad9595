package io.souper.web;

import org.apache.kafka.streams.KafkaStreams;

/** The souper's health from Kafka Streams' state, for {@code /health/live} and {@code /health/ready}. */
public final class StreamsHealth {

    private StreamsHealth() {
    }

    public static Health of(KafkaStreams.State state) {
        return switch (state) {
            // REBALANCING still serves queries from the stores it keeps; tasks move and come back.
            case RUNNING, REBALANCING -> Health.ready("souper streams " + state);
            case CREATED -> Health.notReady("souper streams " + state + ": not started yet");
            case PENDING_ERROR -> Health.notReady("souper streams " + state + ": a stream thread failed");
            // ERROR: every thread died; NOT_RUNNING/PENDING_SHUTDOWN: stopped. A restart is the cure.
            case ERROR, PENDING_SHUTDOWN, NOT_RUNNING -> Health.dead("souper streams " + state);
        };
    }
}
