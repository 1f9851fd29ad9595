package io.souper.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;

/**
 * Creates Souper's topics if they are missing, and checks that existing ones still
 * agree on their partition count, because mismatched counts silently break the
 * co-partitioning the souper relies on.
 */
public final class TopicBootstrapper {

    private static final Logger LOG = LoggerFactory.getLogger(TopicBootstrapper.class);

    private final Admin admin;

    public TopicBootstrapper(Admin admin) {
        this.admin = admin;
    }

    private static final Duration METADATA_WAIT = Duration.ofSeconds(30);

    /** Creates every missing topic; returns the names it created. */
    public List<String> ensure(Collection<TopicSpec> specs, short replicationFactor) {
        try {
            Set<String> existing = admin.listTopics().names().get();
            List<NewTopic> missing = new ArrayList<>();
            for (TopicSpec spec : specs) {
                if (!existing.contains(spec.name())) {
                    missing.add(new NewTopic(spec.name(), Optional.of(spec.partitions()), Optional.of(replicationFactor))
                            .configs(spec.configs()));
                }
            }
            List<String> created = new ArrayList<>();
            for (var entry : admin.createTopics(missing).values().entrySet()) {
                try {
                    entry.getValue().get();
                    created.add(entry.getKey());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e; // another instance may have created it meanwhile; anything else is real
                    }
                }
            }
            checkPartitionCounts(specs);
            if (!created.isEmpty()) {
                LOG.info("created topics {}", created);
            }
            return created;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot create Souper's topics: " + e.getCause().getMessage(), e.getCause());
        }
    }

    private void checkPartitionCounts(Collection<TopicSpec> specs) throws ExecutionException, InterruptedException {
        Map<String, TopicDescription> described = describe(specs.stream().map(TopicSpec::name).toList());
        for (TopicSpec spec : specs) {
            int actual = described.get(spec.name()).partitions().size();
            if (actual != spec.partitions()) {
                throw new IllegalStateException("topic " + spec.name() + " has " + actual + " partitions but "
                        + spec.partitions() + " are configured; Souper's topics must be co-partitioned");
            }
        }
    }

    /**
     * Describes the topics, waiting while a just-created topic is not yet known to the broker that
     * answers (metadata propagates asynchronously: "does not host this topic-partition" for a moment).
     */
    private Map<String, TopicDescription> describe(List<String> names) throws ExecutionException, InterruptedException {
        long deadline = System.nanoTime() + METADATA_WAIT.toNanos();
        while (true) {
            try {
                return admin.describeTopics(names).allTopicNames().get();
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof RetriableException) || System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(200);
            }
        }
    }
}
