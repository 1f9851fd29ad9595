package io.souper.evaluator;

import ai.djl.Device;
import io.souper.kafka.StaticMembershipIds;
import io.souper.kafka.BrokerWatch;
import io.souper.kafka.Faults;
import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.SouperTopics;
import io.souper.metrics.SouperMetrics;
import io.souper.scoring.Devices;
import io.souper.scoring.EvaluationEngine;
import io.souper.scoring.ScoringSettings;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import io.souper.kafka.DeadLetters;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The evaluator: a member of the consumer group {@code souper-evaluator} (by default) that reads
 * checkpoints (souper.checkpoints) and candidate requests (souper.candidates), scores them, and
 * answers on souper.evaluations. Scale out by starting more instances with the same group id,
 * one per GPU.
 *
 * <p>Two threads. The polling thread owns the group consumer: it polls continuously, hands records
 * to a {@link WorkQueue}, pauses every partition that has records waiting or under evaluation,
 * resumes it when they are done, and commits offsets. The evaluation thread takes records from the
 * queue, candidates first, evaluates them and waits until their outputs are acknowledged. Since
 * the consumer keeps polling (paused partitions return nothing) however long an evaluation takes,
 * a slow model never exceeds max.poll.interval.ms and never causes a rebalance; and since an
 * offset is committed only after its result was produced, a crash loses nothing (at-least-once;
 * a redelivered record produces the same result for the same subject id, which the souper
 * ignores as a duplicate).
 *
 * <p>No record stops the evaluator twice over. A record's own faults are answered by the
 * processor; whatever escapes it (out of memory, a bug) stops the process with one line naming the
 * record. So that a restart does not die on the same record again, the record's attempt number is
 * committed with its offset before it is handled ({@link AttemptMarks}; a native crash that kills
 * the JVM outright is counted too), and a record already tried {@code crashAttempts} times is
 * answered as REPEATED_CRASH and dead-lettered instead of being tried again.
 *
 * <p>No broker outage stops it either: while the broker is unreachable every Kafka call (the
 * definitions' catch-up at start, polls, commits, sends) is retried with backoff, and a
 * {@link BrokerWatch} logs one line when the broker goes and one when it is back.
 * Nothing is dead-lettered for it; readiness is false meanwhile.
 */
public final class EvaluatorService implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EvaluatorService.class);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final Duration TAKE = Duration.ofMillis(500);
    private static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(60);
    private static final Duration POLL_RETRY = Duration.ofSeconds(1);
    static final String INSTANCE_ID_FILE = "evaluator-instance-id";
    static final int SESSION_TIMEOUT_MS = 10_000;

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final WorkQueue queue;
    private final WorkProcessor processor;
    private final String device;
    /** Shared with the handler's {@link Retry}, which gives up once the service stops. */
    private final AtomicBoolean running;
    private final AtomicInteger assignments = new AtomicInteger();
    private final AtomicInteger revocations = new AtomicInteger();
    private final CompletableFuture<Void> termination = new CompletableFuture<>();
    /** Null for the tests' stand-in processors, which watch nothing. */
    private final BrokerWatch brokerWatch;
    /** The work directory's lock (static membership), held while the service runs; null without one. */
    private volatile FileChannel workDirClaim;
    private final Thread pollThread;
    private final Thread evaluationThread;
    private volatile Set<TopicPartition> assigned = Set.of();
    private volatile Throwable evaluationFailure;
    private final int crashAttempts;
    /** Set while commits fail, so an outage is logged when it starts and when it ends, not at every retry. */
    private boolean commitsFailing;
    /** Set while polls fail for the world's reasons (same purpose); owned by the polling thread. */
    private boolean pollsFailing;

    /**
     * Starts an evaluator: checks the device (a GPU that is not there fails here, not at the first
     * event), joins the group and begins evaluating. {@code metrics} (required) may be shared with
     * other components of the process.
     */
    public static EvaluatorService start(KafkaClientConfigs clients, SouperTopics topics, EvaluatorSettings settings,
                                         SouperMetrics metrics) {
        java.util.Objects.requireNonNull(metrics, "metrics");
        Device device = Devices.resolve(settings.device());
        String clientId = settings.groupId() + "-" + UUID.randomUUID().toString().substring(0, 8);
        AtomicBoolean running = new AtomicBoolean(true);
        EvaluationEngine engine = new EvaluationEngine(scoring(settings), device);
        Retry retry = new Retry(running::get);
        SoupDefinitions definitions = null;
        OutputPublisher publisher = null;
        BrokerWatch watch = BrokerWatch.start("evaluator " + clientId, clients);
        try {
            // The broker may go away right after the CLI's probe: wait for it rather than exit.
            definitions = retry.call("reading the soup definitions' partitions", () -> new SoupDefinitions(clients,
                    topics.definitions, clientId + "-definitions", settings.definitionCatchUp(), metrics))
                    .orElseThrow(() -> new IllegalStateException("stopped before the broker answered"));
            publisher = new OutputPublisher(clients, topics, clientId, metrics, retry);
            EvaluationHandler handler = new EvaluationHandler(engine, definitions, publisher,
                    new EvaluatorMetrics(metrics.registry()), topics, retry);
            LOG.info("evaluator {} starting on {} (store roots {}, work dir {})", clientId, Devices.describe(device),
                    settings.storeRoots(), settings.workDir());
            FileChannel claim = claim(settings.workDir());
            EvaluatorService service = new EvaluatorService(clients, topics, settings, metrics, handler,
                    Devices.describe(device), clientId, running, membership(settings.workDir(), claim != null), watch);
            service.workDirClaim = claim;
            return service;
        } catch (RuntimeException e) {
            watch.close();
            engine.close();
            if (definitions != null) {
                definitions.close();
            }
            if (publisher != null) {
                publisher.close();
            }
            throw e;
        }
    }

    /**
     * How this instance belongs to its group. Static membership: an evaluator restarted after a kill
     * rejoins under the id kept in its work directory and gets its partitions back at once, instead
     * of after the dead member's session expired and a rebalance (45-48 s per kill before). A session
     * of 10 s (as the souper's): heartbeats have their own thread, and the polling thread never
     * waits on an evaluation, so only a dead process misses them; its partitions move within 10 s.
     * The id is used only by the one process that holds the work directory's lock ({@link #claim}):
     * a second evaluator started on the same directory joins without it instead of fencing the first.
     */
    static Map<String, Object> membership(Path workDir, boolean ownsWorkDir) {
        return ownsWorkDir ? Map.of(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instanceId(workDir),
                ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, SESSION_TIMEOUT_MS)
                : Map.of(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, SESSION_TIMEOUT_MS);
    }

    /**
     * Locks the work directory for this process (released when the service stops, or by the OS when
     * the process dies), or null when another live evaluator holds it: then this one warns and uses
     * no static id, since two members under one id fence each other.
     */
    static FileChannel claim(Path workDir) {
        Path file = workDir.resolve(INSTANCE_ID_FILE + ".lock");
        FileChannel channel = null;
        try {
            Files.createDirectories(workDir);
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            if (channel.tryLock() != null) {
                return channel;
            }
        } catch (OverlappingFileLockException sameProcess) {
            // another evaluator in this JVM holds it
        } catch (IOException e) {
            LOG.warn("cannot lock {} ({}); joining the group without a static id", file, e.toString());
        }
        closeQuietly(channel);
        LOG.warn("another evaluator uses the work directory {}; joining the group without a static id (give each "
                + "evaluator its own --work-dir)", workDir);
        return null;
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing held
            }
        }
    }

    /** The id kept in the work directory, created once with a random value (an operator may write one first). */
    static String instanceId(Path workDir) {
        return StaticMembershipIds.keptIn(workDir, INSTANCE_ID_FILE, "evaluator-");
    }

    /** What the scoring engine needs of the evaluator's settings. */
    static ScoringSettings scoring(EvaluatorSettings settings) {
        return new ScoringSettings(settings.storeRoots(), settings.workDir(), settings.batchSize(),
                settings.architectureCacheSize(), settings.dataCacheSize(), settings.runningSumCacheSize(),
                settings.hashCacheSize(), settings.objectStore(), settings.artifactsUri());
    }

    /**
     * The same service around any processor, with consumer settings overridden: how the tests drive
     * the Kafka side with a slow stand-in and a short max.poll.interval.ms.
     */
    static EvaluatorService start(KafkaClientConfigs clients, SouperTopics topics, EvaluatorSettings settings,
                                  WorkProcessor processor, Map<String, Object> consumerOverrides) {
        return new EvaluatorService(clients, topics, settings, null, processor, "cpu",
                settings.groupId() + "-" + UUID.randomUUID().toString().substring(0, 8), new AtomicBoolean(true),
                consumerOverrides, null);
    }

    private EvaluatorService(KafkaClientConfigs clients, SouperTopics topics, EvaluatorSettings settings,
                             SouperMetrics metrics, WorkProcessor processor, String device, String clientId,
                             AtomicBoolean running, Map<String, Object> consumerOverrides, BrokerWatch brokerWatch) {
        this.running = running;
        this.brokerWatch = brokerWatch;
        this.processor = processor;
        this.device = device;
        this.crashAttempts = settings.crashAttempts();
        String candidates = topics.candidates.name();
        String reports = topics.reportRequests.name();
        // the souper's candidates first (a soup waits on each), then checkpoints, then reports (a person waits)
        this.queue = new WorkQueue(topic -> topic.equals(candidates) ? 0 : topic.equals(reports) ? 2 : 1);
        Map<String, Object> config = clients.consumer(settings.groupId(), clientId);
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, settings.maxPollRecords());
        // Cooperative: a rebalance revokes only the partitions that move, so the others keep their queues.
        config.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        config.putAll(consumerOverrides);
        this.consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        if (metrics != null) {
            metrics.bind(consumer);
        }
        consumer.subscribe(List.of(topics.candidates.name(), topics.checkpoints.name(), topics.reportRequests.name()),
                new Listener());
        this.evaluationThread = new Thread(this::evaluate, clientId + "-evaluation");
        this.pollThread = new Thread(this::poll, clientId + "-poll");
        evaluationThread.start();
        pollThread.start();
    }

    /** "cpu" or "gpu:N": where this evaluator scores. */
    public String device() {
        return device;
    }

    /** Completes when the service stops: normally after {@link #close}, exceptionally if it died. */
    public CompletableFuture<Void> termination() {
        return termination;
    }

    public boolean isRunning() {
        return running.get();
    }

    /** False while the broker is unreachable (the service waits for it; it does not stop). */
    public boolean brokerReachable() {
        return brokerWatch == null || brokerWatch.reachable();
    }

    /** Partitions of souper.checkpoints and souper.candidates this instance owns now. */
    public Set<TopicPartition> assignment() {
        return assigned;
    }

    /** How many times partitions were assigned to this instance (1 without rebalances). */
    int assignmentCount() {
        return assignments.get();
    }

    /** How many times partitions were taken away from this instance. */
    int revocationCount() {
        return revocations.get();
    }

    private void poll() {
        Throwable failure = null;
        try {
            while (running.get()) {
                if (!evaluationThread.isAlive()) {
                    throw new IllegalStateException("the evaluation thread died");
                }
                ConsumerRecords<byte[], byte[]> records;
                try {
                    records = consumer.poll(POLL);
                    if (pollsFailing) {
                        pollsFailing = false;
                        LOG.info("polling works again");
                    }
                } catch (WakeupException e) {
                    records = ConsumerRecords.empty(); // the evaluation thread wants an attempt mark committed now
                } catch (RuntimeException e) {
                    if (!Faults.isWorld(e)) {
                        throw e;
                    }
                    // the broker's fault (a timeout, a disconnect): poll again after a pause, never stop for it
                    if (!pollsFailing) {
                        pollsFailing = true;
                        LOG.warn("polling failed; polling again until it works: {}", e.toString());
                    }
                    records = ConsumerRecords.empty();
                    Thread.sleep(POLL_RETRY.toMillis());
                }
                queue.add(records);
                pauseBusyPartitions();
                if (queue.attemptPending()) {
                    commitAttemptMarks();
                } else {
                    commit(false);
                }
            }
        } catch (Throwable t) {
            failure = t;
            LOG.error("evaluator polling failed; stopping", t);
        } finally {
            running.set(false);
            awaitEvaluationThread();
            try {
                try {
                    commit(true);
                } catch (WakeupException e) {
                    commit(true); // a wakeup meant for the last poll; the commit itself is still wanted
                }
            } catch (RuntimeException e) {
                LOG.warn("final offset commit failed (the records will be evaluated again): {}", e.toString());
            }
            try {
                consumer.close();
            } catch (RuntimeException e) {
                LOG.warn("closing the consumer failed: {}", e.toString());
            }
            if (brokerWatch != null) {
                brokerWatch.close();
            }
            closeQuietly(workDirClaim);
            if (failure == null && evaluationFailure == null) {
                termination.complete(null);
            } else {
                termination.completeExceptionally(failure != null ? failure : evaluationFailure);
            }
        }
    }

    private void evaluate() {
        WorkItem item = null;
        int attempt = 0;
        try {
            while (running.get()) {
                item = null;
                WorkItem next = queue.take(TAKE);
                if (next == null) {
                    try {
                        processor.idle();
                    } catch (RuntimeException e) {
                        if (!Faults.isWorld(e)) {
                            throw e;
                        }
                        // housekeeping during a broker outage: simply again when idle next
                    }
                    continue;
                }
                attempt = queue.priorAttempts(next) + 1;
                if (attempt > crashAttempts) {
                    LOG.error("{} stopped the evaluator {} times; answering it as {} and going on without it",
                            next, attempt - 1, EvaluatorErrorCode.REPEATED_CRASH);
                    if (processor.refuse(next, repeatedCrash(attempt - 1), DeadLetters.REPEATED_CRASH)) {
                        queue.done(next);
                    }
                    continue;
                }
                queue.recordAttempt(next, attempt);
                consumer.wakeup(); // the polling thread commits the mark at once, not after its poll
                if (!queue.awaitAttemptCommitted(next, running::get)) {
                    continue; // revoked meanwhile, or stopping: the record is consumed again
                }
                item = next;
                if (processor.process(item)) {
                    queue.done(item);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable t) {
            evaluationFailure = t;
            if (item == null) {
                LOG.error("evaluator stopping: {} {}", t, firstFrame(t));
            } else {
                // The one line an operator needs: what, on which record, and what happens next.
                LOG.error("evaluator stopping: {} {} while handling {} (attempt {} of {}); not a fault Souper can "
                                + "pin on the record, so it is not dead-lettered yet: restart the evaluator (with more "
                                + "memory if it ran out, SOUPER_JAVA_OPTS=-Xmx...); it resumes at this record, and "
                                + "after {} attempts answers it as {} and dead-letters it", t, firstFrame(t), item,
                        attempt, crashAttempts, crashAttempts, DeadLetters.REPEATED_CRASH);
            }
            running.set(false);
        } finally {
            processor.close();
        }
    }

    private EvaluationFailure repeatedCrash(int crashes) {
        return new EvaluationFailure(EvaluatorErrorCode.REPEATED_CRASH.name(), "handling this record stopped the "
                + "evaluator " + crashes + " times (out of memory or a native crash; see the evaluator's log); it is "
                + "not tried again (--crash-attempts " + crashAttempts + ")", false);
    }

    private static String firstFrame(Throwable t) {
        StackTraceElement[] frames = t.getStackTrace();
        return frames.length == 0 ? "" : "at " + frames[0];
    }

    /**
     * Commits now, synchronously, because an attempt mark is waiting: the evaluation thread handles
     * its record only once the mark is in the committed state. A failing commit is tried again on
     * the next round (the broker may be down; nothing is handled meanwhile, which is right, since
     * no result could be published either).
     */
    private void commitAttemptMarks() {
        Map<TopicPartition, OffsetAndMetadata> offsets = queue.committable();
        offsets.keySet().retainAll(consumer.assignment());
        if (offsets.isEmpty()) {
            return;
        }
        try {
            consumer.commitSync(offsets, Duration.ofSeconds(10));
            queue.committed(offsets);
            if (commitsFailing) {
                commitsFailing = false;
                LOG.info("offset commits work again");
            }
        } catch (WakeupException e) {
            queue.commitFailed(offsets); // interrupted by a wakeup: simply again on the next round
        } catch (RuntimeException e) {
            queue.commitFailed(offsets);
            if (!commitsFailing) {
                commitsFailing = true;
                LOG.warn("offset commit failed; retrying until it works: {}", e.toString());
            }
        }
    }

    private void pauseBusyPartitions() {
        Set<TopicPartition> busy = queue.busy();
        Set<TopicPartition> paused = consumer.paused();
        Set<TopicPartition> toPause = new HashSet<>(busy);
        toPause.retainAll(consumer.assignment());
        toPause.removeAll(paused);
        if (!toPause.isEmpty()) {
            consumer.pause(toPause);
        }
        Set<TopicPartition> toResume = new HashSet<>(paused);
        toResume.removeAll(busy);
        if (!toResume.isEmpty()) {
            consumer.resume(toResume);
        }
    }

    private void commit(boolean sync) {
        Map<TopicPartition, OffsetAndMetadata> offsets = queue.committable();
        offsets.keySet().retainAll(consumer.assignment());
        if (offsets.isEmpty()) {
            return;
        }
        if (sync) {
            try {
                consumer.commitSync(offsets, Duration.ofSeconds(10));
            } catch (RuntimeException e) {
                queue.commitFailed(offsets);
                throw e;
            }
        } else {
            consumer.commitAsync(offsets, (committed, error) -> {
                if (error == null) {
                    queue.committed(offsets);
                    if (commitsFailing) {
                        commitsFailing = false;
                        LOG.info("offset commits work again");
                    }
                } else {
                    // Offered again with the next commit; if never committed, the records are only redelivered.
                    // Logged once until a commit works again (an outage is not a line per poll).
                    if (!commitsFailing) {
                        commitsFailing = true;
                        LOG.warn("offset commit failed; retrying until it works: {}", error.toString());
                    }
                    queue.commitFailed(offsets);
                }
            });
        }
    }

    private void awaitEvaluationThread() {
        try {
            evaluationThread.join(SHUTDOWN_WAIT.toMillis());
            if (evaluationThread.isAlive()) {
                LOG.warn("evaluation still running after {}; leaving it (its record will be evaluated again)",
                        SHUTDOWN_WAIT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Runs inside poll(), on the polling thread. */
    private final class Listener implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            if (partitions.isEmpty()) {
                return;
            }
            revocations.incrementAndGet();
            Map<TopicPartition, OffsetAndMetadata> offsets = queue.revoke(partitions);
            if (!offsets.isEmpty()) {
                try {
                    consumer.commitSync(offsets, Duration.ofSeconds(10));
                } catch (RuntimeException e) {
                    LOG.warn("commit on revocation failed (the new owner evaluates those records again): {}",
                            e.toString());
                }
            }
            updateAssigned();
            LOG.info("partitions revoked: {}", partitions);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            queue.lose(partitions);
            updateAssigned();
            LOG.warn("partitions lost: {}", partitions);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            if (!partitions.isEmpty()) {
                assignments.incrementAndGet();
            }
            queue.assign(partitions, committedOffsets(partitions));
            updateAssigned();
            LOG.info("partitions assigned: {} (now {})", partitions, assigned.size());
        }

        /** The partitions' committed offsets with their metadata (attempt marks); none if they cannot be read now. */
        private Map<TopicPartition, OffsetAndMetadata> committedOffsets(Collection<TopicPartition> partitions) {
            if (partitions.isEmpty()) {
                return Map.of();
            }
            try {
                Map<TopicPartition, OffsetAndMetadata> committed = new HashMap<>();
                Map<TopicPartition, OffsetAndMetadata> read;
                try {
                    read = consumer.committed(Set.copyOf(partitions), Duration.ofSeconds(10));
                } catch (WakeupException e) {
                    // the evaluation thread's wakeup, meant for the poll: read again
                    read = consumer.committed(Set.copyOf(partitions), Duration.ofSeconds(10));
                }
                read.forEach((tp, offset) -> {
                    if (offset != null) {
                        committed.put(tp, offset);
                    }
                });
                return committed;
            } catch (RuntimeException e) {
                LOG.warn("cannot read the committed offsets of {} (a record that crashed the evaluator before is "
                        + "counted from 0 again): {}", partitions, e.toString());
                return Map.of();
            }
        }

        private void updateAssigned() {
            assigned = Set.copyOf(consumer.assignment());
        }
    }

    /** Stops polling, lets the evaluation under way finish (up to a minute), commits, and leaves the group. */
    @Override
    public void close() {
        running.set(false);
        if (Thread.currentThread() != pollThread) {
            try {
                pollThread.join(SHUTDOWN_WAIT.toMillis() + 30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
