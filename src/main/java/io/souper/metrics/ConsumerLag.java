package io.souper.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Consumer-group lag as the broker sees it: for every consumer group with committed offsets on
 * one of the watched topics, the records between the committed offset and the log end, summed
 * over partitions, exported as {@link MetricNames#CONSUMER_GROUP_LAG}{group, topic}. Unlike the
 * consumers' own {@code records-lag} metrics this does not need the consumer to be running: a
 * group whose evaluators are all down shows its lag growing, which is when it matters.
 *
 * <p>Groups are discovered, not configured, so the souper's application id and the evaluator's
 * group id need not be known here; any Souper process watching the topics reports every group.
 * The log end is read with read-committed isolation, so transaction markers of the souper's
 * exactly-once output do not count as lag.
 */
public final class ConsumerLag implements AutoCloseable {

    /** How often the lag is read; one list-groups call plus two calls per group each time. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(15);

    /** How long one admin call may take; independent of the interval, a slow broker is not a failure. */
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);
    private static final Logger LOG = LoggerFactory.getLogger(ConsumerLag.class);

    private final Admin admin;
    private final Set<String> topics;
    private final MultiGauge gauge;
    private final ScheduledExecutorService timer;
    private volatile boolean failing;

    private ConsumerLag(Admin admin, Collection<String> topics, MeterRegistry registry) {
        this.admin = admin;
        this.topics = Set.copyOf(topics);
        this.gauge = MultiGauge.builder(MetricNames.CONSUMER_GROUP_LAG)
                // no base unit: Prometheus would append it to the name the dashboard and alerts use
                .description("Records not yet covered by the group's committed offsets (log end, read-committed)")
                .register(registry);
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "souper-consumer-lag");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts polling every {@code interval}; the first poll runs at once. */
    public static ConsumerLag start(Map<String, Object> adminConfig, Collection<String> topics, Duration interval,
                                    MeterRegistry registry) {
        ConsumerLag lag = new ConsumerLag(Admin.create(adminConfig), topics, registry);
        lag.timer.scheduleWithFixedDelay(lag::pollQuietly, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        return lag;
    }

    private void pollQuietly() {
        try {
            Map<GroupTopic, Long> lag = poll();
            List<MultiGauge.Row<?>> rows = new ArrayList<>();
            lag.forEach((key, records) -> rows.add(MultiGauge.Row.of(
                    Tags.of("group", key.group(), "topic", key.topic()), records)));
            // overwrite: groups that are gone (offsets expired) drop out of the scrape
            gauge.register(rows, true);
            if (failing) {
                LOG.info("consumer lag read again ({} group/topic pairs)", rows.size());
                failing = false;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            // the broker is unreachable: keep the last values rather than report a lag of zero;
            // say so once, not every few seconds
            if (!failing) {
                LOG.warn("cannot read consumer-group lag (keeping the last values): {}", e.toString());
                failing = true;
            }
        }
    }

    /** Lag by group and topic, read now. */
    Map<GroupTopic, Long> poll() throws InterruptedException, ExecutionException, TimeoutException {
        long wait = CALL_TIMEOUT.toMillis();
        Collection<GroupListing> groups = admin.listGroups(ListGroupsOptions.forConsumerGroups()).all()
                .get(wait, TimeUnit.MILLISECONDS);
        Map<String, Map<TopicPartition, Long>> committed = new TreeMap<>();
        Map<TopicPartition, OffsetSpec> ends = new HashMap<>();
        for (GroupListing group : groups) {
            Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group.groupId())
                    .partitionsToOffsetAndMetadata().get(wait, TimeUnit.MILLISECONDS);
            Map<TopicPartition, Long> watched = new HashMap<>();
            offsets.forEach((partition, offset) -> {
                if (offset != null && topics.contains(partition.topic())) {
                    watched.put(partition, offset.offset());
                    ends.put(partition, OffsetSpec.latest());
                }
            });
            if (!watched.isEmpty()) {
                committed.put(group.groupId(), watched);
            }
        }
        Map<GroupTopic, Long> lag = new TreeMap<>();
        if (ends.isEmpty()) {
            return lag;
        }
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> logEnds = admin
                .listOffsets(ends, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all()
                .get(wait, TimeUnit.MILLISECONDS);
        committed.forEach((group, offsets) -> offsets.forEach((partition, offset) -> {
            long end = logEnds.get(partition).offset();
            lag.merge(new GroupTopic(group, partition.topic()), Math.max(0, end - offset), Long::sum);
        }));
        return lag;
    }

    record GroupTopic(String group, String topic) implements Comparable<GroupTopic> {
        @Override
        public int compareTo(GroupTopic o) {
            int c = group.compareTo(o.group);
            return c != 0 ? c : topic.compareTo(o.topic);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        admin.close(Duration.ofSeconds(5));
    }
}
