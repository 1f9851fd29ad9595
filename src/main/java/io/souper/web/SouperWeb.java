package io.souper.web;

import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.SouperTopics;
import io.souper.streams.SouperStreamsApp;

/**
 * What a souper process serves on its HTTP endpoint: the query API, the live page and its
 * event stream, and probes backed by Kafka Streams' state. Closing stops the page's feed.
 */
public final class SouperWeb implements AutoCloseable {

    private final SoupEventFeed feed;

    private SouperWeb(SoupEventFeed feed) {
        this.feed = feed;
    }

    public static SouperWeb serve(HttpEndpoint endpoint, SouperStreamsApp souper, KafkaClientConfigs clients,
                                  SouperTopics topics) {
        endpoint.health(() -> StreamsHealth.of(souper.state()));
        new SoupApi(souper.queries()).with("report", new SoupReportApi(clients, topics)).register(endpoint);
        SoupEvents events = new SoupEvents();
        new EventStream(events).register(endpoint);
        new SoupPage().register(endpoint);
        return new SouperWeb(SoupEventFeed.start(clients, topics, events));
    }

    @Override
    public void close() {
        feed.close();
    }
}
