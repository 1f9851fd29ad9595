package io.souper.web;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SoupEventsTest {

    @Test
    void aSubscriberGetsTheHistoryAfterItsLastSeenIdThenLiveEventsInOrder() {
        SoupEvents events = new SoupEvents();
        for (int i = 1; i <= 5; i++) {
            events.publish("update", Json.MAPPER.createObjectNode().put("version", i));
        }
        try (SoupEvents.Subscription reconnected = events.subscribe(3)) {
            events.publish("decision", Json.MAPPER.createObjectNode().put("sequence", 9));
            List<SoupEvents.Event> got = new ArrayList<>();
            reconnected.queue().drainTo(got);
            assertThat(got).extracting(SoupEvents.Event::id).containsExactly(4L, 5L, 6L);
            assertThat(got.get(2).type()).isEqualTo("decision");
            assertThat(events.subscriberCount()).isEqualTo(1);
        }
        assertThat(events.subscriberCount()).as("closed subscriptions get nothing more").isZero();
    }

    @Test
    void historyKeepsTheMostRecentEventsAndASubscriberThatFallsBehindIsToldSo() {
        SoupEvents events = new SoupEvents();
        SoupEvents.Subscription slow = events.subscribe(0);
        for (int i = 0; i < SoupEvents.SUBSCRIBER_BUFFER + 1; i++) {
            events.publish("checkpoint", Json.MAPPER.createObjectNode().put("n", i));
        }
        assertThat(events.history()).hasSize(SoupEvents.HISTORY);
        assertThat(events.history().get(0).id()).isEqualTo(SoupEvents.SUBSCRIBER_BUFFER + 2 - SoupEvents.HISTORY);
        assertThat(slow.overflowed()).isTrue();
        try (SoupEvents.Subscription fresh = events.subscribe(0)) {
            assertThat(fresh.queue()).hasSize(SoupEvents.HISTORY);
            assertThat(fresh.overflowed()).isFalse();
        }
    }
}
