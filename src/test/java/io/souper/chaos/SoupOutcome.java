package io.souper.chaos;

import io.souper.events.DecisionKind;
import io.souper.events.SoupDecision;
import io.souper.events.SoupUpdated;
import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.Topic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * What a soup ended as, read from the souper's committed output ({@code read_committed}), with
 * checkpoint ids stripped of the soup's own prefix so that a soup under chaos compares equal to
 * its undisturbed twin: the version history ({@code souper.updates}), the decision log
 * ({@code souper.decisions}) and what is wrong with them on their own.
 */
record SoupOutcome(List<Version> versions, List<Step> decisions, List<String> problems) {

    /** One published soup version. */
    record Version(long version, List<String> ingredients, long heldOutCorrect, String artifactSha256) {
    }

    /** One decision of the audit log. */
    record Step(long sequence, long soupVersion, DecisionKind kind, String checkpointId, List<String> candidate) {
    }

    Version last() {
        return versions.isEmpty() ? null : versions.get(versions.size() - 1);
    }

    /**
     * @param published the checkpoint ids (without prefix) published to this soup
     */
    static Map<String, SoupOutcome> read(KafkaClientConfigs clients, Topic<String, SoupUpdated> updates,
                                         Topic<String, SoupDecision> decisions, Map<String, List<String>> published) {
        Map<String, List<SoupUpdated>> versions = group(readAll(clients, updates));
        Map<String, List<SoupDecision>> steps = group(readAll(clients, decisions));
        Map<String, SoupOutcome> out = new LinkedHashMap<>();
        published.forEach((soup, checkpoints) -> {
            List<String> problems = new ArrayList<>();
            List<Version> history = new ArrayList<>();
            for (SoupUpdated u : versions.getOrDefault(soup, List.of())) {
                Version v = new Version(u.getVersion(), u.getIngredients().stream()
                        .map(i -> strip(soup, i.getCheckpointId())).toList(), u.getHeldOut().getCorrect(),
                        u.getArtifactSha256());
                if (!history.isEmpty() && history.get(history.size() - 1).version() >= v.version()) {
                    problems.add(soup + ": version " + v.version() + " published after version "
                            + history.get(history.size() - 1).version() + " (duplicate or out of order)");
                }
                history.add(v);
            }
            List<Step> log = new ArrayList<>();
            Set<Long> sequences = new HashSet<>();
            Set<String> decisionIds = new HashSet<>();
            for (SoupDecision d : steps.getOrDefault(soup, List.of())) {
                if (!sequences.add(d.getSequence()) || !decisionIds.add(d.getDecisionId())) {
                    problems.add(soup + ": decision " + d.getDecisionId() + " (sequence " + d.getSequence()
                            + ") is on souper.decisions twice");
                }
                log.add(new Step(d.getSequence(), d.getSoupVersion(), d.getKind(), strip(soup, d.getCheckpointId()),
                        d.getCandidateIngredients() == null ? List.of()
                                : d.getCandidateIngredients().stream().map(id -> strip(soup, id)).toList()));
            }
            Set<String> inSoup = history.isEmpty() ? Set.of() : new HashSet<>(history.get(history.size() - 1).ingredients());
            Set<String> decided = new HashSet<>();
            for (SoupDecision d : steps.getOrDefault(soup, List.of())) {
                if (d.getKind() == DecisionKind.REJECTED || d.getKind() == DecisionKind.FAILED) {
                    if (d.getKind() == DecisionKind.FAILED && (d.getReason() == null || d.getReason().isBlank())) {
                        problems.add(soup + ": checkpoint " + d.getCheckpointId() + " failed without a reason");
                    }
                    decided.add(strip(soup, d.getCheckpointId()));
                }
            }
            Set<String> missing = new TreeSet<>();
            for (String c : checkpoints) {
                if (!inSoup.contains(c) && !decided.contains(c)) {
                    missing.add(c);
                }
            }
            if (!missing.isEmpty()) {
                problems.add(soup + ": checkpoints neither in the soup nor rejected nor failed: " + missing);
            }
            out.put(soup, new SoupOutcome(List.copyOf(history), List.copyOf(log), List.copyOf(problems)));
        });
        return out;
    }

    /** {@code c03-k02} of soup {@code c03} is {@code k02}: the same name in both twins. */
    static String strip(String soup, String checkpointId) {
        if (checkpointId == null) {
            return null;
        }
        return checkpointId.startsWith(soup + "-") ? checkpointId.substring(soup.length() + 1) : checkpointId;
    }

    private static <V> Map<String, List<V>> group(List<ConsumerRecord<String, V>> records) {
        Map<String, List<V>> out = new HashMap<>();
        records.forEach(r -> out.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r.value()));
        return out;
    }

    /** Every committed record of {@code topic}, up to its last stable offset, in partition order. */
    static <V> List<ConsumerRecord<String, V>> readAll(KafkaClientConfigs clients, Topic<String, V> topic) {
        List<ConsumerRecord<String, V>> out = new ArrayList<>();
        try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(clients.consumer("chaos-reader-" + UUID.randomUUID(),
                "chaos-reader"), topic.keySerde().deserializer(), topic.valueSerde().deserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic.name(), Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions); // read_committed: the last stable offset
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + topic.name() + " to its end " + end);
                }
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }
}
