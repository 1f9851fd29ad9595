package io.souper.report;

import io.souper.events.EvaluationResult;
import io.souper.events.ReportRequest;
import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.SouperTopics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * Asks the evaluator for a report's parts and waits for the answers: reads souper.report-results
 * from its beginning first, so parts already answered (the same report asked before) are not
 * scored again, publishes the others on souper.report-requests, and follows souper.report-results
 * until every part is answered. A part answered with an error fails the report, naming the part
 * and the evaluator's code and message; one that stays unanswered past the timeout fails it too,
 * naming what is missing (is an evaluator running?).
 */
public final class ReportAnswers {

    private ReportAnswers() {
    }

    /** The answers of {@code requests}, in their order. {@code progress} hears one line per answer. */
    public static List<EvaluationResult> collect(KafkaClientConfigs clients, SouperTopics topics,
                                                 List<ReportRequest> requests, Duration timeout,
                                                 Consumer<String> progress) {
        Map<String, ReportRequest> wanted = new LinkedHashMap<>();
        requests.forEach(r -> wanted.put(r.getRequestId(), r));
        Map<String, EvaluationResult> answers = new LinkedHashMap<>();
        Map<String, Object> config = clients.consumer("souper-report", "souper-report");
        config.remove("group.id");
        try (KafkaConsumer<String, EvaluationResult> consumer = new KafkaConsumer<>(config,
                topics.reportResults.keySerde().deserializer(), topics.reportResults.valueSerde().deserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topics.reportResults.name(), Duration.ofSeconds(30))
                    .stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + timeout.toNanos();
            // earlier answers: the latest of each part counts; a part that failed before is asked again
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp))) {
                checkDeadline(deadline, timeout, wanted, answers, "reading " + topics.reportResults.name());
                for (ConsumerRecord<String, EvaluationResult> record : consumer.poll(Duration.ofMillis(200))) {
                    EvaluationResult r = record.value();
                    if (r != null && wanted.containsKey(r.getSubjectId())) {
                        answers.put(r.getSubjectId(), r);
                    }
                }
            }
            answers.values().removeIf(r -> r.getError() != null);
            List<ReportRequest> missing = wanted.values().stream()
                    .filter(r -> !answers.containsKey(r.getRequestId())).toList();
            if (answers.size() > 0) {
                progress.accept(answers.size() + " of " + wanted.size() + " parts answered before, reused");
            }
            publish(clients, topics, missing);
            if (!missing.isEmpty()) {
                progress.accept("asked the evaluator for " + missing.size() + " parts on "
                        + topics.reportRequests.name());
            }
            while (answers.size() < wanted.size()) {
                checkDeadline(deadline, timeout, wanted, answers, "waiting for the evaluator");
                for (ConsumerRecord<String, EvaluationResult> record : consumer.poll(Duration.ofMillis(500))) {
                    EvaluationResult r = record.value();
                    if (r == null || !wanted.containsKey(r.getSubjectId()) || answers.containsKey(r.getSubjectId())) {
                        continue;
                    }
                    if (r.getError() != null) {
                        throw new PartFailedException("the evaluator could not score " + describe(wanted.get(
                                r.getSubjectId())) + ": " + r.getError().getCode() + " " + r.getError().getMessage());
                    }
                    answers.put(r.getSubjectId(), r);
                    progress.accept("answered " + describe(wanted.get(r.getSubjectId())) + " (" + answers.size()
                            + "/" + wanted.size() + ")");
                }
            }
        }
        return wanted.keySet().stream().map(answers::get).toList();
    }

    private static void publish(KafkaClientConfigs clients, SouperTopics topics, List<ReportRequest> requests) {
        if (requests.isEmpty()) {
            return;
        }
        String topic = topics.reportRequests.name();
        try (KafkaProducer<String, ReportRequest> producer = new KafkaProducer<>(clients.producer("souper-report"),
                topics.reportRequests.keySerde().serializer(), topics.reportRequests.valueSerde().serializer())) {
            List<Future<RecordMetadata>> acks = new ArrayList<>();
            for (ReportRequest r : requests) {
                acks.add(producer.send(new ProducerRecord<>(topic, r.getSoupId(), r)));
            }
            for (Future<RecordMetadata> ack : acks) {
                ack.get(60, TimeUnit.SECONDS);
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot publish to " + topic + " at " + clients.bootstrapServers() + ": "
                    + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("no answer from Kafka at " + clients.bootstrapServers()
                    + " within 60 s while publishing to " + topic, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while publishing to " + topic, e);
        }
    }

    private static void checkDeadline(long deadline, Duration timeout, Map<String, ReportRequest> wanted,
                                      Map<String, EvaluationResult> answers, String doing) {
        if (System.nanoTime() > deadline) {
            List<String> missing = wanted.values().stream().filter(r -> !answers.containsKey(r.getRequestId()))
                    .map(ReportAnswers::describe).toList();
            throw new ReportTimeoutException("no answer within " + timeout + " while " + doing + " for "
                    + missing.size() + " of " + wanted.size() + " parts (is an evaluator running?): " + missing);
        }
    }

    static String describe(ReportRequest r) {
        return switch (r.getPart()) {
            case CHECKPOINT -> "checkpoint " + r.getLabel();
            case UNIFORM_SOUP -> "the uniform soup of " + r.getIngredients().size();
            case GREEDY_SOUP -> "the greedy soup " + r.getLabel() + " (" + r.getIngredients().size() + ")";
            case ENSEMBLE -> "the ensemble of " + r.getIngredients().size();
            default -> r.getRequestId();
        };
    }

    /** The evaluator answered a part with an error: the message names the part, the code and the reason. */
    public static final class PartFailedException extends IllegalStateException {
        public PartFailedException(String message) {
            super(message);
        }
    }

    /** The evaluator did not answer in time; the parts stay asked, so asking again later picks them up. */
    public static final class ReportTimeoutException extends IllegalStateException {
        public ReportTimeoutException(String message) {
            super(message);
        }
    }
}
